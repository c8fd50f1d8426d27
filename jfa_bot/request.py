"""One HTTP stack for every Bot API call: a PTB `BaseRequest` on aiohttp.

PTB's default `HTTPXRequest` cost 5-8 ms of CPU per call on this project's machine (and
httpcore re-imported `sniffio` from disk on every request); aiohttp costs about a tenth of
that. Replies (through PTB's `Bot`) and broadcasts (`post_json`, which skips building
PTB objects) share one session and one error mapping, with PTB's exception classes:
401 and 404 raise `InvalidToken` and 409 `Conflict`, which are not temporary failures.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any, NoReturn

import aiohttp
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest", "raise_for_answer"]

log = logging.getLogger(__name__)

_USER_AGENT = "jfa-bot (aiohttp)"


class AiohttpRequest(BaseRequest):
    """PTB's HTTP layer on one pooled aiohttp session (created inside the running loop)."""

    __slots__ = (
        "_connect_timeout",
        "_connections",
        "_read_timeout",
        "_session",
        "_write_timeout",
        "calls",
        "failures",
    )

    def __init__(
        self,
        connections: int = 64,
        *,
        read_timeout: float | None = 15.0,
        write_timeout: float | None = 20.0,
        connect_timeout: float | None = 10.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None
        # Counters for metrics (read them; never reset).
        self.calls = 0
        self.failures = 0

    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout (PTB adds it to getUpdates' long-poll timeout)."""
        return self._read_timeout

    def session(self) -> aiohttp.ClientSession:
        """Return the shared session, opening it if needed (inside the running loop)."""
        return self._open()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": _USER_AGENT},
                json_serialize=json.dumps,
            )
        return self._session

    async def initialize(self) -> None:
        """Open the session (idempotent)."""
        self._open()

    async def shutdown(self) -> None:
        """Close the session (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: Any, write: Any, connect: Any) -> aiohttp.ClientTimeout:
        def pick(value: Any, default: float | None) -> float | None:
            return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value

        read_s = pick(read, self._read_timeout)
        write_s = pick(write, self._write_timeout)
        connect_s = pick(connect, self._connect_timeout)
        # aiohttp has no separate write timeout: a request's total bounds writing and reading.
        total = None if read_s is None or write_s is None else read_s + write_s
        return aiohttp.ClientTimeout(total=total, sock_connect=connect_s, sock_read=read_s)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; PTB maps the status and body to its exceptions."""
        session = self._open()
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout)
        kwargs: dict[str, Any] = {}
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                kwargs["data"] = form
            else:
                kwargs["data"] = request_data.json_payload
                kwargs["headers"] = {"Content-Type": "application/json"}
        self.calls += 1
        try:
            async with session.request(method, url, timeout=timeout, **kwargs) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            self.failures += 1
            raise TimedOut("Timed out") from error
        except aiohttp.ClientError as error:
            self.failures += 1
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error

    async def post_json(self, url: str, payload: dict[str, Any]) -> None:
        """Post `payload` as JSON and raise PTB's exception for an error answer.

        The broadcast path: no PTB objects are built from the answer.
        """
        session = self._open()
        self.calls += 1
        try:
            async with session.post(url, json=payload) as response:
                status = response.status
                body = await response.read()
        except TimeoutError as error:
            self.failures += 1
            raise TimedOut("Timed out") from error
        except aiohttp.ClientError as error:
            self.failures += 1
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error
        if status != HTTPStatus.OK:
            raise_for_answer(status, body)


def raise_for_answer(status: int, body: bytes) -> NoReturn:
    """Raise the PTB exception for a Bot API error answer (as PTB's own request does)."""
    try:
        answer = json.loads(body)
        description = str(answer.get("description") or "")
        parameters = answer.get("parameters") or {}
    except (ValueError, AttributeError):
        description, parameters = "", {}
    if parameters.get("migrate_to_chat_id"):
        raise ChatMigrated(int(parameters["migrate_to_chat_id"]))
    if status == HTTPStatus.TOO_MANY_REQUESTS or parameters.get("retry_after"):
        raise RetryAfter(int(parameters.get("retry_after", 1)))
    message = description or f"Bot API answered {status}"
    error: TelegramError
    if status == HTTPStatus.FORBIDDEN:
        error = Forbidden(message)
    elif status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
        error = InvalidToken(message)
    elif status == HTTPStatus.BAD_REQUEST:
        error = BadRequest(message)
    elif status == HTTPStatus.CONFLICT:
        error = Conflict(message)
    else:
        error = NetworkError(message)
    raise error
