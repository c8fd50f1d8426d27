"""A name on the hand-over list can be read: no blank, invisible or reordered names.

Bidi overrides and zero-width characters are already stripped from typed names. Hangul
filler characters are *letters* to Unicode, yet draw nothing: a "name" made of them would
be a blank line in a government's list (and a favourite trick for invisible Telegram
names, which the "Sign as …" button offers too).
"""

from __future__ import annotations

from jfa_bot.app import JfaApplication
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer
from tests.conftest import press, store_of

EN = Translator.for_locale("en")
FILLERS = ("\u3164", "\u115f", "\u1160", "\uffa0")


async def test_a_name_of_invisible_letters_is_refused(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    user = sandbox.user(9401, language_code="en")
    await user.ask("/sign")
    await press(user, EN.gettext("✍️ Sign with another name"))
    for blank in ("".join(FILLERS), "\u3164 \u3164", "\u202e\u3164\u200b"):
        answer, _prompt = await user.ask(blank, n=2)  # why, then the question again
        assert answer.plain == EN.gettext("That looks empty. Please type it with letters.")
    flow = await store_of(bot).flows.get(9401)
    assert flow is not None and not flow.data.get("name")
    # Around real letters the fillers are dropped, and the name is taken.
    [next_step] = await user.ask("\u3164Amina\u3164 Yusuf\uffa0")
    assert "Amina Yusuf" in next_step.plain or "Step 2" in next_step.plain
    flow = await store_of(bot).flows.get(9401)
    assert flow is not None and flow.data.get("name") == "Amina Yusuf"
