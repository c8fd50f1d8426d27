"""Translations, locale resolution and locale-aware formatting.

The translator is an explicit object handed to whoever renders text (a handler, a
broadcast, a CLI command); nothing here reads a context variable, because broadcasts
render for many users outside any update. Catalogs are read from `messages.po` (or a
compiled `messages.mo` when one is newer) so a fresh clone works without a compile step.

Message conventions: named `str.format` placeholders (`{name}`), formatted *after*
translating; every count goes through :meth:`Translator.ngettext`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

__all__ = [
    "LANGUAGE_NAMES",
    "Translations",
    "Translator",
    "cldr_countries",
    "locales_dir",
    "noop",
    "resolve_locale",
]

log = logging.getLogger(__name__)

DOMAIN = "messages"

#: Each language in its own name, for the language picker.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "ar": "العربية",
    "sw": "Kiswahili",
}

_RTL = frozenset({"ar"})
# Codes babel lists among territories that are not countries a person can sign from.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
#: The names shown in place of CLDR's where its standard one reads oddly (data, per language).
_COUNTRY_NAMES = Path(__file__).resolve().parent / "data" / "country_names.toml"


def noop(message: str) -> str:
    """Mark a string for extraction without translating it now (`gettext_noop`)."""
    return message


@functools.cache
def locales_dir() -> Path:
    """Return the folder holding the catalogs, installed or in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "locales", here.parent / "locales"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("no locales folder found next to the jfa_bot package")


def _load(locale: str, directory: Path) -> gettext.NullTranslations:
    """Load one catalog: the compiled file if it is current, else compile the .po in memory."""
    folder = directory / locale / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    if not po_path.exists():
        log.warning("No catalog for locale %s in %s; using the source strings", locale, directory)
        return gettext.NullTranslations()
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@functools.cache
def _catalog(locale: str, directory: Path) -> gettext.NullTranslations:
    return _load(locale, directory)


def resolve_locale(
    stored: str | None,
    telegram_code: str | None,
    *,
    default: str,
    enabled: Iterable[str],
) -> str:
    """Pick the user's stored choice, then Telegram's language, then the default."""
    allowed = tuple(enabled)
    if stored in allowed:
        return str(stored)
    if telegram_code:
        language = _language_of(telegram_code)
        if language in allowed:
            return language
    return default


def _language_of(code: str) -> str:
    """Return the bare language of a Telegram code such as `pt-br` or `zh-hans`."""
    cleaned = code.strip().replace("_", "-")
    try:
        return Locale.parse(cleaned, sep="-").language
    except (UnknownLocaleError, ValueError, TypeError):
        return cleaned.split("-", 1)[0].lower()


@dataclass(frozen=True)
class Translator:
    """Translate and format for one locale."""

    locale: str
    translations: gettext.NullTranslations

    @classmethod
    def for_locale(cls, locale: str, directory: Path | None = None) -> Translator:
        """Return the translator for a locale, loading its catalog once per process."""
        return cls(locale, _catalog(locale, directory or locales_dir()))

    @property
    def babel_locale(self) -> Locale:
        """Return the babel Locale."""
        return Locale.parse(self.locale)

    @property
    def rtl(self) -> bool:
        """Tell whether the language is written right to left."""
        return self.locale in _RTL

    def gettext(self, message: str) -> str:
        """Translate a message."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate a message whose form depends on the count `n`."""
        return self.translations.ngettext(singular, plural, n)

    def number(self, value: int | float) -> str:
        """Format a number with the locale's grouping and digits."""
        return format_decimal(value, locale=self.locale)

    def date(self, value: dt.date | dt.datetime, fmt: str = "long") -> str:
        """Format a date in the locale's words."""
        return format_date(value, format=fmt, locale=self.locale)

    def datetime(
        self, value: dt.datetime, fmt: str = "medium", tz: dt.tzinfo | None = None
    ) -> str:
        """Format a date and time in the locale's words, in the given time zone."""
        return format_datetime(value, format=fmt, tzinfo=tz, locale=self.locale)

    def country_name(self, code: str) -> str:
        """Return a country's name in this locale, or the code when unknown."""
        return _territories(self.locale).get(code.upper(), code.upper())

    def countries(self) -> dict[str, str]:
        """Return ISO 3166-1 alpha-2 codes mapped to their names in this locale."""
        return _countries(self.locale)


@functools.cache
def _shown_names() -> dict[str, dict[str, str]]:
    with _COUNTRY_NAMES.open("rb") as fp:
        return tomllib.load(fp)


@functools.cache
def _territories(locale: str) -> dict[str, str]:
    names = dict(Locale.parse(locale).territories)
    names.update(_shown_names().get(Locale.parse(locale).language, {}))
    return names


def _only_countries(names: dict[str, str]) -> dict[str, str]:
    return {
        code: name
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


@functools.cache
def _countries(locale: str) -> dict[str, str]:
    return _only_countries(_territories(locale))


@functools.cache
def cldr_countries(locale: str) -> dict[str, str]:
    """Return CLDR's standard country names in a locale, before the names shown replace some.

    The country search finds these too: someone may type "Palestinian Territories".
    """
    return _only_countries(dict(Locale.parse(locale).territories))
