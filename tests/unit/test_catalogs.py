"""The catalogs are complete in every language, and the check that says so can fail."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.pofile import read_po

import jfa_bot
from jfa_bot import catalogs
from jfa_bot.i18n import locales_dir
from jfa_bot.settings import SUPPORTED_LOCALES


def test_every_catalog_is_complete() -> None:
    assert catalogs.check(locales_dir()) == []


def test_template_matches_the_source_strings() -> None:
    extracted = {m.id for m in catalogs.extract(Path(jfa_bot.__file__).parent) if m.id}
    with (locales_dir() / "messages.pot").open("rb") as fp:
        in_template = {m.id for m in read_po(fp) if m.id}
    missing = extracted - in_template
    assert not missing, f"run `jfa-bot catalogs update`: {sorted(map(str, missing))[:5]}"
    assert not in_template - extracted, "the template holds strings the code no longer uses"


def test_arabic_has_six_plural_forms() -> None:
    with (locales_dir() / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale="ar")
    assert catalog.num_plurals == 6


def test_every_supported_locale_has_a_catalog() -> None:
    for locale in SUPPORTED_LOCALES:
        assert (locales_dir() / locale / "LC_MESSAGES" / "messages.po").is_file()


def test_check_reports_untranslated_fuzzy_and_placeholder_problems(tmp_path: Path) -> None:
    folder = tmp_path / "locales"
    shutil.copytree(locales_dir(), folder)
    po_path = folder / "fr" / "LC_MESSAGES" / "messages.po"
    text = po_path.read_text(encoding="utf-8")
    # Break three entries: empty one, mark one fuzzy, rename a placeholder.
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if line == 'msgid "Choose your language:"')
    lines[target + 1] = 'msgstr ""'
    marker = next(i for i, line in enumerate(lines) if line.startswith('msgid "Main menu"'))
    lines.insert(marker, "#, fuzzy")
    language = next(i for i, line in enumerate(lines) if "{language}" in line and "msgstr" in line)
    lines[language] = lines[language].replace("{language}", "{langue}")
    po_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    problems = catalogs.check(folder)
    joined = "\n".join(problems)
    assert "untranslated: 'Choose your language:'" in joined
    assert "fuzzy: 'Main menu'" in joined
    assert "placeholders differ" in joined
    assert all(p.startswith(str(po_path)) for p in problems)
