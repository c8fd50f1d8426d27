"""The `jfa-bot` command: run the bot, try it locally, and operate its database."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from jfa_bot import __version__
from jfa_bot.logs import install_excepthooks, redact, register_secret, setup_logging
from jfa_bot.settings import Settings, describe_errors

__all__ = ["main"]

EXIT_CONFIG = 2
BACKUP_PREFIX = "jfa-backup-"
_ALL_INTERFACES = ("0.0.0.0", "::")  # noqa: S104  (listen addresses, asked on loopback)

_GETTING_STARTED = """\
error: JFA_BOT_TOKEN is not set.
  Get a token from @BotFather in Telegram (send /newbot), then run:
      JFA_BOT_TOKEN=123456:ABC... jfa-bot run
  To try the bot right now without a token, run:
      jfa-bot try"""


def _load_settings(**overrides: object) -> Settings:
    """Read the settings, or print one line per problem and exit with status 2."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]  # validated by pydantic
    except ValidationError as error:
        for line in describe_errors(error):
            print(f"error: {line}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    # Whatever fails from here on, neither secret is ever printed.
    if settings.bot_token is not None:
        register_secret(settings.token())
    if settings.webhook_secret is not None:
        register_secret(settings.webhook_secret.get_secret_value())
    return settings


def _database_folder_problem(db_path: Path) -> str | None:
    """Return one line saying why the database cannot be written there, or None if it can."""
    folder = db_path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Create a file, as SQLite will: this also catches read-only mounts and ownership.
        with tempfile.TemporaryFile(dir=folder):
            pass
        if db_path.exists() and not os.access(db_path, os.R_OK | os.W_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as error:
        return (
            f"error: the database folder {folder} is not writable by this user "
            f"(uid {os.getuid()}): {error.strerror}; give it to this user (in the image: "
            f"chown 10001 /data) or set JFA_DB_PATH"
        )
    return None


def _write_owner_only(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (exports and backups hold personal data)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _cmd_run(args: argparse.Namespace) -> int:
    """Run the bot against Telegram by long polling until interrupted."""
    settings = _load_settings()
    if settings.bot_token is None:
        print(_GETTING_STARTED, file=sys.stderr)
        return EXIT_CONFIG
    problem = _database_folder_problem(settings.db_path)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, secrets=[settings.token()], log_format=settings.log_format)
    _warn_about_readable_env_file()
    from telegram import Update

    from jfa_bot.app import BOOTSTRAP_RETRIES, build_application
    from jfa_bot.content import ContentError

    try:
        app = build_application(settings)
    except ContentError as error:
        print(
            f"error: the content is not valid; the bot will not start:\n{error}", file=sys.stderr
        )
        return EXIT_CONFIG
    # What is loaded by now (modules, catalogs, content, CLDR names) lives as long as the
    # process: frozen, the collector's full passes skip it. They had to walk ~85,000
    # objects and stalled every reply and send by up to 75 ms (benchmarks/RESULTS.md).
    gc.collect()
    gc.freeze()
    if args.webhook:
        if settings.webhook_url is None or settings.webhook_secret is None:
            print(
                "error: webhook mode needs JFA_WEBHOOK_URL and JFA_WEBHOOK_SECRET",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        from jfa_bot.webhook import run_webhook

        asyncio.run(run_webhook(app, settings))
        return 0
    # A network blip at start-up is retried (growing pauses) instead of ending the bot.
    app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=BOOTSTRAP_RETRIES)
    return 0


def _warn_about_readable_env_file(path: Path = Path(".env")) -> None:
    """Say so when the .env file (it may hold the token) is readable by other accounts."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        logging.getLogger(__name__).warning(
            "%s can be read by other users of this machine, and it may hold the bot token: "
            "chmod 600 %s",
            path,
            path,
        )


def _cmd_try(args: argparse.Namespace) -> int:
    """Run the real bot against the built-in Telegram stand-in, chatting in this terminal."""
    from jfa_bot.tryout import run_tryout

    base = _load_settings()
    if args.db and Path(args.db).resolve() == Path(base.db_path).resolve():
        # Against a stand-in, real people's records would change while nothing reaches
        # Telegram (a weekly post recorded as delivered to every subscriber, say).
        print(
            "error: --db is the bot's own database (JFA_DB_PATH); `jfa-bot try` would act "
            "on real people's records without reaching them. Try it on a copy.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    setup_logging(args.log_level or "WARNING")
    with tempfile.TemporaryDirectory(prefix="jfa-try-") as tmp:
        db_path = Path(args.db) if args.db else Path(tmp) / "try.sqlite3"
        asyncio.run(
            run_tryout(
                base,
                db_path=db_path,
                language_code=args.lang,
                organizer=args.organizer,
                latency=(args.latency_ms / 1000, args.jitter_ms / 1000),
            )
        )
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending database migrations and report the schema version."""
    settings = _load_settings()
    problem = _database_folder_problem(settings.db_path)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, log_format=settings.log_format)
    from jfa_bot.store import Database

    async def migrate() -> tuple[list[int], int]:
        db = await Database.open(settings.db_path, migrate=False)
        try:
            applied = await db.migrate()
            return applied, await db.schema_version()
        finally:
            await db.close()

    applied, version = asyncio.run(migrate())
    done = f"applied {', '.join(map(str, applied))}" if applied else "nothing to apply"
    print(f"{settings.db_path}: schema version {version} ({done})")
    return 0


def _http_health(host: str, port: int) -> int:
    """Ask the running bot's /healthz; exit 0 on 200."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=10) as answer:
            print(answer.read().decode("utf-8", "replace"))
            return 0
    except urllib.error.HTTPError as error:
        print(f"unhealthy: {error.read().decode('utf-8', 'replace')}", file=sys.stderr)
    except OSError as error:
        print(f"unhealthy: the bot does not answer on {host}:{port}: {error}", file=sys.stderr)
    return 1


def _cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot says it is healthy, or (no server) the database is sound."""
    settings = _load_settings()
    if settings.http_port:
        # The bot's own cached verdict: cheap, and no second reader on a big database.
        host = settings.http_listen
        if host in _ALL_INTERFACES:
            host = "127.0.0.1"
        return _http_health(host, settings.http_port)
    from jfa_bot.store import Database
    from jfa_bot.store.migrations import MIGRATIONS

    async def check() -> str | None:
        if not settings.db_path.exists():
            return f"{settings.db_path} does not exist"
        db = await Database.open(settings.db_path, migrate=False)
        try:
            version = await db.schema_version()
            if version != len(MIGRATIONS):
                return f"schema version {version}, expected {len(MIGRATIONS)}"
            verdict = await db.scalar("PRAGMA quick_check")
            return None if verdict == "ok" else f"quick_check: {verdict}"
        finally:
            await db.close()

    problem = asyncio.run(check())
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    print("ok")
    return 0


def _checkout_locales(start: Path) -> Path | None:
    """Return the `locales/` of the source checkout holding `start`, if it is in one."""
    for folder in (start, *start.parents):
        if (folder / "locales" / "messages.pot").is_file() and (folder / "jfa_bot").is_dir():
            return folder / "locales"
    return None


def _cmd_catalogs(args: argparse.Namespace) -> int:
    """Extract, update, compile or check the translation catalogs."""
    from jfa_bot import catalogs
    from jfa_bot.i18n import locales_dir

    if args.action == "merge":
        base, ours, theirs, name = (Path(p) for p in args.paths)
        return catalogs.merge(base, ours, theirs, name)
    # A translator works on the checkout they are in, not on the copy pip installed.
    folder = Path(args.dir) if args.dir else _checkout_locales(Path.cwd()) or locales_dir()
    folder = folder.resolve()
    if not (folder / "messages.pot").is_file():
        print(f"no catalogs in {folder} (no messages.pot)", file=sys.stderr)
        return 2
    sources = folder.parent / "jfa_bot"
    package_dir = sources if sources.is_dir() else Path(__file__).resolve().parent
    if args.action == "update":
        catalogs.update(package_dir, folder)
        print(f"updated {folder}/messages.pot and every messages.po")
        return 0
    if args.action == "compile":
        for path in catalogs.compile_all(folder):
            print(f"compiled {path}")
        return 0
    print(f"checking {folder}")
    problems = catalogs.check(folder)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "all catalogs complete")
    return 1 if problems else 0


