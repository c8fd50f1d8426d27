"""Content the organizers own: petition text (and later links and posts), per locale.

Content is data, not code: TOML files in `<content dir>/<locale>/`, falling back to the
default locale when a locale has no file. The shipped sample lives beside this module and
is replaced by pointing `JFA_CONTENT_DIR` at another folder.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SAMPLE_DIR", "Content", "ContentError", "Petition"]

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


class ContentError(ValueError):
    """A content file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Petition:
    """The petition in one language, with the version signers agree to."""

    locale: str
    version: str
    title: str
    text: str


@dataclass(frozen=True)
class Content:
    """All content, read from one folder."""

    directory: Path
    default_locale: str

    @classmethod
    def load(cls, directory: Path | None, default_locale: str) -> Content:
        """Point at a content folder (the shipped sample when None) and check the default."""
        content = cls(directory or SAMPLE_DIR, default_locale)
        content.petition(default_locale)  # fail at start-up, not in a user's chat
        return content

    def petition(self, locale: str) -> Petition:
        """Return the petition in `locale`, or in the default locale when not translated."""
        return _petition(self.directory, locale, self.default_locale)


@functools.cache
def _petition(directory: Path, locale: str, default: str) -> Petition:
    path = directory / locale / "petition.toml"
    if not path.exists():
        if locale == default:
            raise ContentError(f"{path}: missing (the default locale needs a petition)")
        return _petition(directory, default, default)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Petition(
            locale=locale,
            version=str(data["version"]),
            title=str(data["title"]).strip(),
            text=str(data["text"]).strip(),
        )
    except (tomllib.TOMLDecodeError, KeyError) as error:
        raise ContentError(f"{path}: {error}") from error
