"""Build the PTB Application: defaults, context, start-up, and every handler in one list."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, cast

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from jfa_bot.alerts import ALERTS_KEY, OrganizerAlerts
from jfa_bot.broadcast.engine import BroadcastEngine, EngineConfig
from jfa_bot.broadcast.pacer import Pacer, PacingRateLimiter
from jfa_bot.broadcast.progress import ProgressReporter
from jfa_bot.broadcast.sender import LeanSender
from jfa_bot.commands import describe_commands
from jfa_bot.content import Content
from jfa_bot.context import SETTINGS_KEY, STORE_KEY, BotContext, translator_for_user
from jfa_bot.export_retention import SWEEP_EVERY, delete_due_exports
from jfa_bot.handlers import (
    admin,
    errors,
    fallback,
    info,
    inline,
    language,
    membership,
    organizer,
    petition,
    requests,
    resources,
    signer,
    spotlight,
    start,
)
from jfa_bot.handlers.common import expired_button, remember_user
from jfa_bot.i18n import Translator
from jfa_bot.jobs import (
    announce_milestones,
    anonymise_old_signatures,
    catch_up_weekly_spotlight,
    close_idle_forms,
    finish_erasures,
    weekly_spotlight,
)
from jfa_bot.keyboards import Kind
from jfa_bot.logs import protect_secret, quiet_http_loggers
from jfa_bot.ops import OpsServer, OpsState
from jfa_bot.processing import OrderedUpdateProcessor
from jfa_bot.request import AiohttpRequest
from jfa_bot.settings import Settings
from jfa_bot.store import Store

__all__ = [
    "BOOTSTRAP_RETRIES",
    "InstrumentedApplication",
    "JfaApplication",
    "build_application",
    "retry_network",
    "running",
    "stop_application",
]

log = logging.getLogger(__name__)

JfaApplication = Application[Any, BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]

_OWNS_STORE = "owns_store"
CONTENT_KEY = "content"
ENGINE_KEY = "engine"
PACER_KEY = "pacer"
PROCESSOR_KEY = "processor"
REQUEST_KEY = "request"
HTTP_KEY = "http"  # every HTTP layer the bot opened itself
REPORTER_KEY = "reporter"
LIMITER_KEY = "limiter"
OPS_KEY = "ops"
OPS_SERVER_KEY = "ops_server"
PROFILE_KEY = "profile"  # the task publishing menus and descriptions at start-up
#: Set by webhook mode: its own server serves the operations paths.
WEBHOOK_MODE_KEY = "webhook_mode"
#: Start-up tries on network errors: pauses grow 1.5× from 1 s to 30 s, about 4 minutes.
BOOTSTRAP_RETRIES = 15
#: New messages in a private chat. An edit corrects something already answered: editing
#: an old message into /mydata or /forget must not run it again.
PRIVATE = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED


class InstrumentedApplication(Application):
    """PTB's Application that reports each handled update and how long it took."""

    #: Called with the seconds an update took, after its handlers finished.
    on_update_handled: Callable[[float], None] | None = None

    async def initialize(self) -> None:
        """Initialize as PTB does; if that fails (a rejected token), close the HTTP sessions.

        PTB shuts down only what initialized, and aiohttp complains about open sessions.
        """
        try:
            await super().initialize()
        except BaseException:
            for request in self.bot_data.get(HTTP_KEY, ()):
                await request.shutdown()
            raise

    async def process_update(self, update: object) -> None:
        """Process the update as PTB does, timing it."""
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            hook = self.on_update_handled
            if hook is not None:
                hook(time.perf_counter() - started)


def _data(kind: Kind) -> str:
    """Match callback data of one kind by its prefix (never by the button's label)."""
    return f"^{kind.value}:"