def _cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database with SQLite's online backup API (safe while the bot runs)."""
    import sqlite3

    settings = _load_settings()
    if not settings.db_path.exists():
        print(f"error: {settings.db_path} does not exist", file=sys.stderr)
        return 1
    target = Path(args.path)
    rotate = target.is_dir()  # a folder: a dated file in it, and old ones deleted
    if rotate:
        target = target / time.strftime(f"{BACKUP_PREFIX}%Y%m%dT%H%M%SZ.sqlite3", time.gmtime())
    try:
        source = sqlite3.connect(f"file:{settings.db_path}?mode=ro", uri=True)
        try:
            _write_owner_only(target, b"")  # created 0600 before SQLite fills it
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
    except (sqlite3.Error, OSError) as error:
        print(f"error: could not write the backup to {target}: {error}", file=sys.stderr)
        return 1
    print(f"backed up {settings.db_path} to {target}")
    if rotate:
        for old in _prune_backups(target.parent, settings.backup_retention_days):
            print(f"deleted {old} (older than {settings.backup_retention_days} days)")
    return 0


def _prune_backups(folder: Path, days: int) -> list[Path]:
    """Delete this command's backups in `folder` older than `days`: erased data expires."""
    cutoff = time.time() - days * 86400
    deleted = []
    for path in sorted(folder.glob(f"{BACKUP_PREFIX}*.sqlite3")):
        if path.stat().st_mtime < cutoff:
            path.unlink()
            deleted.append(path)
    return deleted


