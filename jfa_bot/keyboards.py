"""Inline keyboards and the callback-data formats behind their buttons.

Callback data is short, prefixed and language neutral (`l:fr`, `m:privacy`): buttons are
matched by their data, never by their translated label. Anything that does not parse is
treated as forged or stale and refused by the handlers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from jfa_bot.i18n import LANGUAGE_NAMES, Translator, noop

__all__ = [
    "MAIN_ITEMS",
    "Kind",
    "MenuItem",
    "Parsed",
    "button",
    "home_button",
    "language_keyboard",
    "main_menu",
    "pack",
    "parse",
    "stop_posts_button",
]

# Matched with fullmatch: `$` would also accept a final newline ("sign\n").
_PART = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_MAX_BYTES = 64


class Kind(StrEnum):
    """What a button does; the value is the callback-data prefix."""

    MENU = "m"
    LANGUAGE = "l"
    PETITION = "p"
    SIGNER = "s"
    BRIEF = "b"
    REQUEST = "r"
    SPOTLIGHT = "w"
    ADMIN = "a"
    EXPORT = "x"


class MenuItem(StrEnum):
    """Entries of the main menu."""

    SIGN = "sign"
    COUNT = "count"
    ACTION_PACK = "pack"
    BRIEF = "brief"
    WEBINAR = "webinar"
    SPOTLIGHT = "spotlight"
    LANGUAGE = "language"
    PRIVACY = "privacy"
    HELP = "help"
    HOME = "home"  # not in the menu itself: the way back to it from a closing message


#: The main menu's entries, in order.
MAIN_ITEMS: tuple[MenuItem, ...] = tuple(item for item in MenuItem if item is not MenuItem.HOME)


@dataclass(frozen=True, slots=True)
class Parsed:
    """Callback data split into its kind and arguments."""

    kind: Kind
    args: tuple[str, ...]


def pack(kind: Kind, *args: str) -> str:
    """Build callback data such as `l:fr`; refuse parts that would not parse back."""
    if any(not _PART.fullmatch(arg) for arg in args):
        raise ValueError(f"callback argument not allowed: {args!r}")
    data = ":".join((kind.value, *args))
    if len(data.encode()) > _MAX_BYTES:
        raise ValueError(f"callback data over {_MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None) -> Parsed | None:
    """Split callback data into kind and arguments; None for anything malformed."""
    if not data or len(data.encode()) > _MAX_BYTES:
        return None
    head, *args = data.split(":")
    try:
        kind = Kind(head)
    except ValueError:
        return None
    if any(not _PART.fullmatch(arg) for arg in args):
        return None
    return Parsed(kind, tuple(args))


_MENU_LABELS: dict[MenuItem, str] = {
    MenuItem.SIGN: noop("✍️ Sign the petition"),
    MenuItem.COUNT: noop("📊 How many have signed"),
    MenuItem.ACTION_PACK: noop("📘 Action Pack"),
    MenuItem.BRIEF: noop("📄 Policy brief and recommendations"),
    MenuItem.WEBINAR: noop("🎥 Webinar recording"),
    MenuItem.SPOTLIGHT: noop("🔦 This week's spotlight"),
    MenuItem.LANGUAGE: noop("🌐 Language"),
    MenuItem.PRIVACY: noop("🔒 Your data and privacy"),
    MenuItem.HELP: noop("❓ Help"),
    MenuItem.HOME: noop("🏠 Main menu"),
}


def main_menu(t: Translator, items: Sequence[MenuItem] = MAIN_ITEMS) -> InlineKeyboardMarkup:
    """Return the main menu, one button per row, labels in the user's language."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext(_MENU_LABELS[item]), callback_data=pack(Kind.MENU, item)
                )
            ]
            for item in items
        ]
    )


def home_button(t: Translator) -> InlineKeyboardButton:
    """Return the "main menu" button that ends a closing message with a next step."""
    return InlineKeyboardButton(
        t.gettext(_MENU_LABELS[MenuItem.HOME]), callback_data=pack(Kind.MENU, MenuItem.HOME)
    )


def button(label: str, kind: Kind, *args: str) -> InlineKeyboardButton:
    """Return one callback button."""
    return InlineKeyboardButton(label, callback_data=pack(kind, *args))


def stop_posts_button(t: Translator) -> tuple[str, str]:
    """Return the label and data of the one-tap "stop these posts" button under a post.

    Broadcasts are sent without PTB objects (see broadcast/sender.py), hence a plain pair;
    the data is language neutral and the same for every post.
    """
    return t.gettext("🔕 Stop these posts"), pack(Kind.SPOTLIGHT, "stop")


def language_keyboard(locales: Sequence[str], current: str) -> InlineKeyboardMarkup:
    """Return one button per language, each named in its own language, two per row."""
    buttons = [
        InlineKeyboardButton(
            ("✓ " if code == current else "") + LANGUAGE_NAMES[code],
            callback_data=pack(Kind.LANGUAGE, code),
        )
        for code in locales
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
