"""Content the organizers own: petition, links, the Action Pack, recommendations.

Content is data, not code: a folder with a `content.toml` manifest and one sub-folder per
locale (`en/petition.toml`, `en/resources.toml`, `en/recommendations.toml`, the Action Pack
file). A locale without a file uses the default locale's, when the manifest's `[fallback]`
says so. The shipped sample lives beside this module; `JFA_CONTENT_DIR` points elsewhere.
`jfa_bot.content.check` validates a folder; the bot refuses to start on invalid content.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "CONTENT_FILES",
    "FONTS_DIR",
    "SAMPLE_DIR",
    "ActionPack",
    "Content",
    "ContentError",
    "Link",
    "Petition",
    "Recommendation",
    "Resources",
    "Spotlight",
]

T = TypeVar("T")
SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"  # Noto Sans, Noto Naskh Arabic (OFL)
MANIFEST = "content.toml"
CONTENT_FILES = ("petition.toml", "resources.toml", "recommendations.toml")
RECOMMENDATION_GROUPS = ("financing", "protection")
SPOTLIGHTS = "spotlights.toml"  # optional per locale; missing posts use the default's
SPOTLIGHT_TABLE = "spotlights"  # [spotlights] in the manifest: `weeks`, the campaign's length


class ContentError(ValueError):
    """Content is missing or malformed; the message lists `file:line: problem` lines."""


@dataclass(frozen=True, slots=True)
class Petition:
    """The petition in one language, with the version signers agree to."""

    locale: str
    version: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link with its introduction."""

    url: str
    intro: str


@dataclass(frozen=True, slots=True)
class ActionPack:
    """The Action Pack file for one locale, its caption and a link to the same."""

    path: Path | None
    url: str
    caption: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommendation of the policy brief."""

    group: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Spotlight:
    """One week's spotlight post in one language."""

    week: int
    locale: str
    title: str
    body: str
    image: Path | None = None  # sent as a photo above (or with) the post


@dataclass(frozen=True, slots=True)
class Resources:
    """Links and files for one locale."""

    action_pack: ActionPack
    brief: Link
    webinar: Link


def confined(folder: Path, file_name: object) -> Path | None:
    """Return the file named in a locale `folder`, or None if it resolves outside the content.

    The Action Pack is uploaded to anyone who asks: an absolute path, `..` or a symbolic
    link must never make that a server file (a secret, the database). The content folder
    is the locale folder's parent.
    """
    if not isinstance(file_name, str) or not file_name:
        return None
    root = folder.resolve().parent
    target = (folder.resolve() / file_name).resolve()
    return target if target.is_relative_to(root) and target != root else None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, raising ContentError with the file and line on a syntax error."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}:0: missing") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", 0) or _line_from_message(str(error))
        raise ContentError(f"{path}:{line}: {error}") from None


def _line_from_message(message: str) -> int:
    marker = "(at line "
    if marker in message:
        return int(message.split(marker, 1)[1].split(",", 1)[0].rstrip(")"))
    return 0


