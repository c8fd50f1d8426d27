"""Confirmation buttons ("Yes, erase everything") work once shown, for one person, briefly.

The tests here attack the token itself: moved to another action, another person, a
minute from the future, one minute past its life, another bot token, padded or stretched
callback data; and check that every confirmation's callback data fits Telegram's 64 bytes.
The end-to-end refusal of old and foreign buttons is in test_your_data.py.
"""

from __future__ import annotations

from jfa_bot import confirmations
from jfa_bot.keyboards import Kind, pack, parse
from tests.conftest import TEST_TOKEN

NOW = 1_796_000_000.0  # a fixed moment: these are properties of the token, not timings
ACTIONS = ("wd_yes", "forget_yes", "pub_yes")


def args_of(data: str) -> list[str]:
    parsed = parse(data)
    assert parsed is not None, data
    return list(parsed.args[1:])


def test_a_confirmation_works_only_for_its_person_and_its_action() -> None:
    for action in ACTIONS:
        issued = list(confirmations.issue(TEST_TOKEN, 42, action, now=NOW))
        assert confirmations.verify(TEST_TOKEN, 42, action, issued, now=NOW)
        assert not confirmations.verify(TEST_TOKEN, 43, action, issued, now=NOW)
        for other in ACTIONS:
            if other != action:  # "yes, list my name" cannot be replayed as "erase me"
                assert not confirmations.verify(TEST_TOKEN, 42, other, issued, now=NOW)
        # Another bot token (rotated after a leak) makes every old button void.
        assert not confirmations.verify("654321:another-token", 42, action, issued, now=NOW)


def test_a_confirmation_expires_and_cannot_be_dated_ahead() -> None:
    minute = 60.0
    issued = list(confirmations.issue(TEST_TOKEN, 42, "forget_yes", now=NOW))
    last = NOW + confirmations.CONFIRM_MINUTES * minute
    assert confirmations.verify(TEST_TOKEN, 42, "forget_yes", issued, now=last)
    assert not confirmations.verify(TEST_TOKEN, 42, "forget_yes", issued, now=last + minute)
    # Issued "in the future" (a forged minute, or one from a clock set ahead): refused.
    ahead = list(confirmations.issue(TEST_TOKEN, 42, "forget_yes", now=NOW + 5 * minute))
    assert not confirmations.verify(TEST_TOKEN, 42, "forget_yes", ahead, now=NOW)


def test_tampered_confirmation_data_is_refused() -> None:
    minute, mac = confirmations.issue(TEST_TOKEN, 42, "wd_yes", now=NOW)
    forged = [
        [minute],
        [minute, mac, "extra"],
        [minute, mac[:-1]],
        [minute, mac + "A"],
        [minute, mac.swapcase()],
        ["-" + minute, mac],
        ["0x" + minute, mac],  # the same minute, spelt otherwise
        [minute[:2] + "_" + minute[2:], mac],
        [minute.upper(), mac],
        [minute + "\n", mac],
        [minute, mac + "\n"],
        ["zz", mac],
        [format(int(minute, 16) - 1, "x"), mac],  # another minute, same MAC
    ]
    for args in forged:
        assert not confirmations.verify(TEST_TOKEN, 42, "wd_yes", args, now=NOW), args


def test_every_confirmation_fits_in_telegrams_64_bytes_of_callback_data() -> None:
    biggest_id = 2**53  # Telegram's user ids fit in 52 bits
    for action in ACTIONS:
        data = pack(Kind.SIGNER, action, *confirmations.issue(TEST_TOKEN, biggest_id, action))
        assert len(data.encode()) <= 64
        assert confirmations.verify(TEST_TOKEN, biggest_id, action, args_of(data))


def test_callback_data_has_one_spelling() -> None:
    # `$` in a regular expression also matches before a final newline: "m:sign\n" would
    # parse as an argument "sign\n" that no handler expects.
    for data in ("m:sign\n", "s:wd_yes:1f:AAAA\n", "l:fr\n", "m:\nsign", "m:sign\r"):
        assert parse(data) is None, repr(data)
    assert parse("m:sign") is not None
