"""The README stays true: every setting is in its configuration table."""

from __future__ import annotations

from pathlib import Path

from jfa_bot.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [
        f"JFA_{name.upper()}"
        for name in Settings.model_fields
        if f"`JFA_{name.upper()}`" not in text
    ]
    assert not missing, f"add to the README's configuration table: {missing}"


def test_the_ci_script_runs_the_readme_test_command() -> None:
    command = next(
        line for line in README.read_text(encoding="utf-8").splitlines() if "pytest" in line
    )
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert command.strip() in ci
