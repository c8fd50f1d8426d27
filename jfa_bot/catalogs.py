"""Translators' tools: extract messages, update every catalog, check completeness.

`jfa-bot catalogs update` extracts the source strings into `locales/messages.pot`, merges
them into each `messages.po` (English is filled from the source), and `jfa-bot catalogs
check` lists every missing, fuzzy or inconsistent translation as `file:line: problem`.
"""

from __future__ import annotations

import copy
import gettext
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from jfa_bot import __version__
from jfa_bot.catalog_style import Glossary, style_problems
from jfa_bot.settings import SUPPORTED_LOCALES

__all__ = ["check", "compile_all", "extract", "merge", "placeholders", "update"]

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
        _adopt_plural_rule(catalog, locale)
        if locale == _SOURCE_LOCALE:
            _fill_from_source(catalog)
        _write(po_path, catalog)


# Numbers on which two plural rules are compared: every category of every supported
# language shows up here (0, 1, 2, 3–10, 11–99, 100–102, exact millions).
_PLURAL_SAMPLES = (*range(0, 1200), 1_000_000, 2_000_000, 1_000_001, 10_000_000)


def _rule(expression: str) -> Callable[[int], int]:
    return gettext.c2py(expression)


def _expected_rule(locale: str) -> tuple[int, str]:
    """Return the locked Babel's plural count and expression (CLDR) for a locale."""
    expected = get_plural(locale)
    return expected.num_plurals, expected.plural_expr


def _same_rule(count_a: int, expr_a: str, count_b: int, expr_b: str) -> bool:
    if count_a != count_b:
        return False
    rule_a, rule_b = _rule(expr_a), _rule(expr_b)
    return all(rule_a(n) == rule_b(n) for n in _PLURAL_SAMPLES)


def _set_plural_rule(catalog: Catalog, count: int, expression: str) -> None:
    # Babel offers the rule read-only; the parsed Plural-Forms header lives here.
    catalog._num_plurals = count  # type: ignore[assignment]
    catalog._plural_expr = expression  # type: ignore[assignment]


def _adopt_plural_rule(catalog: Catalog, locale: str) -> None:
    """Move a catalog to the locked Babel's plural rule, carrying each form to its new slot.

    For every form of the new rule, the translation used is the one the old rule chose for
    the same number, so reordered forms (Arabic) keep their words. A form the old rule did
    not have (the CLDR "many" form of French, Spanish and Portuguese, for exact millions)
    starts as a copy and the entry is marked fuzzy for a translator to review.
    """
    count, expression = _expected_rule(locale)
    old_count, old_expression = catalog.num_plurals, catalog.plural_expr
    if _same_rule(old_count, old_expression, count, expression):
        return
    old_rule, new_rule = _rule(old_expression), _rule(expression)
    source_of: dict[int, int] = {}
    pairs = {(old_rule(n), new_rule(n)) for n in _PLURAL_SAMPLES}
    for n in _PLURAL_SAMPLES:
        source_of.setdefault(new_rule(n), old_rule(n))
    # Unless old and new forms pair one to one (a reordering), some form's numbers changed
    # and the copied words need a translator's look.
    needs_review = len(pairs) != len({o for o, _ in pairs}) or len(pairs) != len(source_of)
    _set_plural_rule(catalog, count, expression)
    for message in catalog:
        if not message.id or not isinstance(message.id, tuple):
            continue
        old = tuple(message.string) if isinstance(message.string, tuple | list) else ()
        if len(old) != old_count:
            continue
        message.string = tuple(old[source_of.get(slot, old_count - 1)] for slot in range(count))
        if needs_review and locale != _SOURCE_LOCALE:
            message.flags.add("fuzzy")


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
    glossary = Glossary.load(locales_dir)
    template_path = locales_dir / f"{DOMAIN}.pot"
    with template_path.open("rb") as fp:
        template_ids = {m.id for m in read_po(fp) if m.id}
    for locale in locales:
        po_path = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po_path.exists():
            problems.append(f"{po_path}:0: catalog missing")
            continue
        catalog = _read(po_path, locale)
        count, expression = _expected_rule(locale)
        if not _same_rule(catalog.num_plurals, catalog.plural_expr, count, expression):
            problems.append(
                f"{po_path}:0: the catalog's plural rule ({catalog.num_plurals} forms) differs "
                f"from Babel's for {locale!r} ({count} forms: {expression}); run "
                "`jfa-bot catalogs update` to adopt it (forms are carried over, new ones "
                "marked fuzzy), then translate the fuzzy entries"
            )
        seen = set()
        for message in catalog:
            if not message.id:
                continue
            seen.add(message.id)
            found = _problems(message, catalog)
            if locale != _SOURCE_LOCALE:
                found += _house_rules(message, locale, glossary)
            problems += [f"{po_path}:{message.lineno}: {p}" for p in found]
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


