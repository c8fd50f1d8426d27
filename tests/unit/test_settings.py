from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from jfa_bot.settings import Settings, describe_errors


def errors_for(**env: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Settings(**env)  # type: ignore[arg-type]
    return describe_errors(caught.value)


def test_admin_ids_and_locales_accept_comma_separated_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JFA_ADMIN_IDS", "1, 2,3")
    monkeypatch.setenv("JFA_LOCALES", "fr,en")
    monkeypatch.setenv("JFA_DEFAULT_LOCALE", "fr")
    settings = Settings()
    assert settings.admin_ids == (1, 2, 3)
    assert settings.locales == ("fr", "en")
    assert settings.is_admin(2) and not settings.is_admin(4) and not settings.is_admin(None)


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("JFA_TIMEZONE=Africa/Nairobi\nJFA_LOG_LEVEL=debug\n")
    settings = Settings()
    assert settings.timezone == "Africa/Nairobi"
    assert settings.log_level == "DEBUG"


def test_each_bad_setting_is_named_once_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JFA_ADMIN_IDS", "12,abc")
    monkeypatch.setenv("JFA_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("JFA_BOT_TOKEN", "not-a-token-but-secret")
    with pytest.raises(ValidationError) as caught:
        Settings()
    lines = describe_errors(caught.value)
    assert [line.split(":")[0] for line in lines] == [
        "JFA_BOT_TOKEN",
        "JFA_ADMIN_IDS",
        "JFA_TIMEZONE",
    ]
    assert not any("not-a-token-but-secret" in line for line in lines)


def test_unknown_locale_is_refused() -> None:
    lines = errors_for(locales="en,xx")
    assert lines == ["JFA_LOCALES: unknown locale(s) xx; choose from en, fr, es, pt, ar, sw"]


def test_default_locale_must_be_enabled() -> None:
    lines = errors_for(locales="en,fr", default_locale="sw")
    assert len(lines) == 1 and "JFA_DEFAULT_LOCALE" in lines[0]


def test_token_is_secret_in_repr() -> None:
    settings = Settings(bot_token="123456:ABCDEFGHIJKLMNOP")  # type: ignore[arg-type]
    assert "ABCDEFGHIJKLMNOP" not in repr(settings)
    assert settings.token() == "123456:ABCDEFGHIJKLMNOP"
