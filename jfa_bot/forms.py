"""Cleaning and checking what people type into forms (names, organisations)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Cleaned", "Problem", "clean_text"]

_URL = re.compile(
    r"^(?:https?://|www\.|t\.me/)\S*$|^\S+\.(?:com|org|net|io|me|ly)(?:/\S*)?$", re.I
)
_SPACES = re.compile(r"\s+")
# Zero-width and bidi controls are in category Cf; keep ZWJ/ZWNJ, which some scripts need.
_KEEP_FORMAT = {"\u200c", "\u200d"}
# Hangul fillers are letters (Lo) to Unicode but draw nothing: a blank name, a common
# trick for invisible Telegram names. Modern Korean text never needs them.
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}


class Problem(StrEnum):
    """Why a typed answer was refused."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    ONLY_URL = "only_url"
    NO_LETTERS = "no_letters"


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The outcome of cleaning: the text to store, or the problem to explain."""

    text: str | None
    problem: Problem | None = None


def _strip_invisible(text: str) -> str:
    """Drop control, zero-width and bidi-override characters; keep ordinary spaces."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category == "Cc":
            out.append(" " if char in "\t\n\r" else "")
        elif (category == "Cf" and char not in _KEEP_FORMAT) or category in {"Co", "Cs", "Cn"}:
            continue
        elif char in _INVISIBLE_LETTERS:
            out.append(" ")  # it stood where a space would
        else:
            out.append(char)
    # Joiners only matter between letters: at the edges they are invisible noise.
    return _SPACES.sub(" ", "".join(out)).strip().strip("".join(_KEEP_FORMAT)).strip()


def clean_text(text: str | None, *, max_length: int = 100) -> Cleaned:
    """Clean a typed name or organisation, or say why it cannot be used."""
    cleaned = _strip_invisible(text or "")
    if not cleaned:
        return Cleaned(None, Problem.EMPTY)
    if len(cleaned) > max_length:
        return Cleaned(None, Problem.TOO_LONG)
    if _URL.match(cleaned):
        return Cleaned(None, Problem.ONLY_URL)
    if not any(unicodedata.category(char).startswith("L") for char in cleaned):
        return Cleaned(None, Problem.NO_LETTERS)
    return Cleaned(cleaned)
