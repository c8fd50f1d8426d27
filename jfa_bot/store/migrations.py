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

_M2_SIGNATURES = """
CREATE TABLE signatures (
    user_id          INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    number           INTEGER NOT NULL UNIQUE,       -- "signer #N", never reused
    signed_at        TEXT    NOT NULL,              -- UTC
    signed_day       TEXT    NOT NULL,              -- local date in JFA_TIMEZONE, for daily counts
    petition_version TEXT    NOT NULL,
    consent_version  TEXT    NOT NULL,
    locale           TEXT    NOT NULL,
    name             TEXT    CHECK (name IS NULL OR length(name) BETWEEN 1 AND 100),
                                                    -- NULL once anonymised (JFA_RETENTION_DAYS)
    country          TEXT    NOT NULL CHECK (length(country) = 2 AND country = upper(country)),
    organisation     TEXT             CHECK (organisation IS NULL OR length(organisation) <= 100),
    visibility       TEXT    NOT NULL CHECK (visibility IN ('public', 'withheld')),
    referral_code    TEXT    NOT NULL UNIQUE,       -- this signer's own share code
    referred_by      INTEGER REFERENCES signatures (user_id) ON DELETE SET NULL,
    source           TEXT,
    anonymised_at    TEXT
) STRICT;
CREATE INDEX signatures_signed_at ON signatures (signed_at);
CREATE INDEX signatures_referred_by ON signatures (referred_by);
CREATE INDEX signatures_country ON signatures (country);

-- Counters maintained in the signing transaction: the hot path never runs COUNT(*).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
INSERT INTO counters (name, value) VALUES ('signatures', 0), ('next_number', 1);
CREATE TABLE country_counts (
    country TEXT PRIMARY KEY,
    count   INTEGER NOT NULL CHECK (count >= 0)
) STRICT;
CREATE TABLE daily_counts (
    day   TEXT PRIMARY KEY,
    count INTEGER NOT NULL CHECK (count >= 0)
) STRICT;
CREATE TABLE milestones (
    threshold  INTEGER PRIMARY KEY,
    reached_at TEXT    NOT NULL,
    announced  INTEGER NOT NULL DEFAULT 0 CHECK (announced IN (0, 1))
) STRICT;

-- Every consent given or withdrawn, with its time: the record of what people agreed to.
CREATE TABLE consents (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL CHECK (kind IN ('petition', 'updates')),
    given   INTEGER NOT NULL CHECK (given IN (0, 1)),
    version TEXT,
    at      TEXT    NOT NULL
) STRICT;
CREATE INDEX consents_user ON consents (user_id);

-- Present while a user receives the weekly spotlight.
CREATE TABLE subscriptions (
    user_id INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    since   TEXT    NOT NULL,
    locale  TEXT
) STRICT;

-- A form in progress (signing, requests): restart-safe, dropped when idle.
CREATE TABLE flows (
    user_id    INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    token      TEXT    NOT NULL,                    -- in every button of this form
    step       TEXT    NOT NULL,
    data       TEXT    NOT NULL DEFAULT '{}',       -- JSON answers so far
    message_id INTEGER,                             -- the message the form edits
    updated_at TEXT    NOT NULL
) STRICT;
CREATE INDEX flows_updated_at ON flows (updated_at);
"""

_M3_RESOURCES = """
-- Telegram file_ids of files the bot uploaded, so each file is uploaded once per version.
CREATE TABLE telegram_files (
    key        TEXT PRIMARY KEY,                  -- which file (its path in the content)
    sha256     TEXT NOT NULL,                     -- the content uploaded
    file_id    TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Defenders' requests for the Action Pack and the webinar recording, with consent.
CREATE TABLE requests (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('action_pack', 'webinar')),
    name            TEXT    CHECK (name IS NULL OR length(name) <= 100),
    organisation    TEXT    CHECK (organisation IS NULL OR length(organisation) <= 100),
    country         TEXT    CHECK (country IS NULL OR length(country) = 2),
    usage           TEXT    CHECK (usage IS NULL OR usage IN
                        ('local_advocacy', 'training', 'national_action_plan', 'other')),
    usage_other     TEXT    CHECK (usage_other IS NULL OR length(usage_other) <= 200),
    locale          TEXT    NOT NULL,
    consent_version TEXT    NOT NULL,
    at              TEXT    NOT NULL
) STRICT;
CREATE INDEX requests_user ON requests (user_id, kind);
"""

