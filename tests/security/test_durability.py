"""What a user is told is saved is on disk first: those commits run with synchronous=FULL.

SQLite's statement trace of the bot's own connection shows, for a signature, a consent
change, a subscription and an erasure, that the COMMIT ran while synchronous was FULL
(with NORMAL, a power cut can drop a signature whose signer was told "signer #N").
"""

from __future__ import annotations

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer
from tests.conftest import press, store_of
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")


def _commits_and_their_sync(statements: list[str]) -> list[tuple[str, str]]:
    """Return (first write statement, synchronous mode) for each committed transaction."""
    mode, first, found = "NORMAL", "", []
    for raw in statements:
        sql = " ".join(raw.split())
        upper = sql.upper()
        if upper.startswith("PRAGMA SYNCHRONOUS="):
            mode = upper.split("=", 1)[1]
        elif upper.startswith("BEGIN"):
            first = ""
        elif upper == "COMMIT":
            found.append((first, mode))
        elif not first and upper.split(" ", 1)[0] in {"INSERT", "UPDATE", "DELETE"}:
            first = sql
    return found


async def test_signing_withdrawing_and_erasing_are_committed_with_full_sync(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    store = store_of(bot)
    statements: list[str] = []
    await store.db.conn.set_trace_callback(statements.append)
    user = sandbox.user(9001, language_code="en")
    await sign(user, name="Durable Name", country_query="Kenya", country="KE", updates=True)
    await user.ask("/withdraw")
    await press(user, EN.gettext("Yes, withdraw my signature"))
    await user.ask("/forget")
    await press(user, EN.gettext("Yes, erase everything"))
    await store.db.conn.set_trace_callback(None)
    commits = _commits_and_their_sync(statements)

    def mode_of(prefix: str) -> set[str]:
        modes = {mode for first, mode in commits if first.startswith(prefix)}
        assert modes, (prefix, commits)
        return modes

    # The signing transaction starts by taking the next signer number.
    assert mode_of("UPDATE counters SET value = value + 1 WHERE name = 'next_number'") == {"FULL"}
    assert mode_of("DELETE FROM signatures") == {"FULL"}  # withdraw and forget
    # Routine writes outside these (the form's progress) stay NORMAL.
    assert statements[-1].upper().replace(" ", "") != "PRAGMASYNCHRONOUS=FULL"
    assert [s for s in statements if "synchronous" in s.lower()][-1].upper().endswith("NORMAL")
