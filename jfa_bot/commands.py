"""The bot's public commands, shown in Telegram's menu and in /help."""

from __future__ import annotations

from jfa_bot.i18n import Translator, noop

__all__ = ["ORGANIZER_COMMANDS", "PUBLIC_COMMANDS", "describe_commands"]

#: Command and its description (translated when shown). Order is the menu's order.
PUBLIC_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", noop("Main menu")),
    ("sign", noop("Sign the petition, or see your signature")),
    ("count", noop("How many people have signed")),
    ("actionpack", noop("Get the Action Pack")),
    ("brief", noop("The policy brief and its recommendations")),
    ("webinar", noop("Get the webinar recording")),
    ("spotlight", noop("This week's spotlight")),
    ("weeks", noop("Earlier weeks' spotlights")),
    ("subscribe", noop("Get the weekly spotlight")),
    ("unsubscribe", noop("Stop the weekly spotlight")),
    ("settings", noop("Language, spotlight and name visibility")),
    ("language", noop("Choose your language")),
    ("privacy", noop("What we keep about you and your rights")),
    ("mydata", noop("Download everything we hold about you")),
    ("withdraw", noop("Withdraw your signature")),
    ("forget", noop("Erase everything we hold about you")),
    ("cancel", noop("Stop filling in a form")),
    ("help", noop("What this bot can do")),
)


#: Shown, after the public ones, only in organizers' chats.
ORGANIZER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("broadcast", noop("Organizers: send a broadcast")),
    ("broadcasts", noop("Organizers: past broadcasts")),
    ("stats", noop("Organizers: figures and chart")),
    ("export", noop("Organizers: exports")),
    ("audit", noop("Organizers: audit log")),
    ("reload", noop("Organizers: reload the content")),
)


def describe_commands(t: Translator, *, organizer: bool = False) -> list[tuple[str, str]]:
    """Return the commands with descriptions in the translator's language."""
    commands = PUBLIC_COMMANDS + (ORGANIZER_COMMANDS if organizer else ())
    return [(command, t.gettext(description)) for command, description in commands]