@dataclass(frozen=True)
class Content:
    """All content, read from one folder."""

    directory: Path
    default_locale: str
    locales: tuple[str, ...]
    fallback: dict[str, tuple[str, ...]]
    campaign_weeks: int | None = None  # [spotlights] weeks: how many weeks the campaign has
    _snapshot: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, directory: Path | None, default_locale: str | None = None) -> Content:
        """Read and validate a content folder (the shipped sample when None)."""
        from jfa_bot.content.check import check_content

        folder = (directory or SAMPLE_DIR).resolve()
        problems = check_content(folder)
        if problems:
            raise ContentError("\n".join(problems))
        manifest = read_toml(folder / MANIFEST)
        content = cls(
            directory=folder,
            default_locale=default_locale or str(manifest["default_locale"]),
            locales=tuple(manifest["locales"]),
            fallback={k: tuple(v) for k, v in manifest.get("fallback", {}).items()},
            campaign_weeks=manifest.get(SPOTLIGHT_TABLE, {}).get("weeks"),
        )
        for locale in content.locales:  # read everything now: a snapshot of what was checked
            content.petition(locale)
            content.resources(locale)
            content.recommendations(locale)
            content.spotlights(locale)
        return content

    def reload(self) -> Content:
        """Read the folder again (after organizers changed it); raise ContentError if invalid."""
        return Content.load(self.directory, self.default_locale)

    def _cached(self, key: tuple[str, ...], read: Callable[[], T]) -> T:
        """Return a value read once: a Content is a snapshot, later edits need a reload."""
        if key not in self._snapshot:
            self._snapshot[key] = read()
        value: T = self._snapshot[key]
        return value

    def path(self, locale: str, name: str) -> Path:
        """Return the locale's file, or the default locale's when the locale has none."""
        own = self.directory / locale / name
        return own if own.exists() else self.directory / self.default_locale / name

    def petition(self, locale: str) -> Petition:
        """Return the petition in `locale`, or in the default locale when not translated."""
        return self._cached(
            ("petition", locale), lambda: _petition(self.path(locale, "petition.toml"))
        )

    def resources(self, locale: str) -> Resources:
        """Return the links and the Action Pack for `locale`, with fallbacks."""
        return self._cached(
            ("resources", locale),
            lambda: _resources(
                self.path(locale, "resources.toml"), self.directory / self.default_locale
            ),
        )

    def spotlights(self, locale: str) -> dict[int, Spotlight]:
        """Return the weekly posts in `locale`, each week falling back to the default's."""
        posts = dict(self._own_spotlights(self.default_locale))
        if locale != self.default_locale:
            posts.update(self._own_spotlights(locale))
        return dict(sorted(posts.items()))

    def _own_spotlights(self, locale: str) -> dict[int, Spotlight]:
        return self._cached(
            ("spotlights", locale), lambda: _spotlights(self.directory / locale / SPOTLIGHTS)
        )

    def unwritten_weeks(self) -> tuple[int, ...]:
        """Return the campaign's weeks that have no post in any language yet."""
        if not self.campaign_weeks:
            return ()
        written = set(self.spotlights(self.default_locale))
        return tuple(w for w in range(1, self.campaign_weeks + 1) if w not in written)

    def spotlight_variants(self, week: int) -> dict[str, Spotlight]:
        """Return the week's post in every locale that has its own."""
        variants = {}
        for locale in self.locales:
            post = self._own_spotlights(locale).get(week)
            if post is not None:
                variants[locale] = post
        return variants

    def recommendations(self, locale: str) -> dict[str, tuple[Recommendation, ...]]:
        """Return the recommendations by group, in order."""
        return self._cached(
            ("recommendations", locale),
            lambda: _recommendations(self.path(locale, "recommendations.toml")),
        )


def _petition(path: Path) -> Petition:
    data = read_toml(path)
    return Petition(
        locale=path.parent.name,
        version=str(data["version"]),
        title=str(data["title"]).strip(),
        text=str(data["text"]).strip(),
    )


def _resources(path: Path, default_dir: Path) -> Resources:
    data = read_toml(path)
    pack = data["action_pack"]
    file_name = pack.get("file")
    pack_path = confined(path.parent, file_name)
    if pack_path is None or not pack_path.exists():
        default = read_toml(default_dir / "resources.toml")["action_pack"].get("file")
        pack_path = confined(default_dir, default)
    return Resources(
        action_pack=ActionPack(
            path=pack_path, url=str(pack["url"]), caption=str(pack["caption"]).strip()
        ),
        brief=Link(str(data["brief"]["url"]), str(data["brief"]["intro"]).strip()),
        webinar=Link(str(data["webinar"]["url"]), str(data["webinar"]["intro"]).strip()),
    )


def _spotlights(path: Path) -> dict[int, Spotlight]:
    if not path.exists():
        return {}
    data = read_toml(path)
    return {
        int(item["number"]): Spotlight(
            int(item["number"]),
            path.parent.name,
            str(item["title"]).strip(),
            str(item["body"]).strip(),
            confined(path.parent, item.get("image")),  # the check refuses one outside
        )
        for item in data.get("week", [])
    }


def _recommendations(path: Path) -> dict[str, tuple[Recommendation, ...]]:
    data = read_toml(path)
    return {
        group: tuple(
            Recommendation(group, str(item["title"]).strip(), str(item["text"]).strip())
            for item in data.get(group, [])
        )
        for group in RECOMMENDATION_GROUPS
    }