_M4_BROADCASTS = """
ALTER TABLE users ADD COLUMN blocked_at TEXT;   -- set when Telegram says the user blocked us

CREATE TABLE broadcasts (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('spotlight', 'custom', 'milestone')),
    label           TEXT    NOT NULL,              -- e.g. "Week 9" for the organizers
    variants        TEXT    NOT NULL,              -- JSON {locale: text}, frozen at confirmation
    default_locale  TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN
                        ('running', 'paused', 'cancelled', 'done', 'aborted')),
    paid            INTEGER NOT NULL DEFAULT 0 CHECK (paid IN (0, 1)),
    created_by      INTEGER,                       -- organizer's Telegram id (NULL: schedule)
    report_chat_id  INTEGER,                       -- where progress is shown
    report_message_id INTEGER,
    error           TEXT,
    created_at      TEXT    NOT NULL,
    finished_at     TEXT
) STRICT;

-- The outbox: one row per recipient, its state persisted at every step.
CREATE TABLE deliveries (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    locale       TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN
                     ('pending', 'sending', 'sent', 'blocked', 'failed', 'retryable')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    PRIMARY KEY (broadcast_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX deliveries_state ON deliveries (broadcast_id, state);
CREATE INDEX deliveries_user ON deliveries (user_id);

-- Organizers' actions: who did what, and when.
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at     TEXT    NOT NULL,
    actor  INTEGER,                                -- Telegram id; NULL for the schedule
    action TEXT    NOT NULL,
    detail TEXT
) STRICT;
"""

_M5_BROADCAST_EXTRAS = """
-- JSON {locale: {"photo": absolute path or null, "buttons": [[[label, url], ...], ...]}}:
-- a spotlight's image and link buttons in each language, frozen with the texts.
ALTER TABLE broadcasts ADD COLUMN extras TEXT NOT NULL DEFAULT '{}';
"""

_M6_ERASURE = """
-- An erasure-class write (forget, withdraw, a dropped form, retention) whose write-ahead
-- log has not yet been checkpointed and truncated: start-up and a periodic job finish it.
-- It says why and when, never about whom.
CREATE TABLE pending_erasures (
    id     INTEGER PRIMARY KEY,
    reason TEXT    NOT NULL,
    at     TEXT    NOT NULL
) STRICT;

-- The bot's own messages that show a person's name (consent summary, thank-you, request
-- confirmations), so /forget can delete them from the chat too.
CREATE TABLE named_messages (
    user_id    INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    at         TEXT    NOT NULL,
    PRIMARY KEY (user_id, chat_id, message_id)
) STRICT, WITHOUT ROWID;
"""

_M7_SENT_EXPORTS = """
-- Files holding names that the bot sent to organizers (the signatures CSV, the hand-over
-- pack): deleted from their chat at `delete_at` (JFA_EXPORT_KEEP_HOURS after sending), or
-- at once when a signer whose name they may hold takes it back. Which message and when,
-- never what it held or about whom.
CREATE TABLE sent_exports (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    sent_at    TEXT    NOT NULL,                    -- UTC
    delete_at  TEXT    NOT NULL,                    -- UTC; brought forward by an erasure
    erasure    INTEGER NOT NULL DEFAULT 0 CHECK (erasure IN (0, 1)),
                                                    -- 1: due because a name was taken back
    PRIMARY KEY (chat_id, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sent_exports_delete_at ON sent_exports (delete_at);
"""

_M8_WEBHOOK_IDS = """
-- The webhook's memory of update ids already received, so a captured update replayed
-- after a restart is still refused: one row, saved every few seconds and at stop, not
-- per update. Ids only: no update content, nobody's Telegram id.
CREATE TABLE webhook_ids (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    floor       INTEGER,                           -- ids at or below it are refused
    recent      TEXT    NOT NULL,                  -- ids received above it: "5-9,12"
    received_at TEXT,                              -- UTC of the latest update received
    saved_at    TEXT    NOT NULL
) STRICT;
"""

_M9_LISTED_SINCE = """
-- Since when the name is on the hand-over list, if it was added after signing (NULL: since
-- signed_at, or never listed). Taking the name off the list deletes the organizers'
-- exports sent since then, and only those: a file sent while it was off holds no name.
ALTER TABLE signatures ADD COLUMN listed_since TEXT;  -- UTC
"""

MIGRATIONS: tuple[str, ...] = (
    _M1_USERS,
    _M2_SIGNATURES,
    _M3_RESOURCES,
    _M4_BROADCASTS,
    _M5_BROADCAST_EXTRAS,
    _M6_ERASURE,
    _M7_SENT_EXPORTS,
    _M8_WEBHOOK_IDS,
    _M9_LISTED_SINCE,
)
