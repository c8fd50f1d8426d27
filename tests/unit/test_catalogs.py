"""The catalogs are complete in every language, and the check that says so can fail."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from babel.messages.catalog import Catalog
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


def test_every_catalog_uses_the_locked_babel_plural_rule() -> None:
    from babel.messages.plurals import get_plural

    for locale in SUPPORTED_LOCALES:
        with (locales_dir() / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        expected = get_plural(locale)
        assert (catalog.num_plurals, catalog.plural_expr) == (
            expected.num_plurals,
            expected.plural_expr,
        ), locale


def test_a_catalog_on_an_old_plural_rule_is_reported_and_update_carries_its_forms(
    tmp_path: Path,
) -> None:
    # A copy of the project whose French and Arabic catalogs use the rules Babel 2.18 wrote.
    package = tmp_path / "jfa_bot"
    shutil.copytree(Path(jfa_bot.__file__).parent, package)
    folder = tmp_path / "locales"
    shutil.copytree(locales_dir(), folder)
    old_rules = {
        "fr": ("nplurals=2; plural=(n > 1);", 2, {0: 0, 1: 2}),
        # The old Arabic rule put 100–102 in form 4 and 11–99 in form 5; CLDR swaps them.
        "ar": (
            "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
            ": n%100>=0 && n%100<=2 ? 4 : 5);",
            6,
            {0: 0, 1: 1, 2: 2, 3: 3, 4: 5, 5: 4},
        ),
    }
    originals = {}
    for locale, (header, count, new_of_old) in old_rules.items():
        path = folder / locale / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        originals[locale] = {m.id: m.string for m in catalog if isinstance(m.id, tuple)}
        catalog._num_plurals, catalog._plural_expr = count, header.split("plural=")[1][:-1]
        for message in catalog:
            if isinstance(message.id, tuple):
                new = message.string
                message.string = tuple(new[new_of_old[i]] for i in range(count))
        catalogs._write(path, catalog)

    problems = "\n".join(catalogs.check(folder))
    assert "fr/LC_MESSAGES/messages.po:0: the catalog's plural rule (2 forms) differs" in problems
    assert "ar/LC_MESSAGES/messages.po:0: the catalog's plural rule (6 forms) differs" in problems
    assert "jfa-bot catalogs update" in problems

    catalogs.update(package, folder)
    for locale in old_rules:
        with (folder / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
            catalog = read_po(fp, locale=locale)
        migrated = {m.id: m for m in catalog if isinstance(m.id, tuple)}
        for message_id, strings in originals[locale].items():
            message = migrated[message_id]
            if locale == "ar":  # a pure reordering: every form lands where it belongs
                assert tuple(message.string) == tuple(strings)
                assert not message.fuzzy
            else:  # French gains the form for exact millions: a copy to review, marked fuzzy
                assert message.string[0] == strings[0] and message.string[2] == strings[2]
                assert message.fuzzy
    assert "fuzzy" in "\n".join(catalogs.check(folder))


def test_merge_driver_keeps_both_sides_entries_and_one_sided_changes(tmp_path: Path) -> None:
    from babel.messages.catalog import Message

    name = Path("locales/fr/LC_MESSAGES/messages.po")
    source = locales_dir() / "fr" / "LC_MESSAGES" / "messages.po"

    def edited(label: str, change: Callable[[Catalog], None]) -> Path:
        catalog = catalogs._read(source, "fr")
        change(catalog)
        path = tmp_path / f"{label}.po"
        catalogs._write(path, catalog)
        return path

    def ours_change(catalog: Catalog) -> None:
        catalog["Added on our side"] = Message("Added on our side", "Ajouté de notre côté")
        catalog["Main menu"].string = "Menu (nous)"  # both sides change this one

    def theirs_change(catalog: Catalog) -> None:
        catalog["Added on their side"] = Message("Added on their side", "Ajouté de leur côté")
        catalog["Choose your language:"].string = "Choisissez votre langue :"
        catalog["Main menu"].string = "Menu (eux)"
        catalog.delete("Get the Action Pack")

    base = edited("base", lambda catalog: None)
    ours = edited("ours", ours_change)
    theirs = edited("theirs", theirs_change)
    assert catalogs.merge(base, ours, theirs, name) == 0

    merged = catalogs._read(ours, "fr")
    assert merged["Added on our side"].string == "Ajouté de notre côté"
    assert merged["Added on their side"].string == "Ajouté de leur côté"
    assert merged["Choose your language:"].string == "Choisissez votre langue :"
    assert merged.get("Get the Action Pack") is None
    conflicted = merged["Main menu"]
    assert conflicted.string == "Menu (nous)" and conflicted.fuzzy
