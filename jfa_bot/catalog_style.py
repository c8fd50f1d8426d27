"""House rules a translation must follow beyond completeness, checked by `catalogs check`.

- French: a no-break space (U+00A0) before ? ! : ; and », and after «.
- Spanish: every question opens with ¿ and every exclamation with ¡.
- Arabic: every /command, {placeholder}, link and Latin-script name inside the text sits in a
  Unicode bidi isolate (LRI U+2066 or FSI U+2068 ... PDI U+2069), so the bidi algorithm
  cannot reorder it ("/mydata" must not show as "mydata/").
- Every language: the glossary in `locales/glossary.toml` lists words to avoid and what to
  write instead ("mil milhões" → "bilhões"), so one variety and one term hold everywhere.

HTML tags are left out of every rule: an attribute such as `href="{url}"` is not text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FSI", "LRI", "PDI", "Glossary", "isolate_arabic", "style_problems"]

LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
NBSP = "\u00a0"
_TAG = re.compile(r"(<[^>]+>)")
_ISOLATED = re.compile(r"[\u2066\u2067\u2068][^\u2069]*\u2069")
# What must be isolated in right-to-left text: a command, a placeholder (with a "#" before
# it, as in "#{id}"), a link, or a run of Latin-script words ("Justice For All", "CSV").
_LTR_ITEM = re.compile(
    r"(?<![\w/])/[a-z][a-z_]*"
    r"|#?\{[a-z_][a-z0-9_]*\}"
    r"|https?://\S+"
    r"|[A-Za-z][A-Za-z0-9]*(?:[ .’'-]+[A-Za-z0-9]+)*"
)
#: Placeholders whose value is a number, a command or a link: left to right (LRI). Any
#: other placeholder (a name, a label, a date in words) takes its own direction (FSI).
LTR_PLACEHOLDERS = frozenset(
    {
        *("n", "sent", "blocked", "failed", "retryable", "remaining", "rate", "other"),
        *("done", "total", "index", "number", "id", "generation", "today", "week"),
        *("active", "bar", "link", "url", "count", "place", "day"),  # day: an ISO date
    }
)
_FRENCH_BEFORE = re.compile(r"(?<!\u00a0)(?:[?!:;](?=\s|$)|»)")
_FRENCH_AFTER = re.compile(r"«(?!\u00a0)")


@dataclass(frozen=True)
class Glossary:
    """Words each language avoids, with what to write instead."""

    avoid: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, locales_dir: Path) -> Glossary:
        """Read `glossary.toml` beside the catalogs; an absent file means no glossary."""
        path = locales_dir / "glossary.toml"
        if not path.exists():
            return cls()
        with path.open("rb") as fp:
            raw = tomllib.load(fp)
        return cls({locale: dict(terms) for locale, terms in raw.get("avoid", {}).items()})


def _text_parts(text: str) -> Iterator[str]:
    """Yield the parts of a message outside its HTML tags."""
    for index, part in enumerate(_TAG.split(text)):
        if index % 2 == 0:
            yield part


def isolate_arabic(text: str) -> str:
    """Wrap every command, placeholder, link and Latin name of Arabic text in an isolate."""

    def wrap(match: re.Match[str]) -> str:
        item = match.group(0)
        name = item.strip("#{}")
        opener = FSI if item.startswith(("{", "#{")) and name not in LTR_PLACEHOLDERS else LRI
        return f"{opener}{item}{PDI}"

    parts = _TAG.split(text.replace(LRI, "").replace(FSI, "").replace(PDI, ""))
    return "".join(
        part if index % 2 else _LTR_ITEM.sub(wrap, part) for index, part in enumerate(parts)
    )


def style_problems(text: str, locale: str, glossary: Glossary) -> list[str]:
    """Return the house rules one translated string breaks."""
    found: list[str] = []
    parts = list(_text_parts(text))
    if locale == "fr" and any(
        _FRENCH_BEFORE.search(part) or _FRENCH_AFTER.search(part) for part in parts
    ):
        found.append("French: put a no-break space (U+00A0) before ? ! : ; » and after «")
    if locale == "es" and any(
        part.count("?") != part.count("¿") or part.count("!") != part.count("¡") for part in parts
    ):
        found.append("Spanish: open each question with ¿ and each exclamation with ¡")
    if locale == "ar":
        loose = [
            item.group(0) for part in parts for item in _LTR_ITEM.finditer(_ISOLATED.sub("", part))
        ]
        if loose:
            found.append(
                "Arabic: wrap in LRI (U+2066) or FSI (U+2068) ... PDI (U+2069): "
                + ", ".join(sorted(set(loose)))
            )
    lowered = text.casefold()
    for avoid, use in glossary.avoid.get(locale, {}).items():
        if re.search(rf"(?<!\w){re.escape(avoid.casefold())}(?!\w)", lowered):
            found.append(f"glossary: write {use!r}, not {avoid!r}")
    return found
