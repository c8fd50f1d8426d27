from __future__ import annotations

import datetime as dt

import pytest

from jfa_bot.i18n import LANGUAGE_NAMES, Translator, resolve_locale
from jfa_bot.settings import SUPPORTED_LOCALES

ENABLED = SUPPORTED_LOCALES


@pytest.mark.parametrize(
    ("stored", "telegram", "expected"),
    [
        ("ar", "fr", "ar"),  # the user's own choice wins
        (None, "fr", "fr"),
        (None, "pt-br", "pt"),  # regional code
        (None, "PT_BR", "pt"),
        (None, "sw-KE", "sw"),
        (None, "de", "en"),  # not offered: the default
        (None, None, "en"),  # missing code
        (None, "", "en"),
        (None, "zz-invalid-!!", "en"),
        ("xx", "es", "es"),  # a stored value no longer enabled is skipped
    ],
)
def test_locale_resolution_order(stored: str | None, telegram: str | None, expected: str) -> None:
    assert resolve_locale(stored, telegram, default="en", enabled=ENABLED) == expected


def test_disabled_language_falls_back_to_default() -> None:
    assert resolve_locale(None, "fr", default="sw", enabled=("sw", "en")) == "sw"


def test_every_language_is_named_in_itself() -> None:
    assert set(LANGUAGE_NAMES) == set(SUPPORTED_LOCALES)
    assert LANGUAGE_NAMES["ar"] == "العربية"


def test_translator_translates_from_the_catalog() -> None:
    french = Translator.for_locale("fr")
    english = Translator.for_locale("en")
    message = "Choose your language:"
    assert english.gettext(message) == message
    assert french.gettext(message) not in ("", message)


def test_numbers_dates_and_countries_are_localized() -> None:
    fr = Translator.for_locale("fr")
    en = Translator.for_locale("en")
    assert en.number(12345) == "12,345"
    assert fr.number(12345).replace("\u202f", " ") == "12 345"
    assert fr.date(dt.date(2026, 9, 22)) == "22 septembre 2026"
    assert en.country_name("ke") == "Kenya"
    assert Translator.for_locale("es").country_name("MZ") == "Mozambique"
    assert Translator.for_locale("ar").rtl and not fr.rtl


def test_country_list_holds_only_iso_alpha2_codes() -> None:
    countries = Translator.for_locale("sw").countries()
    assert "KE" in countries and "TZ" in countries
    assert all(len(code) == 2 and code.isalpha() for code in countries)
    assert "EU" not in countries and "UN" not in countries