def _house_rules(message: Message, locale: str, glossary: Glossary) -> list[str]:
    """Return the typography, bidi and glossary rules a translation breaks, once each."""
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    label = message.id if isinstance(message.id, str) else message.id[0]
    label = label if len(label) <= 50 else label[:47] + "..."
    found: list[str] = []
    for string in strings:
        for problem in style_problems(str(string or ""), locale, glossary):
            if f"{problem}: {label!r}" not in found:
                found.append(f"{problem}: {label!r}")
    return found


def _locale_of(path: Path) -> str | None:
    """Return the language of `locales/<lang>/LC_MESSAGES/messages.po`, None for the template."""
    parts = path.parts
    return parts[-3] if len(parts) >= 3 and parts[-2] == "LC_MESSAGES" else None


def merge(base: Path, ours: Path, theirs: Path, name: Path) -> int:
    """Merge two changed copies of one catalog entry by entry (a git merge driver).

    Git's line merge conflicts whenever two branches add strings near each other; entry by
    entry, a translation changed on one side only is taken from that side, strings added
    on either side are kept and strings removed on one (and unchanged on the other) go.
    An entry both sides changed differently keeps ours and is marked fuzzy, so `catalogs
    check` names it for review. The result is written to `ours`; returns 0.
    """
    locale = _locale_of(name)
    catalogs = []
    for path in (base, ours, theirs):
        with path.open("rb") as fp:
            catalogs.append(read_po(fp, locale=locale, domain=DOMAIN))
    old, mine, other = catalogs
    if (other.num_plurals, other.plural_expr) != (old.num_plurals, old.plural_expr) and (
        mine.num_plurals,
        mine.plural_expr,
    ) == (old.num_plurals, old.plural_expr):
        _set_plural_rule(mine, other.num_plurals, other.plural_expr)
    for message in other:
        if not message.id:
            continue
        before = old.get(message.id, message.context)
        current = mine.get(message.id, message.context)
        if current is None:
            if before is None or _entry(before) != _entry(message):
                mine[message.id] = copy.deepcopy(message)  # added (or changed) by theirs
            continue
        for location in message.locations:
            if location not in current.locations:
                current.locations.append(location)
        if _entry(message) == _entry(current):
            continue
        if (before is None and not current.string) or (
            before is not None and _entry(current) == _entry(before)
        ):
            current.string, current.flags = message.string, set(message.flags)
        elif before is None or _entry(message) != _entry(before):
            current.flags.add("fuzzy")  # both sides changed it differently: ours, for review
    for message in list(mine):
        if not message.id:
            continue
        before = old.get(message.id, message.context)
        removed = other.get(message.id, message.context) is None and before is not None
        if removed and before is not None and _entry(before) == _entry(message):
            mine.delete(message.id, context=message.context)  # removed by theirs, kept by us
    _write(ours, mine)
    return 0


def _entry(message: Message) -> tuple[object, bool]:
    string = tuple(message.string) if isinstance(message.string, list | tuple) else message.string
    return string, message.fuzzy
