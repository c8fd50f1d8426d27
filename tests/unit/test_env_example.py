""".env.example stays true: it lists every setting, and its values are the defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jfa_bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"


def test_every_setting_is_listed_in_the_env_example() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [
        f"JFA_{name.upper()}"
        for name in Settings.model_fields
        if not re.search(rf"^(# )?JFA_{name.upper()}=", text, re.MULTILINE)
    ]
    assert not missing, f"add to .env.example: {missing}"


def test_an_operator_who_copies_the_env_example_gets_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    from_example = Settings()
    defaults = Settings(_env_file=None)
    assert from_example.model_dump() == defaults.model_dump()


def test_the_token_can_come_from_a_docker_secret_file(tmp_path: Path) -> None:
    (tmp_path / "jfa_bot_token").write_text("123456:From-a-docker-secret\n", encoding="utf-8")
    settings = Settings(_secrets_dir=tmp_path)
    assert settings.token() == "123456:From-a-docker-secret"
