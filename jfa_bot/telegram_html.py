"""Telegram-style HTML checking, shared by the content checker and the Bot API stand-in.

Mirrors the parser Telegram applies to ``parse_mode=HTML``: the small set of allowed tags,
the four named entities plus numeric ones, and error messages with a byte offset.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z][a-zA-Z0-9]{0,31});")
_ATTR_RE = re.compile(
    r"""\s*([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)


class HtmlParseError(ValueError):
    """Raise when text is not valid Telegram HTML."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at byte offset {offset}")
        self.reason = reason
        self.offset = offset


@dataclass(frozen=True)
class ParsedHtml:
    """Visible text and the message entities Telegram would derive from HTML."""

    text: str
    entities: tuple[dict[str, Any], ...] = field(default=())


@dataclass
class _Open:
    tag: str
    byte_offset: int
    start: int  # UTF-16 offset in the visible text
    attrs: dict[str, str]


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, index: int) -> tuple[str, int] | None:
    """Decode an HTML entity starting at ``index``; return (char, length) or None."""
    match = _ENTITY_RE.match(text, index)
    if match is None:
        return None
    body = match.group(1)
    if body.startswith("#"):
        try:
            code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
            char = chr(code)
        except (ValueError, OverflowError):
            raise HtmlParseError(
                "Invalid numeric HTML entity", _byte_offset(text, index)
            ) from None
        return char, match.end() - index
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], match.end() - index
    raise HtmlParseError(f'Unsupported HTML entity "&{body};"', _byte_offset(text, index))


def _parse_attrs(raw: str, tag: str, offset: int) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip().removesuffix("/")
    while pos < len(raw):
        if raw[pos:].strip() == "":
            break
        match = _ATTR_RE.match(raw, pos)
        if match is None or match.end() == pos:
            raise HtmlParseError(f'Can\'t parse attributes of the tag "{tag}"', offset)
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[match.group(1).lower()] = value
        pos = match.end()
    return attrs


def _check_start_tag(tag: str, attrs: dict[str, str], offset: int) -> None:
    if tag == "a" and not attrs.get("href"):
        raise HtmlParseError('Tag "a" must have attribute "href"', offset)
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlParseError('Tag "span" must have class "tg-spoiler"', offset)
    if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise HtmlParseError(
            'Custom emoji entity must contain a valid custom emoji identifier "emoji-id"',
            offset,
        )


def _entity_for(node: _Open, end: int, parents: list[_Open]) -> dict[str, Any] | None:
    if end == node.start:
        return None
    entity: dict[str, Any] = {
        "type": _ENTITY_TYPES[node.tag],
        "offset": node.start,
        "length": end - node.start,
    }
    if node.tag == "a":
        entity["url"] = node.attrs["href"]
    elif node.tag == "tg-emoji":
        entity["custom_emoji_id"] = node.attrs["emoji-id"]
    elif node.tag == "blockquote" and "expandable" in node.attrs:
        entity["type"] = "expandable_blockquote"
    elif node.tag == "code" and parents and parents[-1].tag == "pre":
        language = node.attrs.get("class", "")
        if language.startswith("language-"):
            entity["type"] = "pre"
            entity["language"] = language.removeprefix("language-")
    return entity


def parse_html_entities(text: str) -> ParsedHtml:
    """Parse Telegram HTML into visible text and entities, or raise HtmlParseError."""
    out: list[str] = []
    visible_len = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                visible_len += utf16_len(decoded[0])
                i += decoded[1]
                continue
        elif char == "<":
            offset = _byte_offset(text, i)
            close = text.find(">", i)
            if text.startswith("</", i):
                if close < 0:
                    raise HtmlParseError("Unclosed end tag", offset)
                if not stack:
                    raise HtmlParseError("Unexpected end tag", offset)
                name = text[i + 2 : close].strip().lower()
                node = stack[-1]
                if name and name != node.tag:
                    raise HtmlParseError(
                        f'Unmatched end tag, expected "</{node.tag}>", found "</{name}>"', offset
                    )
                stack.pop()
                entity = _entity_for(node, visible_len, stack)
                if entity is not None:
                    entities.append(entity)
                i = close + 1
                continue
            if close < 0:
                raise HtmlParseError("Unclosed start tag", offset)
            inner = text[i + 1 : close]
            name_match = re.match(r"[^\s/>]*", inner)
            name = name_match.group(0).lower() if name_match else ""
            if name not in ALLOWED_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{name}"', offset)
            attrs = _parse_attrs(inner[len(name) :], name, offset)
            _check_start_tag(name, attrs, offset)
            stack.append(_Open(name, offset, visible_len, attrs))
            i = close + 1
            continue
        out.append(char)
        visible_len += utf16_len(char)
        i += 1
    if stack:
        node = stack[-1]
        raise HtmlParseError(
            f'Can\'t find end tag corresponding to start tag "{node.tag}"', node.byte_offset
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedHtml("".join(out), tuple(entities))


def parse_html(text: str) -> str:
    """Return the visible text of Telegram HTML, or raise HtmlParseError."""
    return parse_html_entities(text).text


def strip_html(text: str) -> str:
    """Return visible text, falling back to the raw text when it is not valid HTML."""
    try:
        return parse_html(text)
    except HtmlParseError:
        return text


CAPTION_LIMIT = 1024  # Telegram's limit for a photo's caption, in UTF-16 code units


@functools.lru_cache(maxsize=64)
def fits_caption(text: str) -> bool:
    """Tell whether Telegram HTML's visible text fits in a photo's caption."""
    return utf16_len(parse_html(text)) <= CAPTION_LIMIT