def register_handlers(app: JfaApplication) -> None:
    """Wire every handler; the order is the order PTB tries them within a group."""
    # Group -1 runs for every update first: record the user and pick their language.
    app.add_handler(TypeHandler(Update, remember_user), group=-1)

    handlers = [
        # In groups the bot only invites people to a private chat, and only when a command
        # is addressed to it (or to no bot): /start@OtherBot is another bot's business.
        MessageHandler(
            filters.ChatType.GROUPS
            & ~filters.UpdateType.EDITED
            & filters.COMMAND
            & fallback.FOR_THIS_BOT,
            fallback.point_to_private_chat,
        ),
        # Commands, private chats only.
        CommandHandler("start", start.start, PRIVATE),
        CommandHandler("help", info.help_command, PRIVATE),
        CommandHandler("language", language.show_languages, PRIVATE),
        CommandHandler("privacy", info.privacy, PRIVATE),
        # The petition and the signer's rights.
        CommandHandler("sign", petition.begin, PRIVATE),
        CommandHandler("cancel", petition.cancel, PRIVATE),
        CommandHandler("count", signer.count, PRIVATE),
        CommandHandler("mydata", signer.mydata, PRIVATE),
        CommandHandler("withdraw", signer.withdraw, PRIVATE),
        CommandHandler("forget", signer.forget, PRIVATE),
        # Material for defenders.
        CommandHandler("actionpack", resources.action_pack, PRIVATE),
        CommandHandler("brief", resources.brief, PRIVATE),
        CommandHandler("webinar", requests.webinar, PRIVATE),
        # The weekly spotlight and its subscription.
        CommandHandler("spotlight", spotlight.show_spotlight, PRIVATE),
        CommandHandler("weeks", spotlight.weeks, PRIVATE),
        CommandHandler("subscribe", spotlight.subscribe, PRIVATE),
        CommandHandler(["unsubscribe", "stop"], spotlight.unsubscribe, PRIVATE),
        CommandHandler("settings", spotlight.settings_menu, PRIVATE),
        # Organizers (each handler refuses non-admins like an unknown command).
        CommandHandler("broadcast", admin.broadcast_menu, PRIVATE),
        CommandHandler("broadcasts", admin.list_broadcasts, PRIVATE),
        CommandHandler("stats", organizer.stats, PRIVATE),
        CommandHandler("export", organizer.export_menu, PRIVATE),
        CommandHandler("audit", organizer.audit, PRIVATE),
        CommandHandler("reload", organizer.reload_content, PRIVATE),
        # Buttons, matched by callback-data prefix.
        CallbackQueryHandler(language.choose_language, pattern=_data(Kind.LANGUAGE)),
        CallbackQueryHandler(info.menu, pattern=_data(Kind.MENU)),
        CallbackQueryHandler(petition.on_button, pattern=_data(Kind.PETITION)),
        CallbackQueryHandler(signer.on_button, pattern=_data(Kind.SIGNER)),
        CallbackQueryHandler(resources.brief, pattern=_data(Kind.BRIEF)),
        CallbackQueryHandler(requests.on_button, pattern=_data(Kind.REQUEST)),
        CallbackQueryHandler(spotlight.on_button, pattern=_data(Kind.SPOTLIGHT)),
        CallbackQueryHandler(admin.on_button, pattern=_data(Kind.ADMIN)),
        CallbackQueryHandler(organizer.on_export_button, pattern=_data(Kind.EXPORT)),
        # Anything else pressed is stale or forged: answer it and change nothing.
        CallbackQueryHandler(expired_button),
        # A person who blocks the bot in their private chat is marked at once.
        ChatMemberHandler(membership.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        # Sharing from any chat through inline mode.
        InlineQueryHandler(inline.share_card),
        # Unknown commands get a pointer to the menu, even in the middle of a form.
        MessageHandler(PRIVATE & filters.COMMAND, fallback.not_understood),
        # Typed answers for a form in progress; outside a form, the polite pointer.
        MessageHandler(PRIVATE, petition.on_message),
    ]
    app.add_handlers(handlers)
    app.add_error_handler(errors.on_error)


def build_application(
    settings: Settings,
    *,
    store: Store | None = None,
    request: BaseRequest | None = None,
) -> JfaApplication:
    """Return the configured Application; the store is opened at start-up unless given.

    `request` replaces PTB's HTTP layer (benchmarks and unit tests fake the network there);
    by default replies and broadcasts share one `AiohttpRequest` (getUpdates has its own,
    so a long poll never holds a connection a reply needs).
    """
    quiet_http_loggers()  # httpx logs URLs, and Bot API URLs hold the token
    # One pacer for replies and broadcasts, so together they never pass Telegram's limits.
    pacer = Pacer(
        settings.send_rate,
        limit=settings.rate_limit,
        paid=settings.paid_broadcast,
        chat_burst=settings.chat_burst,
    )
    protect_secret(settings.token())
    if settings.webhook_secret is not None:  # as powerful as the token: never logged
        protect_secret(settings.webhook_secret.get_secret_value())
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        tzinfo=settings.zone,
    )
    # Updates of different chats run concurrently, each chat's in order, flood-isolated.
    processor = OrderedUpdateProcessor(
        settings.concurrent_updates,
        flood_rate=settings.flood_rate,
        flood_burst=max(1, round(2 * settings.flood_rate)),
    )
    api_request = request or AiohttpRequest(
        max(16, settings.broadcast_in_flight + 16), read_timeout=15.0
    )
    updates_request = request or AiohttpRequest(2, read_timeout=40.0)
    limiter = PacingRateLimiter(pacer)
    app: JfaApplication = (
        ApplicationBuilder()
        .application_class(InstrumentedApplication)
        .token(settings.token())
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .request(api_request)
        .get_updates_request(updates_request)
        .concurrent_updates(processor)
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(limiter)
        .defaults(defaults)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data[SETTINGS_KEY] = settings
    app.bot_data[PACER_KEY] = pacer
    app.bot_data[PROCESSOR_KEY] = processor
    app.bot_data[REQUEST_KEY] = api_request
    app.bot_data[HTTP_KEY] = () if request is not None else (api_request, updates_request)
    processor.on_flood = partial(_warn_flooder, app)
    app.bot_data[LIMITER_KEY] = limiter
    app.bot_data[CONTENT_KEY] = Content.load(settings.content_dir, settings.default_locale)
    if store is not None:
        app.bot_data[STORE_KEY] = store
        app.bot_data[_OWNS_STORE] = False
    register_handlers(app)
    assert app.job_queue is not None  # python-telegram-bot[job-queue] is a dependency
    app.job_queue.run_repeating(close_idle_forms, interval=60, first=60, name="close-idle-forms")
    # An erasure whose checkpoint a reader blocked for too long is finished here (and at
    # start-up): the erased name must not stay in the write-ahead log.
    app.job_queue.run_repeating(finish_erasures, interval=60, first=60, name="finish-erasures")
    app.job_queue.run_repeating(
        announce_milestones, interval=60, first=10, name="announce-milestones"
    )
    # Exports holding names leave organizers' chats when due; the first sweep, soon after
    # start, catches up on those due while the bot was down (each also has its own job).
    app.job_queue.run_repeating(
        delete_due_exports, interval=SWEEP_EVERY, first=1, name="delete-exports"
    )
    if settings.retention_days is not None:
        app.job_queue.run_repeating(
            anonymise_old_signatures, interval=24 * 3600, first=30, name="retention"
        )
    if settings.broadcast_weekday is not None:
        # PTB numbers days from 0 = Sunday; the setting is ISO (1 = Monday ... 7 = Sunday).
        app.job_queue.run_daily(
            weekly_spotlight,
            time=settings.broadcast_time.replace(tzinfo=settings.zone),
            days=(settings.broadcast_weekday % 7,),
            name="weekly-spotlight",
        )
        # A slot that passed while the bot was down is sent once, soon after start.
        app.job_queue.run_once(catch_up_weekly_spotlight, when=1, name="missed-spotlight")
    return app


async def _post_init(app: JfaApplication) -> None:
    """Open the store and publish commands and descriptions in every language."""
    settings: Settings = app.bot_data[SETTINGS_KEY]
    if STORE_KEY not in app.bot_data:
        app.bot_data[STORE_KEY] = await Store.open(settings.db_path)
        app.bot_data[_OWNS_STORE] = True
    store: Store = app.bot_data[STORE_KEY]
    reporter = ProgressReporter(app.bot, store, settings)
    shared = app.bot_data[REQUEST_KEY]
    engine = BroadcastEngine(
        store,
        LeanSender(
            settings.api_base_url,
            settings.token(),
            # The bot's own session, unless a test or benchmark replaced the HTTP layer.
            request=cast(AiohttpRequest, shared) if hasattr(shared, "post_json") else None,
            connections=settings.broadcast_in_flight,
        ),
        EngineConfig(
            rate=settings.send_rate,
            in_flight=settings.broadcast_in_flight,
            max_attempts=settings.broadcast_max_attempts,
            paid=settings.paid_broadcast,
        ),
        on_progress=reporter,
        pacer=app.bot_data[PACER_KEY],
    )
    app.bot_data[ENGINE_KEY], app.bot_data[REPORTER_KEY] = engine, reporter
    alerts = OrganizerAlerts(app.bot, store, settings)
    app.bot_data[ALERTS_KEY] = alerts
    engine.on_crash = lambda broadcast_id, error: alerts.report_soon(
        error, broadcast_id=broadcast_id
    )
    await engine.resume_unfinished()
    await _start_ops(app, settings, store, engine)
    # Menus are a convenience: the bot works without them, so a failed call is logged, and
    # they are published while the bot already answers (some 30 calls: 2.4 s at 80 ms).
    app.bot_data[PROFILE_KEY] = asyncio.create_task(
        publish_bot_profile(app, settings), name="publish-profile"
    )


async def _start_ops(
    app: JfaApplication, settings: Settings, store: Store, engine: BroadcastEngine
) -> None:
    """Keep the cached health and metrics; serve them in polling mode if asked to."""
    ops = OpsState(
        store,
        settings,
        engine=engine,
        pacer=app.bot_data[PACER_KEY],
        limiter=app.bot_data.get(LIMITER_KEY),
        update_queue=app.update_queue,
    )
    await ops.start()
    app.bot_data[OPS_KEY] = ops
    if isinstance(app, InstrumentedApplication):
        app.on_update_handled = ops.record_update
    # In webhook mode the webhook server answers these paths too; a separate port still
    # helps there: the proxy forwards the webhook port, and /metrics stays private.
    same_port = (
        bool(app.bot_data.get(WEBHOOK_MODE_KEY))
        and settings.http_port == settings.webhook_port != 0  # 0: any free port, two of them
    )
    if settings.http_port is not None and not same_port:
        server = OpsServer(ops, settings.http_listen, settings.http_port)
        await server.start()
        app.bot_data[OPS_SERVER_KEY] = server


async def _warn_flooder(app: JfaApplication, update: Update) -> None:
    """Ask, once per flood, a user who sends faster than a person can to slow down."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != chat.PRIVATE:
        return  # in a group the bot stays quiet rather than add to the noise
    store: Store | None = app.bot_data.get(STORE_KEY)
    if store is None:
        return
    settings: Settings = app.bot_data[SETTINGS_KEY]
    # A first burst arrives before the person is recorded: their app's language then.
    t = await translator_for_user(store, settings, user.id, app_language=user.language_code)
    text = t.gettext(
        "You are sending messages faster than I can read them. Please slow down: "
        "I will answer again in a few seconds."
    )
    try:
        await app.bot.send_message(chat.id, text)
    except TelegramError as error:
        log.info("Could not ask a user to slow down: %s", error)


async def _post_stop(app: JfaApplication) -> None:
    """Stop sending broadcasts; they stay `running` and resume at the next start."""
    profile: asyncio.Task[list[str]] | None = app.bot_data.pop(PROFILE_KEY, None)
    if profile is not None:
        # Let the menus finish (the next start publishes them again if they do not).
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(profile, 10)
    server: OpsServer | None = app.bot_data.pop(OPS_SERVER_KEY, None)
    if server is not None:
        await server.stop()
    ops: OpsState | None = app.bot_data.pop(OPS_KEY, None)
    if ops is not None:
        await ops.stop()
    engine: BroadcastEngine | None = app.bot_data.get(ENGINE_KEY)
    if engine is not None:
        await engine.shutdown()
    alerts: OrganizerAlerts | None = app.bot_data.get(ALERTS_KEY)
    if alerts is not None:
        await alerts.wait()


async def _post_shutdown(app: JfaApplication) -> None:
    """Close the store if this application opened it."""
    if app.bot_data.get(_OWNS_STORE):
        store: Store = app.bot_data.pop(STORE_KEY)
        await store.close()


async def publish_bot_profile(app: JfaApplication, settings: Settings) -> list[str]:
    """Set command menus (organizers' in their chats only) and descriptions per language.

    Each call stands alone: a failure (an organizer who never opened the bot makes Telegram
    answer "chat not found" for their scope) is logged and the rest is still published.
    Return the failures, one line each.
    """
    bot = app.bot
    failures: list[str] = []

    async def attempt(what: str, call: Awaitable[object]) -> None:
        try:
            await call
        except TelegramError as error:
            failures.append(f"{what}: {error}")

    for locale in (None, *settings.locales):
        t = Translator.for_locale(locale or settings.default_locale)
        language = locale or "default"
        commands = [BotCommand(name, text[:256]) for name, text in describe_commands(t)]
        await attempt(
            f"commands ({language})", bot.set_my_commands(commands, language_code=locale)
        )
        organizer = [
            BotCommand(name, text[:256]) for name, text in describe_commands(t, organizer=True)
        ]
        for admin_id in settings.admin_ids:
            await attempt(
                f"organizer commands for chat {admin_id} ({language})",
                bot.set_my_commands(
                    organizer, scope=BotCommandScopeChat(admin_id), language_code=locale
                ),
            )
        await attempt(
            f"description ({language})",
            bot.set_my_description(
                t.gettext(
                    "Justice For All asks world leaders to fund and protect grassroots justice "
                    "defenders. Sign the petition, get the Action Pack and the policy brief, and "
                    "follow the weekly spotlight."
                ),
                language_code=locale,
            ),
        )
        await attempt(
            f"short description ({language})",
            bot.set_my_short_description(
                t.gettext("Sign the petition to fund and protect grassroots justice defenders."),
                language_code=locale,
            ),
        )
    for failure in failures:
        log.warning("Could not publish %s", failure)
    return failures


async def retry_network(
    action: Callable[[], Awaitable[object]],
    what: str,
    *,
    retries: int = BOOTSTRAP_RETRIES,
    first_pause: float = 1.0,
) -> None:
    """Run a start-up call, retrying network errors with growing pauses (up to 30 s).

    A rejected token or a bad request is not a network blip: it is raised at once.
    """
    pause = first_pause
    for attempt in range(retries + 1):
        try:
            await action()
            return
        except (InvalidToken, BadRequest):
            raise
        except NetworkError as error:
            if attempt == retries:
                raise
            log.warning("%s failed (%s); trying again in %.0f s", what, error, pause)
            await asyncio.sleep(pause)
            pause = min(30.0, pause * 1.5)


@asynccontextmanager
async def running(app: JfaApplication, *, poll_timeout: int = 10) -> AsyncIterator[JfaApplication]:
    """Run the application by long polling inside an existing event loop."""
    await retry_network(app.initialize, "Start-up (getMe)")
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None  # built with the default updater
    await app.updater.start_polling(
        poll_interval=0.0,
        timeout=poll_timeout,
        allowed_updates=Update.ALL_TYPES,
        bootstrap_retries=BOOTSTRAP_RETRIES,
    )
    await app.start()
    try:
        yield app
    finally:
        await stop_application(app)


async def stop_application(app: JfaApplication) -> None:
    """Stop polling (if any), the application and its hooks, as `run_polling` would."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop:
        await app.post_stop(app)
    if app.post_shutdown:
        await app.post_shutdown(app)
    await app.shutdown()
