"""Settings read from `JFA_*` environment variables and an optional `.env` file.

Every setting is documented in the README's configuration table; keep the two in step.
Problems are reported as one line per variable by :func:`describe_errors`, never as a
traceback, so an operator sees exactly which variable to fix.

Secrets can also be files: with Docker secrets, `/run/secrets/jfa_bot_token` (the variable's
name in lower case) holds the token. Environment variables win over those files.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

__all__ = ["DOCKER_SECRETS_DIR", "SUPPORTED_LOCALES", "Settings", "describe_errors"]

#: Where Docker (and compose) mount secrets; read when it exists.
DOCKER_SECRETS_DIR = Path("/run/secrets")

#: Locales with a complete catalog shipped in `locales/`.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "fr", "es", "pt", "ar", "sw")

_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
_ENV_PREFIX = "JFA_"


def _split_csv(value: Any) -> Any:
    """Turn `a, b,c` into `["a", "b", "c"]`; leave other values to pydantic."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """The bot's configuration; the field name upper-cased with `JFA_` is the variable."""

    model_config = SettingsConfigDict(
        env_prefix=_ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    bot_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather (`123456:ABC...`)."
    )
    db_path: Path = Field(default=Path("jfa_bot.sqlite3"), description="The SQLite file.")
    admin_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), description="Telegram user ids of organizers, comma separated."
    )
    default_locale: str = Field(default="en", description="Language when none is known.")
    locales: Annotated[tuple[str, ...], NoDecode] = Field(
        default=SUPPORTED_LOCALES, description="Languages offered to users, comma separated."
    )
    api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL (a self-hosted Bot API server or the stand-in).",
    )
    file_base_url: str = Field(
        default="https://api.telegram.org/file/bot", description="Bot API file base URL."
    )
    content_dir: Path | None = Field(
        default=None, description="A folder of content files that replaces the shipped sample."
    )
    timezone: str = Field(default="UTC", description="IANA time zone for schedules and dates.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    flow_timeout_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="Idle minutes before a form is abandoned."
    )

    milestones: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000),
        description="Signature counts recorded as milestones, comma separated.",
    )

    campaign_start: dt.date = Field(
        default=dt.date(2026, 9, 7),
        description="Monday of week 1 of the 10 Weeks of Action (YYYY-MM-DD).",
    )
    rate_limit: int = Field(
        default=30, ge=1, le=30, description="Telegram's overall limit, messages per second."
    )
    broadcast_rate: int = Field(
        default=30,
        ge=1,
        le=30,
        description="Most broadcast messages per second (free tier); replies always go first.",
    )
    paid_broadcast: bool = Field(
        default=False, description="Use allow_paid_broadcast (0.1 Star per message)."
    )
    paid_broadcast_rate: int = Field(
        default=1000, ge=1, le=1000, description="Messages per second with paid broadcasts."
    )
    broadcast_in_flight: int = Field(
        default=25,
        ge=1,
        le=500,
        description="Sends in flight at once: the most a crash can duplicate.",
    )
    chat_burst: int = Field(
        default=1,
        ge=1,
        le=20,
        description="Messages into one chat within a second (1: Telegram's documented limit).",
    )
    concurrent_updates: int = Field(
        default=128,
        ge=1,
        le=10_000,
        description="Updates handled at once; each chat's updates stay in order.",
    )
    flood_rate: float = Field(
        default=5.0,
        gt=0,
        le=100,
        description="Updates per second one user may keep up (burst: twice that); "
        "beyond it they get one warning and the excess is dropped.",
    )
    public_country_min: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Signers a country needs before /count and /count.json name it "
        "(fewer could single a person out); organizers always see every country.",
    )
    broadcast_max_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries per recipient for temporary failures."
    )
    broadcast_weekday: int | None = Field(
        default=None,
        ge=1,
        le=7,
        description="Weekly spotlight day, 1 = Monday ... 7 = Sunday; unset: no schedule.",
    )
    broadcast_time: dt.time = Field(
        default=dt.time(10, 0), description="Weekly spotlight time (HH:MM, JFA_TIMEZONE)."
    )

    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Remove names and organisations of signatures older than this; unset: keep.",
    )
    export_keep_hours: float = Field(
        default=24,
        gt=0,
        lt=48,
        description="Hours an export holding names stays in the organizer's chat before the "
        "bot deletes it (Telegram lets a bot delete a message only within 48 hours).",
    )
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts updates to (webhook mode)."
    )
    webhook_listen: str = Field(default="127.0.0.1", description="Address the webhook listens on.")
    webhook_port: int = Field(default=8080, ge=1, le=65535, description="Webhook port.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token."
    )
    http_listen: str = Field(
        default="127.0.0.1", description="Address of the operations server (polling mode)."
    )
    http_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of /healthz, /count.json and /metrics in polling mode; unset: none.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="text for people, json (one object a line) for collectors."
    )
    backup_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days `jfa-bot backup DIR` keeps its backups; said in /privacy.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read Docker secrets from /run/secrets when that folder exists (no warning if not)."""
        if (
            isinstance(file_secret_settings, SecretsSettingsSource)
            and file_secret_settings.secrets_dir is None
            and DOCKER_SECRETS_DIR.is_dir()
        ):
            file_secret_settings.secrets_dir = DOCKER_SECRETS_DIR
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()
        ):
            raise ValueError("must be 16-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("admin_ids", "locales", "milestones", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not _TOKEN_RE.match(value.get_secret_value().strip()):
            # Never echo the value: a half-pasted token is still a secret.
            raise ValueError("does not look like a bot token (expected 123456:ABC-DEF...)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("locales")
    @classmethod
    def _known_locales(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in SUPPORTED_LOCALES]
        if unknown:
            choices = ", ".join(SUPPORTED_LOCALES)
            raise ValueError(f"unknown locale(s) {', '.join(unknown)}; choose from {choices}")
        if not value:
            raise ValueError("at least one locale is needed")
        return tuple(dict.fromkeys(value))

    @field_validator("default_locale")
    @classmethod
    def _known_default(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(
                f"unknown locale {value!r}; choose from {', '.join(SUPPORTED_LOCALES)}"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use a name like Africa/Nairobi)"
            ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("api_base_url", "file_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _headroom(self) -> Settings:
        if self.broadcast_rate > self.rate_limit:
            raise ValueError("JFA_BROADCAST_RATE cannot exceed JFA_RATE_LIMIT")
        return self

    @model_validator(mode="after")
    def _default_is_enabled(self) -> Settings:
        if self.default_locale not in self.locales:
            raise ValueError(f"JFA_DEFAULT_LOCALE {self.default_locale!r} is not in JFA_LOCALES")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """Return the configured time zone."""
        return ZoneInfo(self.timezone)

    @property
    def send_rate(self) -> int:
        """Return the broadcast rate in force (paid tier or free tier)."""
        return self.paid_broadcast_rate if self.paid_broadcast else self.broadcast_rate

    def token(self) -> str:
        """Return the bot token; raise if none is configured."""
        if self.bot_token is None:
            raise ValueError("JFA_BOT_TOKEN is not set")
        return self.bot_token.get_secret_value()

    def is_admin(self, user_id: int | None) -> bool:
        """Tell whether a Telegram user is one of the organizers."""
        return user_id is not None and user_id in self.admin_ids


def describe_errors(error: ValidationError) -> list[str]:
    """Turn a settings validation error into one line per variable, without values."""
    lines = []
    for item in error.errors():
        loc = item.get("loc") or ()
        field = str(loc[0]) if loc else ""
        variable = _ENV_PREFIX + field.upper() if field else "settings"
        message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
        if len(loc) > 1:
            message = f"item {loc[1]}: {message}"
        lines.append(f"{variable}: {message}")
    return lines
