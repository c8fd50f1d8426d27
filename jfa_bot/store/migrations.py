"""Numbered schema migrations; migration N sets `PRAGMA user_version = N`.

Append new migrations; never edit one that has shipped. Each runs in one transaction.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

_M1_USERS = """
CREATE TABLE users (
    user_id           INTEGER PRIMARY KEY,      -- Telegram user id
    first_seen        TEXT    NOT NULL,         -- UTC, ISO 8601
    last_seen         TEXT    NOT NULL,
    locale            TEXT,                     -- chosen with /language; NULL follows Telegram
    telegram_language TEXT,                     -- Telegram's language_code as last seen
    source            TEXT,                     -- s_<source> of the first /start
    referrer_code     TEXT                      -- r_<code> of the first /start
) STRICT;
"""

MIGRATIONS: tuple[str, ...] = (_M1_USERS,)
