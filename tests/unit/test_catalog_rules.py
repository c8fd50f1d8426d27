"""The house rules of every catalog hold, and `catalogs check` reports a string that breaks one.

French typography, Arabic bidi isolation of commands, numbers, links and Latin names, the
glossary's words to avoid, and the `--dir` the translators' tools work on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from bidi import get_display

from jfa_bot import catalogs
from jfa_bot.catalog_style import FSI, LRI, PDI, Glossary, isolate_arabic, style_problems
from jfa_bot.i18n import Translator, locales_dir

ISOLATED = re.compile(r"[\u2066\u2068][^\u2069]*\u2069")
COMMAND = re.compile(r"(?<![\w/])/[a-z][a-z_]*")
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")
TAG = re.compile(r"<[^>]+>")
PRIVACY_NOTE = (
    "We will keep what you told us, with your language and the time, so the campaign's "
    "organizers can see who uses the Action Pack and where. You can download or erase it "
    "at any time: /mydata, /forget."
)


def arabic_strings() -> list[str]:
    with (locales_dir() / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale="ar")
    strings: list[str] = []
    for message in catalog:
        if message.id:
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            strings += [str(form) for form in forms if form]
    return strings


def test_mydata_and_forget_read_correctly_in_the_arabic_text() -> None:
    text = Translator.for_locale("ar").gettext(PRIVACY_NOTE)
    shown = get_display(text, base_dir="R")
    assert "/mydata" in shown and "/forget" in shown
    assert "mydata/" not in shown and "forget/" not in shown
    # Without the isolates the bidi algorithm moves the slash: the case the issue reported.
    bare = get_display(text.replace(LRI, "").replace(PDI, ""), base_dir="R")
    assert "mydata/" in bare


def test_every_command_in_arabic_text_reads_left_to_right() -> None:
    checked = 0
    for text in arabic_strings():
        shown = get_display(text, base_dir="R")
        for command in COMMAND.findall(TAG.sub("", text)):
            checked += 1
            assert command in shown, (command, text)
    assert checked >= 10


def test_every_arabic_command_and_placeholder_is_isolated() -> None:
    loose = []
    for text in arabic_strings():
        rest = ISOLATED.sub("", TAG.sub("", text))
        loose += COMMAND.findall(rest) + PLACEHOLDER.findall(rest)
    assert loose == []


def test_numbers_take_a_left_to_right_isolate_and_names_their_own_direction() -> None:
    text = isolate_arabic('شكرًا لكم، {name}! رقم {number}: /sign <a href="{url}">CSV</a>')
    assert f"{FSI}{{name}}{PDI}" in text
    assert f"{LRI}{{number}}{PDI}" in text
    assert f"{LRI}/sign{PDI}" in text
    assert 'href="{url}"' in text  # an attribute is not text: left alone
    assert f"{LRI}CSV{PDI}" in text
    assert isolate_arabic(text) == text


@pytest.mark.parametrize(
    ("locale", "text", "broken"),
    [
        ("fr", "Que souhaitez-vous faire ?", True),  # a plain space before "?"
        ("fr", "Nom: {name}", True),  # no space at all
        ("fr", "Utiliser « {name} »", True),
        ("fr", "Que souhaitez-vous faire\u00a0? Voir https://example.org\u00a0!", False),
        ("fr", "Utiliser «\u00a0{name}\u00a0»", False),
        ("ar", "عبر الأمرين /mydata و /forget", True),
        ("ar", "وقّع {n} شخصًا", True),
        ("ar", "حملة Justice For All", True),
        ("ar", f"عبر الأمرين {LRI}/mydata{PDI} و {LRI}/forget{PDI}", False),
        ("es", "¿Qué quieres difundir?", False),
        ("es", "Qué quieres difundir?", True),
        ("es", "Gracias!", True),
    ],
)
def test_the_house_rules_catch_what_they_should(locale: str, text: str, broken: bool) -> None:
    assert bool(style_problems(text, locale, Glossary())) is broken


def test_a_french_plain_space_and_an_avoided_word_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "locales"
    shutil.copytree(locales_dir(), folder)
    french = folder / "fr" / "LC_MESSAGES" / "messages.po"
    text = french.read_text(encoding="utf-8")
    french.write_text(text.replace("diffuser\u00a0?", "diffuser ?", 1), encoding="utf-8")
    portuguese = folder / "pt" / "LC_MESSAGES" / "messages.po"
    text = portuguese.read_text(encoding="utf-8")
    portuguese.write_text(text.replace("quatro bilhões", "quatro mil milhões"), encoding="utf-8")

    problems = "\n".join(catalogs.check(folder))
    assert "French: put a no-break space" in problems
    assert "glossary: write 'bilhões', not 'mil milhões'" in problems


def run_catalogs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jfa_bot", "catalogs", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_catalogs_check_reports_an_emptied_french_string_in_a_dir_copy(tmp_path: Path) -> None:
    folder = tmp_path / "copy" / "locales"
    shutil.copytree(locales_dir(), folder)
    french = folder / "fr" / "LC_MESSAGES" / "messages.po"
    lines = french.read_text(encoding="utf-8").splitlines()
    at = lines.index('msgid "Choose your language:"')
    lines[at + 1] = 'msgstr ""'
    french.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_catalogs("check", "--dir", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    assert f"checking {folder.resolve()}" in result.stdout
    assert "fr/LC_MESSAGES/messages.po" in result.stdout
    assert "untranslated: 'Choose your language:'" in result.stdout

    # The same copy, when it is a checkout the translator stands in, needs no --dir.
    (folder.parent / "jfa_bot").mkdir()
    inside = run_catalogs("check", cwd=folder.parent / "jfa_bot")
    assert f"checking {folder.resolve()}" in inside.stdout
    assert "untranslated: 'Choose your language:'" in inside.stdout


def test_catalogs_refuse_a_dir_without_catalogs(tmp_path: Path) -> None:
    result = run_catalogs("check", "--dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "no messages.pot" in result.stderr
