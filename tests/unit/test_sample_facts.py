"""The shipped sample holds the campaign's facts, complete and typeset in all six languages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from jfa_bot.content import SAMPLE_DIR, Content
from jfa_bot.content.check import check_content
from jfa_bot.telegram_html import parse_html_entities

CONTENT = Content.load(None)
LOCALES = CONTENT.locales
LRI, PDI = "\u2066", "\u2069"


def _visible(html: str) -> str:
    return parse_html_entities(html).text


def _texts(locale: str) -> dict[str, str]:
    """Every text a reader sees in `locale`, by where it comes from."""
    petition = CONTENT.petition(locale)
    resources = CONTENT.resources(locale)
    texts = {
        "petition.title": petition.title,
        "petition.text": _visible(petition.text),
        "action_pack.caption": _visible(resources.action_pack.caption),
        "brief.intro": _visible(resources.brief.intro),
        "webinar.intro": _visible(resources.webinar.intro),
        "action-pack.txt": (SAMPLE_DIR / locale / "action-pack.txt").read_text(encoding="utf-8"),
    }
    for group, items in CONTENT.recommendations(locale).items():
        for index, item in enumerate(items, start=1):
            texts[f"{group}{index}.title"] = item.title
            texts[f"{group}{index}.text"] = _visible(item.text)
    for week, post in CONTENT.spotlights(locale).items():
        texts[f"week{week}.title"] = post.title
        texts[f"week{week}.body"] = _visible(post.body)
    return texts


def test_every_language_has_its_own_copy_of_every_file() -> None:
    names = ("petition.toml", "resources.toml", "recommendations.toml", "spotlights.toml")
    for locale in LOCALES:
        for name in (*names, "action-pack.txt", "action-pack.pdf"):
            assert (SAMPLE_DIR / locale / name).is_file(), f"{locale}/{name}"
    assert CONTENT.fallback == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_brief_shows_the_six_recommendations_the_campaign_lists(locale: str) -> None:
    groups = CONTENT.recommendations(locale)
    assert [len(groups["financing"]), len(groups["protection"])] == [3, 3]


@pytest.mark.parametrize("locale", LOCALES)
def test_week_9_is_the_only_spotlight_and_names_the_defenders_it_shows(locale: str) -> None:
    posts = CONTENT.spotlight_variants(9)
    assert locale in posts
    assert list(CONTENT.spotlights(locale)) == [9]
    body = posts[locale].body
    for name in ("Pathfinders", "Micro Justicia", "Namati", "Florence Project"):
        assert name in body
    assert "86" in body and re.search(r"1[ .,\u00a0]?500", body)  # 86% unrepresented; 1,500


@pytest.mark.parametrize("locale", LOCALES)
def test_the_webinar_intro_gives_the_date_of_the_webinar(locale: str) -> None:
    intro = CONTENT.resources(locale).webinar.intro
    assert "23" in intro and "2019" in intro


@pytest.mark.parametrize("locale", LOCALES)
def test_each_action_pack_pdf_fits_on_one_page(locale: str) -> None:
    assert len(PdfReader(SAMPLE_DIR / locale / "action-pack.pdf").pages) == 1


def test_arabic_isolates_every_latin_name_number_and_hashtag() -> None:
    for where, text in _texts("ar").items():
        outside = re.sub(f"{LRI}[^{PDI}]*{PDI}", "", text)
        stray = re.findall(r"[A-Za-z0-9#%]+", outside)
        assert stray == [], f"ar {where}: {stray} outside U+2066 … U+2069"


def test_french_puts_a_no_break_space_before_double_punctuation() -> None:
    for where, text in _texts("fr").items():
        plain = re.findall(r".{0,12} [?!:;]", text)
        assert plain == [], f"fr {where}: {plain}"


def test_portuguese_is_brazilian() -> None:
    european = ("mil milhões", "registo", "equipa", "facto", "ecrã", "telemóvel", "ficheiro")
    for where, text in _texts("pt").items():
        assert not [word for word in european if word in text.lower()], f"pt {where}"


def test_the_readme_example_adds_week_3_to_the_sample(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Adding a week.**") :]
    example = re.search(r"```toml\n(.*?)```", section, re.S)
    assert example is not None
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    with (folder / "en" / "spotlights.toml").open("a", encoding="utf-8") as posts:
        posts.write("\n" + example.group(1))
    assert check_content(folder) == []
    content = Content.load(folder)
    assert list(content.spotlights("sw")) == [3, 9]
    assert 3 not in content.unwritten_weeks()