def _cmd_stats(args: argparse.Namespace) -> int:
    """Print the same figures as /stats."""
    settings = _load_settings()
    from jfa_bot.i18n import Translator
    from jfa_bot.reports import collect_stats, stats_text
    from jfa_bot.store import Store
    from jfa_bot.telegram_html import parse_html

    async def figures() -> str:
        store = await Store.open(settings.db_path)
        try:
            stats = await collect_stats(store, settings.zone)
        finally:
            await store.close()
        return parse_html(stats_text(Translator.for_locale(settings.default_locale), stats))

    print(asyncio.run(figures()))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    """Write an export to a file and record it in the audit log."""
    settings = _load_settings()
    from jfa_bot import exports
    from jfa_bot.store import Store

    async def build() -> bytes:
        store = await Store.open(settings.db_path)
        try:
            if args.kind == "signatures":
                data = await exports.signatures_csv(store)
            elif args.kind == "handover":
                data = await exports.handover_zip(store)
            else:
                data = await exports.count_feed(store, min_count=settings.public_country_min)
            await store.audit.add(None, "export", f"{args.kind} via command line")
            return data
        finally:
            await store.close()

    data = asyncio.run(build())
    try:
        _write_owner_only(Path(args.path), data)
    except OSError as error:
        print(f"error: could not write {args.path}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {args.path} ({len(data)} bytes)")
    return 0


