from __future__ import annotations

import pytest

from jfa_bot.countries import normalise, search_countries
from jfa_bot.forms import Problem, clean_text
from jfa_bot.i18n import Translator


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  Amina   Yusuf ", "Amina Yusuf"),
        ("Zoë\u200b Ndlovu", "Zoë Ndlovu"),
        ("\u202eevil\u202c name", "evil name"),
        ("Line\nbreak\ttab", "Line break tab"),
        ("علي حسن", "علي حسن"),
        ("<b>Bob</b>", "<b>Bob</b>"),  # stored as text, escaped when shown
        ("O'Brien-Smith", "O'Brien-Smith"),
    ],
)
def test_names_are_cleaned(typed: str, expected: str) -> None:
    assert clean_text(typed) == clean_text(expected)
    assert clean_text(typed).text == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", Problem.EMPTY),
        (None, Problem.EMPTY),
        ("\u200b\u200d \u2066", Problem.EMPTY),
        ("\x00\x07", Problem.EMPTY),
        ("a" * 101, Problem.TOO_LONG),
        ("https://t.me/spam", Problem.ONLY_URL),
        ("www.example.org", Problem.ONLY_URL),
        ("example.com/page", Problem.ONLY_URL),
        ("🎉🎉", Problem.NO_LETTERS),
        ("!!! ...", Problem.NO_LETTERS),
        ("12345", Problem.NO_LETTERS),
    ],
)
def test_unusable_answers_get_a_reason(typed: str | None, problem: Problem) -> None:
    cleaned = clean_text(typed)
    assert cleaned.text is None and cleaned.problem is problem


def test_length_limit_counts_after_cleaning() -> None:
    assert clean_text(" " + "a" * 100 + "\u200b ").text == "a" * 100


def test_normalise_folds_case_accents_and_punctuation() -> None:
    # Punctuation separates words ("Guinea-Bissau"); spacing is ignored when whole names
    # are compared, so "Cote dIvoire" and "cote d'ivoire" still find Côte d’Ivoire.
    assert normalise("  Côte d’Ivoire! ") == "cote d ivoire"
    assert normalise("Guiné-Bissau") == "guine bissau"


@pytest.mark.parametrize(
    ("locale", "query", "first"),
    [
        ("en", "ken", "KE"),
        ("en", "KE", "KE"),
        ("fr", "allem", "DE"),  # Allemagne
        ("fr", "germany", "DE"),  # English works in every locale
        ("es", "peru", "PE"),  # accents are optional: Perú
        ("ar", "مصر", "EG"),
        ("sw", "kenya", "KE"),
        ("pt", "moçambique", "MZ"),
    ],
)
def test_countries_match_local_and_english_names_and_codes(
    locale: str, query: str, first: str
) -> None:
    found, suggested = search_countries(query, Translator.for_locale(locale))
    assert not suggested
    assert found[0] == first


def test_misspelt_country_gets_suggestions() -> None:
    found, suggested = search_countries("Keyna", Translator.for_locale("en"))
    assert suggested and "KE" in found


def test_nonsense_gets_no_match_and_no_crash() -> None:
    assert search_countries("qqqqzzzz", Translator.for_locale("en")) == ([], True)
    assert search_countries("!!!", Translator.for_locale("en")) == ([], True)
