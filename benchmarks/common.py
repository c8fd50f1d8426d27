"""Shared pieces: results, the table, RESULTS.md, an in-process Bot API fake, RSS."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

TOKEN = "123456:BENCH-token-for-the-stand-in"
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Result:
    """One benchmark figure with its same-run baseline, ratio and target."""

    figure: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: bool
    note: str = ""


def rss_mb() -> float:
    """Return this process's resident memory in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class FakeBotApi(BaseRequest):
    """Answer Bot API calls in process, as PTB's own tests do: no network at all."""

    def __init__(self) -> None:
        self._message_id = 0
        self.calls = 0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        """Return a read timeout (unused)."""
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Return a plausible answer for the endpoint."""
        self.calls += 1
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if endpoint == "getMe":
            result: Any = {
                "id": 123456,
                "is_bot": True,
                "first_name": "Bench",
                "username": "jfa_bench_bot",
                "can_join_groups": True,
                "supports_inline_queries": True,
            }
        elif endpoint in {"sendMessage", "editMessageText", "sendDocument", "sendPhoto"}:
            self._message_id += 1
            chat_id = int(params.get("chat_id", 1))
            result = {
                "message_id": self._message_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "text": str(params.get("text", "")),
            }
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()


def versions() -> str:
    """Return the machine and library versions for RESULTS.md."""
    libs = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("python-telegram-bot", "aiosqlite", "aiohttp", "httpx", "babel")
    )
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()} ({sys.platform}), {libs}; "
        f"SQLite {__import__('sqlite3').sqlite_version}"
    )


def table(results: Sequence[Result]) -> str:
    """Return the results as a Markdown table."""
    lines = [
        "| figure | value | baseline (same run) | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.figure} | {r.value} | {r.baseline} | {r.ratio} | {r.target} | "
            f"{'yes' if r.met else '**no**'} |"
        )
    notes = [f"- **{r.figure}**: {r.note}" for r in results if r.note]
    return "\n".join(lines + (["", *notes] if notes else []))
