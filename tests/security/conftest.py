"""Helpers of the signer-safety tests: reading what is on disk, pressing buttons."""

from __future__ import annotations

import stat
from pathlib import Path

# Older tests import these from here; they live in tests/conftest.py.
from tests.conftest import press, store_of  # noqa: F401


def database_files(db_path: Path) -> list[Path]:
    """Return the database file and its -wal and -shm companions that exist."""
    return [p for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")) if p.exists()]


def on_disk(db_path: Path, *needles: str) -> dict[str, list[str]]:
    """Return, per needle found, the files (db, -wal, -shm) whose bytes contain it.

    Each needle is looked for as UTF-8 (how SQLite stores TEXT) and as it would appear
    JSON-escaped in a form's saved answers.
    """
    import json

    found: dict[str, list[str]] = {}
    for needle in needles:
        forms = {needle.encode(), json.dumps(needle)[1:-1].encode()}
        for path in database_files(db_path):
            data = path.read_bytes()
            if any(form in data for form in forms):
                found.setdefault(needle, []).append(path.name)
    return found


def mode_of(path: Path) -> int:
    """Return a file's permission bits."""
    return stat.S_IMODE(path.stat().st_mode)
