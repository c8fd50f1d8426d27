"""What anyone can read about the count never singles out the few signers of one country.

`/count.json` is public (any website may poll it, every few seconds) and /count answers
every user. A country with one signer in it says "someone from here signed, just now":
for a defender in a small or hostile country, that, with the time it changed, can be
enough to name them. Public answers list a country only from `JFA_PUBLIC_COUNTRY_MIN`
signers on; organizers (/stats, exports, the hand-over) still see every country.
"""

from __future__ import annotations

import datetime as dt
import json

import aiohttp

from jfa_bot.app import OPS_SERVER_KEY
from jfa_bot.i18n import Translator
from jfa_bot.ops import OpsServer
from jfa_bot.sandbox import BotApiServer
from jfa_bot.store import Store
from jfa_bot.store.signatures import NewSignature, Visibility
from tests.conftest import ADMIN_ID, BotRunner, store_of

EN = Translator.for_locale("en")


async def add_signers(store: Store, first_id: int, country: str, count: int) -> None:
    """Record `count` signatures from `country` through the store's own signing path."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for user_id in range(first_id, first_id + count):
        await store.users.seen(user_id, "en")
        await store.signatures.sign(
            NewSignature(
                user_id=user_id,
                name=f"Signer {user_id}",
                country=country,
                organisation=None,
                visibility=Visibility.WITHHELD,
                locale="en",
                petition_version="1",
                consent_version="1",
                signed_day=today,
                wants_updates=False,
            )
        )


async def test_the_public_count_feed_names_no_country_with_a_lone_signer(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot(http_port=0) as app:
        store = store_of(app)
        await add_signers(store, 8100, "KE", 5)
        await add_signers(store, 8200, "ER", 1)  # one person from Eritrea
        await add_signers(store, 8300, "BY", 4)
        server: OpsServer = app.bot_data[OPS_SERVER_KEY]
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{server.port}/count.json") as response,
        ):
            assert response.status == 200
            feed = json.loads(await response.read())
        assert feed["total"] == 10
        assert feed["countries"] == {"KE": 5}
        assert feed["other_countries"] == 5  # the rest, in one figure that names no one

        # A supporter's /count lists the same countries, and still the full total.
        [answer] = await sandbox.user(8400, language_code="en").ask("/count")
        assert EN.country_name("KE") in answer.plain
        assert EN.country_name("ER") not in answer.plain
        assert EN.country_name("BY") not in answer.plain
        assert "10" in answer.plain


async def test_a_supporter_sees_no_country_list_while_every_country_is_small(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot() as app:
        await add_signers(store_of(app), 8500, "ER", 2)
        [answer] = await sandbox.user(8600, language_code="en").ask("/count")
        assert EN.country_name("ER") not in answer.plain
        assert EN.gettext("<b>Top countries</b>").removeprefix("<b>").removesuffix("</b>") not in (
            answer.plain
        )
        assert "2" in answer.plain  # the total is still there


async def test_organizers_still_see_every_country(
    sandbox: BotApiServer, run_bot: BotRunner
) -> None:
    async with run_bot() as app:
        await add_signers(store_of(app), 8700, "ER", 1)
        admin = sandbox.user(ADMIN_ID, language_code="en")
        await admin.send("/stats")
        await admin.wait(2)  # the figures, then the chart
        assert any(EN.country_name("ER") in m.plain for m in admin.messages)
