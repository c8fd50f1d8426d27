"""Translators' tools: extract messages, update every catalog, check completeness.

`jfa-bot catalogs update` extracts the source strings into `locales/messages.pot`, merges
them into each `messages.po` (English is filled from the source), and `jfa-bot catalogs
check` lists every missing, fuzzy or inconsistent translation as `file:line: problem`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from jfa_bot import __version__
from jfa_bot.settings import SUPPORTED_LOCALES

__all__ = ["check", "compile_all", "extract", "placeholders", "update"]

DOMAIN = "messages"
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "noop": None}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_TAG = re.compile(r"</?([a-z-]+)[^>]*>")
_SOURCE_LOCALE = "en"


def placeholders(text: str) -> set[str]:
    """Return the named `{placeholders}` of a message."""
    return set(_PLACEHOLDER.findall(text))


def _tags(text: str) -> list[str]:
    return sorted(_TAG.findall(text))


def extract(package_dir: Path) -> Catalog:
    """Extract every translatable message of the package into a template catalog."""
    template = Catalog(
        project="jfa-bot",
        version=__version__,
        copyright_holder="Justice For All campaign",
        charset="utf-8",
        fuzzy=False,
    )
    root = package_dir.parent
    for filename, lineno, message, comments, context in extract_from_dir(
        package_dir,
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
    ):
        path = (package_dir / filename).relative_to(root).as_posix()
        template.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return template


def _read(path: Path, locale: str) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fp:
        write_po(fp, catalog, width=0, sort_by_file=True, omit_header=False)


def update(
    package_dir: Path, locales_dir: Path, locales: Iterable[str] = SUPPORTED_LOCALES
) -> None:
    """Write the template and merge it into every locale's catalog."""
    template = extract(package_dir)
    _write(locales_dir / f"{DOMAIN}.pot", template)
    for locale in locales:
        po_path = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po_path.exists():
            catalog = _read(po_path, locale)
        else:
            catalog = Catalog(
                locale=Locale.parse(locale),
                domain=DOMAIN,
                project="jfa-bot",
                copyright_holder="Justice For All campaign",
                language_team=f"JFA Bot translators ({locale})",
                last_translator="JFA Bot translators",
                fuzzy=False,
            )
        # babel shares message objects with the template: give each catalog its own copy.
        catalog.update(copy.deepcopy(template), update_header_comment=False)
        catalog.version = __version__
        catalog.obsolete.clear()
        if locale == _SOURCE_LOCALE:
            _fill_from_source(catalog)
        _write(po_path, catalog)


def _fill_from_source(catalog: Catalog) -> None:
    """Make the source-language catalog complete: each translation is its msgid."""
    for message in catalog:
        if not message.id:
            continue
        message.flags.discard("fuzzy")
        if isinstance(message.id, tuple):
            singular, plural = message.id
            count = catalog.num_plurals
            message.string = tuple([singular] + [plural] * (count - 1))
        else:
            message.string = message.id


def compile_all(locales_dir: Path, locales: Iterable[str] = SUPPORTED_LOCALES) -> list[Path]:
    """Compile each `messages.po` into `messages.mo` beside it; return the files written."""
    written = []
    for locale in locales:
        po_path = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as fp:
            write_mo(fp, _read(po_path, locale), use_fuzzy=False)
        written.append(mo_path)
    return written


def check(locales_dir: Path, locales: Iterable[str] = SUPPORTED_LOCALES) -> list[str]:
    """Return `file:line: problem` for everything incomplete or inconsistent."""
    problems: list[str] = []
    template_path = locales_dir / f"{DOMAIN}.pot"
    with template_path.open("rb") as fp:
        template_ids = {m.id for m in read_po(fp) if m.id}
    for locale in locales:
        po_path = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po_path.exists():
            problems.append(f"{po_path}:0: catalog missing")
            continue
        catalog = _read(po_path, locale)
        expected_plurals = get_plural(locale).num_plurals
        if catalog.num_plurals != expected_plurals:
            problems.append(
                f"{po_path}:0: {catalog.num_plurals} plural forms, {expected_plurals} expected"
            )
        seen = set()
        for message in catalog:
            if not message.id:
                continue
            seen.add(message.id)
            problems += [f"{po_path}:{message.lineno}: {p}" for p in _problems(message, catalog)]
        problems += [f"{po_path}:0: missing msgid {mid!r}" for mid in template_ids - seen]
    return problems


def _problems(message: Message, catalog: Catalog) -> list[str]:
    found = []
    label = message.id if isinstance(message.id, str) else message.id[0]
    label = label if len(label) <= 50 else label[:47] + "..."
    if message.fuzzy:
        found.append(f"fuzzy: {label!r}")
    if isinstance(message.id, tuple):
        strings = tuple(message.string) if isinstance(message.string, tuple | list) else ()
        if len(strings) != catalog.num_plurals or not all(strings):
            found.append(f"plural forms incomplete: {label!r}")
            return found
        allowed = placeholders(message.id[0]) | placeholders(message.id[1])
        for form in strings:
            if not placeholders(form) <= allowed:
                found.append(f"unknown placeholder in a plural form: {label!r}")
        if placeholders(strings[-1]) != placeholders(message.id[1]):
            found.append(f"placeholders differ in the last plural form: {label!r}")
        return found
    if not message.string:
        found.append(f"untranslated: {label!r}")
        return found
    if placeholders(str(message.string)) != placeholders(str(message.id)):
        found.append(f"placeholders differ: {label!r}")
    if _tags(str(message.string)) != _tags(str(message.id)):
        found.append(f"HTML tags differ: {label!r}")
    return found
