"""End-to-end tests use the shared fixtures of tests/conftest.py (the bot over loopback)."""

from __future__ import annotations

from tests.conftest import BotRunner

__all__ = ["BotRunner"]
