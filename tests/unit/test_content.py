"""The content checker finds each kind of problem, with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jfa_bot.content import SAMPLE_DIR, Content, ContentError
from jfa_bot.content.check import check_content


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE_DIR, folder)
    return folder


def edit(path: Path, old: str, new: str) -> int:
    """Replace text in a file; return the 1-based line where the change is."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_the_shipped_sample_content_is_valid() -> None:
    assert check_content(SAMPLE_DIR) == []
    content = Content.load(None)
    for locale in content.locales:
        assert content.petition(locale).text
        assert content.resources(locale).action_pack.path is not None
        assert len(content.recommendations(locale)["protection"]) >= 1


def test_a_broken_html_tag_is_reported_with_file_and_line(content: Path) -> None:
    path = content / "fr" / "recommendations.toml"
    text = path.read_text(encoding="utf-8")
    first_text = next(line for line in text.splitlines() if line.startswith("text = "))
    line = edit(path, first_text, 'text = "<b>Non fermé"')
    assert check_content(content) == [
        f"{path}:{line}: text: HTML Telegram would refuse: "
        'Can\'t find end tag corresponding to start tag "b" at byte offset 0'
    ]


def test_an_overlong_caption_is_reported(content: Path) -> None:
    path = content / "es" / "resources.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("caption")
    line = text[:start].count("\n") + 1
    end = text.index('"""', text.index('"""', start) + 3) + 3
    path.write_text(text[:start] + 'caption = "' + "x" * 1100 + '"' + text[end:], encoding="utf-8")
    [problem] = check_content(content)
    assert problem == f"{path}:{line}: caption: 1100 characters, at most 1024"


def test_an_unknown_placeholder_is_reported(content: Path) -> None:
    path = content / "en" / "petition.toml"
    line = edit(path, "We, justice defenders", "We, {signer_name}, justice defenders")
    [problem] = check_content(content)
    assert problem.startswith(f"{path}:")
    assert "unknown placeholder {signer_name}" in problem
    assert int(problem.split(":")[1]) <= line


def test_a_missing_locale_is_reported_unless_it_falls_back(content: Path) -> None:
    shutil.rmtree(content / "sw")
    problems = check_content(content)
    assert len(problems) == 3
    assert all(p.startswith(str(content / "sw")) and ":0: missing" in p for p in problems)
    manifest = content / "content.toml"
    manifest.write_text(manifest.read_text() + '[fallback]\nsw = ["*"]\n', encoding="utf-8")
    assert check_content(content) == []
    assert Content.load(content).petition("sw").locale == "en"


def test_a_bad_link_and_a_syntax_error_are_reported(content: Path) -> None:
    path = content / "pt" / "resources.toml"
    brief_url = 'url = "https://justiceforall.example.org/policy-brief"'
    line = edit(path, brief_url, 'url = "not a link"')
    assert check_content(content) == [
        f"{path}:{line}: brief.url is not a well-formed http(s) link: 'not a link'"
    ]
    broken = content / "ar" / "petition.toml"
    broken.write_text('version = "1"\ntitle = \n', encoding="utf-8")
    assert any(p.startswith(f"{broken}:2:") for p in check_content(content))


def test_invalid_content_stops_the_bot_with_the_same_report(content: Path) -> None:
    (content / "en" / "action-pack.pdf").unlink()
    with pytest.raises(ContentError) as caught:
        Content.load(content)
    assert "Action Pack file 'action-pack.pdf' not found" in str(caught.value)


def _picture(path: Path, size: tuple[int, int] = (640, 360), kind: str = "PNG") -> None:
    from PIL import Image

    Image.new("RGB", size, (42, 111, 151)).save(path, kind)


def _with_image(content: Path, image: str) -> tuple[Path, int]:
    """Give the English week 9 an image; return the file and the line of `image`."""
    path = content / "en" / "spotlights.toml"
    line = edit(path, "number = 9\n", f'number = 9\nimage = "{image}"\n') + 1
    return path, line


def test_a_spotlight_image_is_checked_like_telegram_checks_a_photo(content: Path) -> None:
    path, line = _with_image(content, "week-9.png")
    assert check_content(content) == [f"{path}:{line}: week 9: image 'week-9.png' not found"]
    _picture(content / "en" / "week-9.png")
    assert check_content(content) == []
    assert Content.load(content).spotlights("en")[9].image == content / "en" / "week-9.png"

    (content / "en" / "week-9.png").write_bytes(b"GIF89a not really a picture")
    [problem] = check_content(content)
    assert problem.startswith(f"{path}:{line}: week 9: image 'week-9.png' is not a picture")
    _picture(content / "en" / "week-9.png", kind="GIF")
    [problem] = check_content(content)
    assert problem == f"{path}:{line}: week 9: image 'week-9.png' is GIF; use JPEG, PNG or WebP"
    _picture(content / "en" / "week-9.png", size=(2100, 100))
    [problem] = check_content(content)
    assert "is 2100x100; Telegram wants" in problem


def test_a_spotlight_image_must_stay_inside_the_content_folder(
    content: Path, tmp_path: Path
) -> None:
    _picture(tmp_path / "outside.png")
    path, line = _with_image(content, "../../outside.png")
    assert check_content(content) == [
        f"{path}:{line}: week 9: image '../../outside.png' must be inside the content folder"
    ]


def test_weeks_not_written_yet_are_noted_and_later_weeks_refused(content: Path) -> None:
    from jfa_bot.content.check import content_notes

    [note] = content_notes(content)
    assert "week(s) 1, 2, 3, 4, 5, 6, 7, 8, 10 of 10 have no spotlight yet" in note
    path = content / "en" / "spotlights.toml"
    line = edit(path, "number = 9\n", "number = 11\n")
    assert check_content(content) == [f"{path}:{line}: week number must be a whole number 1-10"]


def test_the_schedule_sends_only_a_week_that_has_a_post() -> None:
    import datetime as dt

    from jfa_bot.spotlight import current_week, scheduled_week

    content = Content.load(None)
    start = dt.date(2026, 9, 7)
    week_9 = start + dt.timedelta(weeks=8, days=3)
    week_10 = start + dt.timedelta(weeks=9)
    assert scheduled_week(content, start, week_9) == 9
    assert scheduled_week(content, start, week_10) is None  # not week 9 again
    assert scheduled_week(content, start, start) is None
    # /spotlight, by contrast, keeps showing the latest published week.
    assert current_week(start, week_10, content.spotlights("en")) == 9
