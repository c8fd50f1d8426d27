"""Signed, expiring confirmation buttons for irreversible or consent-changing actions.

A "Yes, erase everything" button must not work months later, nor for anyone but the person
it was shown to: its callback data carries the minute it was issued and a MAC over the
user, the action and that minute, keyed by a secret derived from the bot token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

__all__ = ["CONFIRM_MINUTES", "issue", "verify"]

#: How long a confirmation button works after it was shown.
CONFIRM_MINUTES = 15
_MAC_BYTES = 9  # 12 base64url characters: unguessable, and short enough for 64-byte data


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"jfa-bot confirmation buttons\0" + secret.encode()).digest()


def _mac(secret: str, user_id: int, action: str, minute: int) -> str:
    message = f"{user_id}:{action}:{minute}".encode()
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _minute(now: float | None) -> int:
    return int((time.time() if now is None else now) // 60)


def issue(secret: str, user_id: int, action: str, *, now: float | None = None) -> tuple[str, str]:
    """Return the (minute, mac) arguments of a confirmation button for this user and action."""
    minute = _minute(now)
    return format(minute, "x"), _mac(secret, user_id, action, minute)


def verify(
    secret: str, user_id: int, action: str, args: list[str], *, now: float | None = None
) -> bool:
    """Tell whether a pressed confirmation is this user's, for this action, and still fresh."""
    if len(args) != 2:
        return False
    try:
        minute = int(args[0], 16)
    except ValueError:
        return False
    if args[0] != format(minute, "x"):
        return False  # one spelling per button ("0x1f", "1_f", "1f\n" are not it)
    age = _minute(now) - minute
    if not 0 <= age <= CONFIRM_MINUTES:
        return False
    return hmac.compare_digest(args[1], _mac(secret, user_id, action, minute))
