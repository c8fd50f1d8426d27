"""Logging set-up that never lets a secret or a person's data reach a log line or stderr.

Secrets (the bot token, the webhook secret) are registered once and redacted in every
record, every traceback the interpreter prints (sys.excepthook, threads) and the CLI's
own error lines. Libraries that log whole updates or SQL parameters at DEBUG (PTB's
"Processing update", its Bot API call parameters, aiosqlite's "executing") are held at
INFO or WARNING whatever the level, because those carry typed names and @usernames.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType

__all__ = [
    "JsonFormatter",
    "RedactingFilter",
    "install_excepthooks",
    "protect_secret",
    "quiet_http_loggers",
    "redact",
    "register_secret",
    "setup_logging",
]

# httpx logs every request URL at INFO, and Bot API URLs contain the token; aiosqlite
# logs every statement with its parameters (names, organisations) at DEBUG.
_QUIET_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "apscheduler", "aiosqlite")
# PTB logs whole updates and every Bot API call's parameters (the webhook secret, the
# texts that show a signer's name) at DEBUG: never below INFO, whatever JFA_LOG_LEVEL says.
_NO_DEBUG_LOGGERS = ("telegram",)
_SECRETS: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Add a secret to those redacted everywhere (log records, tracebacks, CLI errors)."""
    if secret:
        _SECRETS.add(secret)


def redact(text: str) -> str:
    """Return the text with every registered secret replaced."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "<redacted>")
    return text


def _print_redacted(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _print_redacted(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthooks() -> None:
    """Make the interpreter's last-resort tracebacks (main and threads) redact secrets."""
    sys.excepthook = _print_redacted
    threading.excepthook = _thread_hook


# PTB logs its Bot API URL (token included) at DEBUG from these loggers.
_PTB_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.ext.Application",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
)


class RedactingFilter(logging.Filter):
    """Replace secrets in a record's message and traceback before it is written."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        for secret in self._secrets:
            register_secret(secret)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the secrets this filter hides."""
        return self._secrets

    def redact(self, text: str) -> str:
        """Return the text with this filter's and every registered secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; always keep it."""
        if not self._secrets and not _SECRETS:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(text)
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line (`JFA_LOG_FORMAT=json`), for log collectors.

    It formats what the handler's redacting filter left, and redacts the finished line
    once more with the same filter, so nothing reaches the collector that text would hide.
    """

    def __init__(self, redactor: RedactingFilter | None = None) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON: time, level, logger, message, exception."""
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False)
        return self._redactor.redact(line) if self._redactor is not None else line


def setup_logging(level: str, secrets: Iterable[str] = (), log_format: str = "text") -> None:
    """Log to stderr at `level` as text or JSON, secrets redacted, chatty HTTP loggers quiet."""
    handler = logging.StreamHandler(sys.stderr)
    redactor = RedactingFilter(secrets)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(redactor))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_http_loggers()
    for name in _NO_DEBUG_LOGGERS:
        # Never below INFO, nor below the level asked for (PTB's "Application started"
        # would otherwise show in `jfa-bot try`'s chat at the default WARNING).
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))


def quiet_http_loggers() -> None:
    """Keep loggers that print URLs, SQL parameters or whole updates above DEBUG."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _NO_DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.level, logging.INFO))


def protect_secret(secret: str) -> None:
    """Redact a secret in every record of PTB's loggers, whatever handler receives it."""
    import telegram.ext  # noqa: F401  (creates PTB's loggers so they can be listed)

    names = {n for n in logging.root.manager.loggerDict if n.startswith("telegram")}
    for name in sorted(names | set(_PTB_LOGGERS)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) and secret in f.secrets for f in logger.filters):
            logger.addFilter(RedactingFilter([secret]))