def _cmd_content(args: argparse.Namespace) -> int:
    """Check the content folder, or rebuild the sample Action Pack PDFs from their text."""
    from jfa_bot.content import SAMPLE_DIR
    from jfa_bot.content.check import check_content

    folder = Path(args.dir) if args.dir else (_load_settings().content_dir or SAMPLE_DIR)
    if args.action == "pdf":
        from jfa_bot.content.pdf import text_to_pdf

        for source in sorted(folder.glob("*/action-pack.txt")):
            target = source.with_suffix(".pdf")
            text = source.read_text(encoding="utf-8")
            target.write_bytes(text_to_pdf(text, locale=source.parent.name))
            print(f"wrote {target}")
        return 0
    problems = check_content(folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {folder}")
        return 1
    from jfa_bot.content.check import content_notes

    for note in content_notes(folder):
        print(f"note: {note}")
    print(f"{folder}: content is valid")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="jfa-bot",
        description="The Telegram bot of the Justice For All campaign. "
        "Settings come from JFA_* environment variables or a .env file (see the README).",
    )
    parser.add_argument("--version", action="version", version=f"jfa-bot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook")
    run.set_defaults(func=_cmd_run)

    backup = sub.add_parser("backup", help="copy the database safely while the bot runs")
    backup.add_argument(
        "path",
        help="the backup file to write, or a folder: a dated file in it, and its backups "
        "older than JFA_BACKUP_RETENTION_DAYS deleted",
    )
    backup.set_defaults(func=_cmd_backup)

    sub.add_parser("stats", help="print the campaign's figures").set_defaults(func=_cmd_stats)

    export = sub.add_parser("export", help="write an export file (withheld names never included)")
    export.add_argument("kind", choices=["signatures", "handover", "counts"])
    export.add_argument("path", help="the file to write")
    export.set_defaults(func=_cmd_export)

    tryout = sub.add_parser(
        "try", help="chat with the real bot here, against a local Telegram stand-in (no token)"
    )
    tryout.add_argument("--lang", default="en", help="your simulated Telegram language (en)")
    tryout.add_argument("--db", help="keep the database in this file instead of a temporary one")
    tryout.add_argument(
        "--organizer",
        action="store_true",
        help="chat as an organizer: /broadcast, /broadcasts, /stats, /export, /audit, /reload",
    )
    tryout.add_argument(
        "--latency-ms",
        type=float,
        default=80.0,
        help="the stand-in's round trip per Bot API call, like real Telegram (80)",
    )
    tryout.add_argument("--jitter-ms", type=float, default=40.0, help="± on that round trip (40)")
    tryout.add_argument("--log-level", help="show the bot's logs at this level (WARNING)")
    tryout.set_defaults(func=_cmd_try)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_cmd_migrate)
    sub.add_parser("health", help="check the database (for container health checks)").set_defaults(
        func=_cmd_health
    )
    content = sub.add_parser("content", help="check the content, or rebuild sample PDFs")
    content.add_argument("action", choices=["check", "pdf"])
    content.add_argument("--dir", help="content folder (default: JFA_CONTENT_DIR or the sample)")
    content.set_defaults(func=_cmd_content)

    catalogs = sub.add_parser("catalogs", help="translators' tools (see the README)")
    catalogs.add_argument("action", choices=["update", "check", "compile", "merge"])
    catalogs.add_argument(
        "paths", nargs="*", help="merge only: BASE OURS THEIRS PATH (a git merge driver)"
    )
    catalogs.add_argument(
        "--dir",
        help="the locales folder to work on (default: the checkout's locales/ when run "
        "inside a source checkout, else the installed copy)",
    )
    catalogs.set_defaults(func=_cmd_catalogs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `jfa-bot` command line."""
    args = build_parser().parse_args(argv)
    install_excepthooks()
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        from telegram.error import InvalidToken

        if isinstance(error, InvalidToken):
            # Its message quotes the token: one plain line instead of the traceback.
            print(
                "error: Telegram rejected the bot token (or JFA_API_BASE_URL does not lead "
                "to the Bot API): check JFA_BOT_TOKEN and JFA_API_BASE_URL",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        # Anything else: the traceback helps, with every secret taken out.
        sys.stderr.write(redact("".join(traceback.format_exception(error))))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
