from __future__ import annotations

import asyncio
import re

import pytest

from jfa_bot.store import NewSignature, Store, Visibility
from jfa_bot.store.migrations import MIGRATIONS


def new(user_id: int, country: str = "KE", **overrides: object) -> NewSignature:
    values: dict[str, object] = {
        "user_id": user_id,
        "name": f"Signer {user_id}",
        "country": country,
        "organisation": None,
        "visibility": Visibility.PUBLIC,
        "locale": "en",
        "petition_version": "1/en",
        "consent_version": "c1",
        "signed_day": "2026-11-22",
        "wants_updates": False,
    }
    values.update(overrides)
    return NewSignature(**values)  # type: ignore[arg-type]


async def signer(store: Store, user_id: int, **overrides: object) -> None:
    await store.users.touch(user_id, "en")
    await store.signatures.sign(new(user_id, **overrides))


async def test_signing_updates_counters_in_the_same_transaction(store: Store) -> None:
    await signer(store, 1, country="KE")
    await signer(store, 2, country="KE")
    await signer(store, 3, country="UG", signed_day="2026-11-21")
    counts = await store.signatures.counts("2026-11-22")
    assert counts.total == 3 and counts.countries == 2 and counts.today == 2
    assert counts.top == (("KE", 2), ("UG", 1))


async def test_concurrent_signing_by_one_user_keeps_one_signature(store: Store) -> None:
    await store.users.touch(9, "en")
    results = await asyncio.gather(*(store.signatures.sign(new(9)) for _ in range(5)))
    assert sum(r.created for r in results) == 1
    assert {r.signature.number for r in results} == {1}
    assert await store.signatures.total() == 1
    rows = await store.db.fetchall("SELECT kind FROM consents WHERE user_id = 9")
    assert len(rows) == 1


async def test_signer_numbers_are_never_reused(store: Store) -> None:
    await signer(store, 1)
    await signer(store, 2)
    assert await store.signatures.withdraw(2)
    await signer(store, 3)
    signature = await store.signatures.get(3)
    assert signature is not None and signature.number == 3
    assert await store.signatures.total() == 2


async def test_withdraw_twice_changes_nothing_the_second_time(store: Store) -> None:
    await signer(store, 1)
    assert await store.signatures.withdraw(1)
    assert not await store.signatures.withdraw(1)
    counts = await store.signatures.counts("2026-11-22")
    assert (counts.total, counts.countries, counts.today) == (0, 0, 0)


async def test_referral_codes_are_unique_and_self_referral_is_ignored(store: Store) -> None:
    await signer(store, 1)
    first = await store.signatures.get(1)
    assert first is not None and re.fullmatch(r"[A-Za-z0-9]{8}", first.referral_code)
    await store.users.touch(1, "en")
    await signer(store, 2, referrer_code=first.referral_code)
    second = await store.signatures.get(2)
    assert second is not None and second.referred_by == 1
    assert second.referral_code != first.referral_code
    await signer(store, 5, referrer_code="nosuchcode")
    assert (await store.signatures.get(5)).referred_by is None  # type: ignore[union-attr]


async def test_erase_removes_every_row_about_the_user(store: Store) -> None:
    await signer(store, 1, wants_updates=True)
    await store.flows.start(1, "edit_org", "org", {"draft": "x"})
    assert await store.personal_data.erase(1)
    for table in ("users", "signatures", "consents", "subscriptions", "flows"):
        count = await store.db.scalar(f"SELECT COUNT(*) FROM {table} WHERE user_id = 1")
        assert count == 0, table
    assert await store.signatures.total() == 0


async def test_visibility_enum_matches_the_sql_check() -> None:
    values = set(re.findall(r"visibility IN \(([^)]*)\)", "\n".join(MIGRATIONS))[0].split(", "))
    assert values == {f"'{v.value}'" for v in Visibility}


async def test_the_database_refuses_an_unknown_visibility(store: Store) -> None:
    import sqlite3

    await signer(store, 1)
    with pytest.raises(sqlite3.IntegrityError):
        await store.db.execute("UPDATE signatures SET visibility = 'secret' WHERE user_id = 1")
