"""A Telegram Bot API stand-in served over loopback HTTP with aiohttp."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from jfa_bot.sandbox.faults import FaultGate, chat_id_of
from jfa_bot.sandbox.params import Params, Upload, read_params
from jfa_bot.sandbox.state import (
    QUERY_INVALID,
    ApiError,
    CallbackAnswer,
    ChatMessage,
    Faults,
    MessageKind,
    RecordedCall,
    Stats,
    StoredFile,
    UpdateType,
    WebhookConfig,
    bad_request,
)
from jfa_bot.sandbox.store import ChatInfo, ChatStore

if TYPE_CHECKING:
    from jfa_bot.sandbox.client import SimulatedUser

HOST = "127.0.0.1"
#: Bot API round trip like real Telegram from most hosts: 80 ms ± 40 ms.
REAL_LATENCY = (0.08, 0.04)
Handler = Callable[[Params, dict[str, Upload]], Awaitable[Any]]


class BotApiServer:
    """In-process Telegram Bot API double on 127.0.0.1 (see DESIGN.md)."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",  # noqa: S107 - a fake token for the double
        bot_username: str = "jfa_test_bot",
        bot_first_name: str = "JFA Test Bot",
        port: int = 0,
        auto_chats: bool = False,
        latency: tuple[float, float] | None = None,
    ) -> None:
        """Serve as `token`; `latency` is (round trip, ± jitter), REAL_LATENCY by default.

        Pass `latency=(0, 0)` where a test only checks behaviour (the tests' fixture does).
        """
        prefix = token.split(":", 1)[0]
        if not prefix.isdigit() or ":" not in token:
            raise ValueError("token must look like '<digits>:<secret>'")
        self.token = token
        self.bot_id = int(prefix)
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.calls: list[RecordedCall] = []
        self.store = ChatStore(self.bot_user, auto_chats=auto_chats)
        self.webhook: WebhookConfig | None = None
        self.webhook_deliveries = 0
        self.webhook_errors: list[str] = []
        self._requested_port = port
        self._port: int | None = None
        self._users: dict[int, SimulatedUser] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        # Telegram's words: an update is "confirmed" once getUpdates asks with a higher
        # offset (or the webhook answered 2xx); `jfa-bot try` waits on these to know the
        # bot has taken what the person typed.
        self._delivered_through = 0
        self._confirmed_through = 0
        self._calls_in_flight = 0  # Bot API calls being handled, getUpdates aside
        self._call_events = 0  # starts and ends of those calls
        self._allowed_updates: frozenset[str] | None = None
        self._callbacks: dict[str, CallbackAnswer | None] = {}
        self._inline_results: dict[str, list[dict[str, Any]] | None] = {}
        self._ids = itertools.count(1)
        self._cond = asyncio.Condition()
        self._stopping = asyncio.Event()
        self._gate = FaultGate(self._stopping)
        self._gate.faults.latency, self._gate.faults.jitter = latency or REAL_LATENCY
        self._rng = random.Random()  # noqa: S311 - network jitter, not a secret
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, tuple[str, Handler]] = {}
        for name, handler in self._handlers().items():
            self._methods[name.lower()] = (name, handler)

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Start serving on 127.0.0.1 (port 0 picks a free port)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self._requested_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self._port = int(sockets[0].getsockname()[1])
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_worker())

    async def stop(self) -> None:
        """Stop serving and release every resource."""
        self._stopping.set()
        await self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def faults(self) -> Faults:
        """Return the mutable fault switches."""
        return self._gate.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._gate.faults = faults

    @property
    def stats(self) -> Stats:
        """Return the fault and send counters."""
        return self._gate.stats

    @property
    def port(self) -> int:
        """Return the port actually bound."""
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Return the value for PTB's ``base_url``."""
        return f"http://{HOST}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the value for PTB's ``base_file_url``."""
        return f"http://{HOST}:{self.port}/file/bot"

    # -- simulated chats ---------------------------------------------------------------
    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> SimulatedUser:
        """Return the simulated user with this id (its private chat id equals the user id)."""
        from jfa_bot.sandbox.client import SimulatedUser

        if user_id in self._users:
            return self._users[user_id]
        self.store.add_chat(ChatInfo(user_id, "private", None, first_name, last_name, username))
        user = SimulatedUser(self, user_id, first_name, last_name, username, language_code)
        self._users[user_id] = user
        return user

    def group(self, chat_id: int, *, title: str = "Group") -> ChatInfo:
        """Register a group chat (``-100…`` ids are supergroups) and return it."""
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = ChatInfo(chat_id, kind, title=title)
        self.store.add_chat(chat)
        return chat

    def messages_in(self, chat_id: int) -> list[ChatMessage]:
        """Return the current state of every visible bot message in a chat."""
        return self.store.bot_messages(chat_id)

    def events_in(self, chat_id: int) -> list[ChatMessage]:
        """Return every new-or-edited bot message event in a chat, in order."""
        return list(self.store.events.get(chat_id, []))

    @property
    def sent(self) -> list[ChatMessage]:
        """Return all messages the bot sent, in order, across chats."""
        return self.store.sent()

    @property
    def uploads(self) -> list[StoredFile]:
        """Return the files the bot uploaded (re-sends by file_id are not uploads)."""
        return list(self.store.uploads)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """Return the command list set for a scope and language."""
        return self.store.get_commands({"scope": scope, "language_code": language_code})

    def description(self, language_code: str | None = None) -> str:
        """Return the bot description for a language ("" when unset)."""
        return self.store.description(language_code, short=False)

    def short_description(self, language_code: str | None = None) -> str:
        """Return the bot short description for a language ("" when unset)."""
        return self.store.description(language_code, short=True)

    def reset_stats(self) -> None:
        """Clear the counters, the recorded calls and the flood windows."""
        self._gate.reset()
        self.calls.clear()

    def inline_results(self, inline_query_id: str) -> list[dict[str, Any]] | None:
        """Return the results the bot answered for an inline query (None if unanswered)."""
        return self._inline_results.get(inline_query_id)

    # -- update injection and waiting ----------------------------------------------------
    def new_id(self) -> str:
        """Return a fresh callback/inline query id."""
        return f"{self.bot_id}{next(self._ids):08d}"

    def expect_callback(self, query_id: str) -> None:
        """Register a callback query id so the bot may answer it once."""
        self._callbacks[query_id] = None

    def expect_inline(self, query_id: str) -> None:
        """Register an inline query id so the bot may answer it once."""
        self._inline_results[query_id] = None

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """Return the bot's answer to a callback query, if any."""
        return self._callbacks.get(query_id)

    async def inject(self, kind: UpdateType, payload: dict[str, Any]) -> int:
        """Queue (or deliver to the webhook) an update and return its update_id."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind.value: payload}
        if self._allowed_updates is None or kind.value in self._allowed_updates:
            if self.webhook is not None:
                self._webhook_queue.put_nowait(update)
            else:
                self._updates.append(update)
        await self._notify()
        return update_id

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait (event driven) until ``predicate()`` holds; return False on timeout."""
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(predicate), timeout)
            except TimeoutError:
                return False
        return True

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    def delivered(self, update_id: int) -> bool:
        """Return True once the bot has been given this update (getUpdates or webhook)."""
        return update_id <= self._delivered_through

    def confirmed(self, update_id: int) -> bool:
        """Return True once the bot has confirmed this update (it holds it for handling)."""
        return update_id <= self._confirmed_through

    def note_delivered(self, updates: list[dict[str, Any]]) -> None:
        """Record that these updates were handed to the bot."""
        if updates:
            newest = max(int(u["update_id"]) for u in updates)
            self._delivered_through = max(self._delivered_through, newest)

    async def confirm_through(self, update_id: int) -> None:
        """Record that the bot confirmed every update up to ``update_id`` and wake waiters."""
        if update_id > self._confirmed_through:
            self._confirmed_through = update_id
            self._delivered_through = max(self._delivered_through, update_id)
            await self._notify()

    @property
    def calls_in_flight(self) -> int:
        """Return how many Bot API calls (getUpdates aside) are being handled right now."""
        return self._calls_in_flight

    @property
    def call_events(self) -> int:
        """Return a counter that moves whenever such a call starts or ends."""
        return self._call_events

    # -- HTTP ----------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            method = request.match_info["method"]
            name, handler = self._methods.get(method.lower(), (method, None))
            counted = name != "getUpdates"  # a long poll is not the bot at work
            if counted:
                self._calls_in_flight += 1
                self._call_events += 1
            try:
                body, status = await self._answer(name, handler, request)
            finally:
                if counted:
                    self._calls_in_flight -= 1
                    self._call_events += 1
        except ApiError as error:
            body, status = error.payload(), error.code
            await self._travel()
        await self._notify()
        return web.json_response(body, status=status)

    async def _answer(
        self, name: str, handler: Handler | None, request: web.Request
    ) -> tuple[dict[str, Any], int]:
        """Run one call with the network's delays and return Telegram's body and status."""
        try:
            params, files = await read_params(request)
            await self._travel()  # the call is on its way: it arrives half a round trip later
            summary = dict(params)
            for key, (filename, data, _) in files.items():
                summary[key] = {"filename": filename, "size": len(data)}
            self.calls.append(RecordedCall(name, summary, time.monotonic()))
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await self._call(name, handler, params, files)
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as error:
            body, status = error.payload(), error.code
        await self._travel()  # and the answer takes the other half back
        return body, status

    async def _travel(self) -> None:
        """Sleep half of one round trip (latency ± jitter), if latency is on."""
        faults = self.faults
        if faults.latency <= 0:
            return
        jitter = self._rng.uniform(-faults.jitter, faults.jitter) if faults.jitter else 0.0
        await asyncio.sleep(max(0.0, faults.latency + jitter) / 2)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        file = self.store.file_by_path(request.match_info["path"])
        if file is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        content_type = file.mime_type or "application/octet-stream"
        return web.Response(body=file.data, content_type=content_type)

    async def _call(
        self, name: str, handler: Handler, params: Params, files: dict[str, Upload]
    ) -> Any:
        chat_id = chat_id_of(params)
        paid = str(params.get("allow_paid_broadcast", "")).lower() in ("true", "1")
        await self._gate.before(name, chat_id, paid=paid)
        result = await handler(params, files)
        self._gate.after(name, chat_id, paid=paid)
        return result

    # -- webhook -------------------------------------------------------------------------
    async def _webhook_worker(self) -> None:
        while True:
            update = await self._webhook_queue.get()
            hook, session = self.webhook, self._session
            if hook is None or session is None:
                self._updates.append(update)
                continue
            self.note_delivered([update])
            headers = {}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            try:
                async with session.post(
                    hook.url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    if response.status >= 300:
                        self.webhook_errors.append(
                            f"Wrong response from the webhook: {response.status}"
                        )
                    else:
                        self.webhook_deliveries += 1
                        self._confirmed_through = max(self._confirmed_through, update["update_id"])
            except (aiohttp.ClientError, TimeoutError) as error:
                self.webhook_errors.append(f"Connection failed: {type(error).__name__}")
            await self._notify()

    # -- method table ----------------------------------------------------------------------
    def _handlers(self) -> dict[str, Handler]:
        from jfa_bot.sandbox.methods import method_table

        return method_table(self)

    def file_upload(self, field: str, params: Params, files: dict[str, Upload]) -> Upload | None:
        """Return the uploaded file for a parameter (direct part or ``attach://``)."""
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            return files.get(value.removeprefix("attach://"))
        return files.get(field)

    def kind_for(self, method: str) -> MessageKind:
        """Return the message kind a send method produces."""
        return MessageKind.PHOTO if method == "sendPhoto" else MessageKind.DOCUMENT

    # accessors used by the method table
    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the queue of updates not yet confirmed by getUpdates."""
        return self._updates

    @property
    def stopping(self) -> bool:
        """Return True once stop() was called."""
        return self._stopping.is_set()

    def set_allowed_updates(self, allowed: Any) -> None:
        """Remember the bot's allowed_updates (an empty list means the default)."""
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(map(str, allowed)) if allowed else None

    def allowed(self, update: dict[str, Any]) -> bool:
        """Return True when an update's type is allowed."""
        if self._allowed_updates is None:
            return True
        return any(key in self._allowed_updates for key in update if key != "update_id")

    def answer_callback(self, query_id: str, answer: CallbackAnswer) -> None:
        """Record the bot's answer to a callback query or raise like Telegram."""
        if query_id not in self._callbacks or self._callbacks[query_id] is not None:
            raise bad_request(QUERY_INVALID)
        self._callbacks[query_id] = answer

    def answer_inline(self, query_id: str, results: list[dict[str, Any]]) -> None:
        """Record the bot's answer to an inline query or raise like Telegram."""
        if query_id not in self._inline_results or self._inline_results[query_id] is not None:
            raise bad_request(QUERY_INVALID)
        self._inline_results[query_id] = results

    def pending_webhook_count(self) -> int:
        """Return the number of updates waiting for webhook delivery."""
        return self._webhook_queue.qsize()

    def requeue_for_webhook(self) -> None:
        """Move pending getUpdates updates to the webhook queue."""
        for update in self._updates:
            self._webhook_queue.put_nowait(update)
        self._updates.clear()
