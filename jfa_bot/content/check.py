"""Validate a content folder and report every problem as `file:line: problem`.

Checks: the manifest; each locale has each file or an explicit fallback; TOML syntax;
required keys; only the HTML Telegram accepts; message and caption lengths; well-formed
links; no unknown placeholders; the Action Pack file exists and is within Telegram's size;
a spotlight's image is a JPEG, PNG or WebP file inside the content folder that Telegram
takes as a photo; week numbers within the campaign's `[spotlights] weeks`.
`content_notes` lists what is allowed but worth knowing: weeks not written yet, and weeks
a language gets in the default language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jfa_bot.content import (
    CONTENT_FILES,
    MANIFEST,
    RECOMMENDATION_GROUPS,
    SPOTLIGHT_TABLE,
    SPOTLIGHTS,
    ContentError,
    confined,
    read_toml,
)
from jfa_bot.telegram_html import HtmlParseError, parse_html_entities, utf16_len

__all__ = ["KNOWN_PLACEHOLDERS", "check_content", "content_notes"]

#: Placeholders content may use; anything else in braces is reported.
KNOWN_PLACEHOLDERS = frozenset({"bot_username", "share_link"})
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# Room kept for the text the bot adds around content (explanations, buttons' context).
_PETITION_LIMIT = 3000
_RECOMMENDATION_LIMIT = 1500
_SPOTLIGHT_LIMIT = 3500  # title, body and the call to sign share one message
_UPLOAD_LIMIT = 50 * 1024 * 1024  # Telegram's limit for files a bot uploads
_PHOTO_LIMIT = 10 * 1024 * 1024  # ... and for photos
_PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
_PHOTO_SIDES = 10_000  # Telegram: width + height at most 10,000, a ratio at most 20
_PHOTO_RATIO = 20
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_content(directory: Path) -> list[str]:
    """Return every problem found in a content folder (an empty list when valid)."""
    problems: list[str] = []
    try:
        manifest = read_toml(directory / MANIFEST)
    except ContentError as error:
        return [str(error)]
    manifest_path = directory / MANIFEST
    default = manifest.get("default_locale")
    locales = manifest.get("locales")
    if not isinstance(default, str) or not isinstance(locales, list) or default not in locales:
        return [f"{manifest_path}:1: needs default_locale and a locales list that includes it"]
    fallback = manifest.get("fallback", {})
    weeks = manifest.get(SPOTLIGHT_TABLE, {}).get("weeks")
    if weeks is not None and (not isinstance(weeks, int) or not 1 <= weeks <= 52):
        where = _Locator(manifest_path, manifest_path.read_text(encoding="utf-8").splitlines())
        problems.append(where.at("weeks", "weeks must be a whole number 1-52", SPOTLIGHT_TABLE))
        weeks = None
    for locale in locales:
        allowed = set(fallback.get(locale, ()))
        for name in CONTENT_FILES:
            path = directory / locale / name
            if not path.exists():
                if locale == default or not ({name, "*"} & allowed):
                    problems.append(
                        f"{path}:0: missing (add it, or list {name!r} under [fallback] "
                        f"{locale} in {MANIFEST})"
                    )
                continue
            try:
                data = read_toml(path)
            except ContentError as error:
                problems.append(str(error))
                continue
            problems += list(_check_file(path, name, data, locale == default, allowed))
        spotlights = directory / locale / SPOTLIGHTS
        if spotlights.exists() or locale == default:
            try:
                data = read_toml(spotlights)
            except ContentError as error:
                problems.append(str(error))
                continue
            problems += list(_check_spotlights(spotlights, data, directory, weeks or 52))
    return problems


def content_notes(directory: Path) -> list[str]:
    """Return what a valid folder leaves out on purpose: unwritten and untranslated weeks."""
    from jfa_bot.content import Content

    content = Content.load(directory)
    notes = []
    unwritten = content.unwritten_weeks()
    if unwritten:
        numbers = ", ".join(map(str, unwritten))
        notes.append(
            f"{content.directory / MANIFEST}: week(s) {numbers} of {content.campaign_weeks} "
            "have no spotlight yet: /weeks lists them as not yet published and the schedule "
            "sends nothing those weeks"
        )
    written = content.spotlights(content.default_locale)
    for locale in content.locales:
        own = content.spotlight_variants
        missing = [week for week in written if locale not in own(week)]
        if missing and locale != content.default_locale:
            notes.append(
                f"{content.directory / locale / SPOTLIGHTS}: week(s) "
                f"{', '.join(map(str, missing))} not translated: subscribers in this language "
                f"get the {content.default_locale!r} post once an organizer confirms it"
            )
    return notes


def _check_spotlights(
    path: Path, data: dict[str, Any], directory: Path, last_week: int
) -> Iterator[str]:
    where = _Locator(path, path.read_text(encoding="utf-8").splitlines())
    weeks = data.get("week")
    if not isinstance(weeks, list) or not weeks:
        yield where.at("[[week]]", "at least one [[week]] is required")
        return
    seen: set[int] = set()
    for index, item in enumerate(weeks):
        number = item.get("number") if isinstance(item, dict) else None
        if not isinstance(number, int) or not 1 <= number <= last_week:
            problem = f"week number must be a whole number 1-{last_week}"
            yield where.nth("[[week]]", index, problem, "number")
            continue
        if number in seen:
            yield where.nth("[[week]]", index, f"week {number} appears twice", "number")
        seen.add(number)
        for key in ("title", "body"):
            value = str(item.get(key, ""))
            if not value.strip():
                yield where.nth("[[week]]", index, f"week {number}: {key} is required", key)
            else:
                yield from _check_html(where, key, value, _SPOTLIGHT_LIMIT, "[[week]]", index)
        image = item.get("image")
        if image is not None:
            trouble = _image_problem(path.parent, directory, image)
            if trouble:
                yield where.nth("[[week]]", index, f"week {number}: {trouble}", "image")


def _image_problem(folder: Path, directory: Path, image: Any) -> str | None:
    """Return why Telegram would not take the image as a photo, or None when it would."""
    if not isinstance(image, str) or not image.strip():
        return "image must be a file name"
    path = (folder / image).resolve()
    if Path(image).is_absolute() or not path.is_relative_to(directory.resolve()):
        return f"image {image!r} must be inside the content folder"
    if not path.is_file():
        return f"image {image!r} not found"
    size = path.stat().st_size
    if size == 0 or size > _PHOTO_LIMIT:
        return f"image {image!r} is {size} bytes; Telegram takes photos of 1 byte to 10 MB"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            kind, (width, height) = picture.format, picture.size
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        return f"image {image!r} is not a picture Telegram can show ({error})"
    if kind not in _PHOTO_FORMATS:
        return f"image {image!r} is {kind}; use JPEG, PNG or WebP"
    if width + height > _PHOTO_SIDES or max(width, height) > _PHOTO_RATIO * min(width, height):
        return (
            f"image {image!r} is {width}x{height}; Telegram wants width + height at most "
            f"{_PHOTO_SIDES} and one side at most {_PHOTO_RATIO} times the other"
        )
    return None


def _check_file(
    path: Path, name: str, data: dict[str, Any], is_default: bool, allowed: set[str]
) -> Iterator[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    where = _Locator(path, lines)
    if name == "petition.toml":
        for key in ("version", "title", "text"):
            if not str(data.get(key, "")).strip():
                yield where.at(key, f"{key} is required")
        yield from _check_html(where, "text", str(data.get("text", "")), _PETITION_LIMIT)
        yield from _check_html(where, "title", str(data.get("title", "")), 200)
    elif name == "resources.toml":
        for table in ("action_pack", "brief", "webinar"):
            section = data.get(table)
            if not isinstance(section, dict):
                yield where.at(f"[{table}]", f"[{table}] is required")
                continue
            yield from _check_url(where, "url", section.get("url"), table)
            text_key = "caption" if table == "action_pack" else "intro"
            limit = CAPTION_LIMIT if table == "action_pack" else MESSAGE_LIMIT - 500
            yield from _check_html(where, text_key, str(section.get(text_key, "")), limit, table)
        pack = data.get("action_pack", {})
        if isinstance(pack, dict):
            yield from _check_pack_file(where, path.parent, pack.get("file"), is_default, allowed)
    elif name == "recommendations.toml":
        for group in RECOMMENDATION_GROUPS:
            items = data.get(group)
            if not isinstance(items, list) or not items:
                yield where.at(f"[[{group}]]", f"at least one [[{group}]] is required")
                continue
            for index, item in enumerate(items):
                for key in ("title", "text"):
                    value = str(item.get(key, "")) if isinstance(item, dict) else ""
                    if not value.strip():
                        yield where.nth(
                            f"[[{group}]]", index, f"{group} #{index + 1}: {key} is required"
                        )
                    else:
                        yield from _check_html(
                            where, key, value, _RECOMMENDATION_LIMIT, f"[[{group}]]", index
                        )


def _check_pack_file(
    where: _Locator, folder: Path, file_name: Any, is_default: bool, allowed: set[str]
) -> Iterator[str]:
    if not file_name:
        if is_default or not ({"action-pack.pdf", "*"} & allowed):
            yield where.at("[action_pack]", "action_pack.file is required (or a [fallback])")
        return
    path = confined(folder, file_name)
    if path is None:
        yield where.at(
            "file", f"Action Pack file {file_name!r} is outside the content folder {folder}"
        )
        return
    if not path.is_file():
        yield where.at("file", f"Action Pack file {path.name!r} not found")
        return
    size = path.stat().st_size
    if size == 0:
        yield where.at("file", f"Action Pack file {path.name!r} is empty")
    elif size > _UPLOAD_LIMIT:
        yield where.at("file", f"Action Pack file is {size} bytes; Telegram takes up to 50 MB")


def _check_url(where: _Locator, key: str, value: Any, table: str) -> Iterator[str]:
    parts = urlsplit(str(value or ""))
    if parts.scheme not in {"http", "https"} or "." not in parts.netloc or " " in str(value):
        yield where.at(key, f"{table}.{key} is not a well-formed http(s) link: {value!r}", table)


def _check_html(
    where: _Locator,
    key: str,
    text: str,
    limit: int,
    section: str | None = None,
    index: int = 0,
) -> Iterator[str]:
    def report(problem: str) -> str:
        if section and section.startswith("[["):
            return where.nth(section, index, problem, key)
        return where.at(key, problem, section)

    try:
        visible = parse_html_entities(text).text
    except HtmlParseError as error:
        yield report(f"{key}: HTML Telegram would refuse: {error}")
        return
    if utf16_len(visible) > limit:
        yield report(f"{key}: {utf16_len(visible)} characters, at most {limit}")
    for placeholder in _PLACEHOLDER.findall(text):
        if placeholder not in KNOWN_PLACEHOLDERS:
            known = ", ".join(sorted(KNOWN_PLACEHOLDERS))
            yield report(f"{key}: unknown placeholder {{{placeholder}}} (known: {known})")


class _Locator:
    """Find the line of a key in a TOML file, for `file:line:` reports."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = lines

    def _find(self, needle: str, start: int = 0) -> int:
        for number, line in enumerate(self.lines[start:], start=start + 1):
            stripped = line.strip()
            if needle.startswith("["):
                if stripped.startswith(needle):
                    return number
            elif stripped.startswith(f"{needle} ") or stripped.startswith(f"{needle}="):
                return number
        return 0

    def at(self, key: str, problem: str, section: str | None = None) -> str:
        """Report a problem at `key`, looked up after `[section]` when given."""
        start = self._find(f"[{section}]") if section else 0
        line = self._find(key, start) or start
        return f"{self.path}:{line}: {problem}"

    def nth(self, header: str, index: int, problem: str, key: str | None = None) -> str:
        """Report a problem in the index-th `[[group]]` table (at `key` when given)."""
        line = 0
        for _ in range(index + 1):
            line = self._find(header, line)
            if not line:
                break
        if key and line:
            line = self._find(key, line) or line
        return f"{self.path}:{line}: {problem}"
