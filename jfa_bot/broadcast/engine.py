"""Run broadcasts: keep recipients claimed, pace and send them, record every outcome.

`in_flight` bounds the rows claimed and not yet recorded: rows are marked `sending` before
their sends start and get their outcome right after, so a crash can only re-send those.
One engine per process; each running broadcast is one asyncio task, resumed at start-up.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from jfa_bot.broadcast.pacer import Pacer
from jfa_bot.broadcast.sender import Classified, Failure, Sender, classify
from jfa_bot.i18n import Translator
from jfa_bot.keyboards import stop_posts_button
from jfa_bot.store import Store
from jfa_bot.store.broadcasts import (
    Broadcast,
    BroadcastPost,
    BroadcastState,
    Claimed,
    DeliveryState,
    Outcome,
)

__all__ = ["BroadcastEngine", "EngineConfig", "RunStats"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Rates and limits for the engine."""

    rate: int
    in_flight: int
    max_attempts: int
    paid: bool = False
    #: Seconds to wait before trying a temporary failure again, by attempt number; the
    #: first is over a second so a retry never follows its chat's last send too closely.
    backoff: tuple[float, ...] = (1.1, 2.0, 5.0, 10.0)


@dataclass
class RunStats:
    """Live figures of one running broadcast, for the progress message."""

    started: float = field(default_factory=time.monotonic)
    sent_this_run: int = 0

    def rate(self) -> float:
        """Return sends per second since this run started."""
        elapsed = time.monotonic() - self.started
        return self.sent_this_run / elapsed if elapsed > 0 else 0.0


# Called after each batch and at the end: (broadcast, stats, finished).
ProgressHook = Callable[[Broadcast, RunStats, bool], Awaitable[None]]


class _Run:
    """One run of one broadcast: its abort switch, and which variants Telegram accepted."""

    def __init__(self, broadcast: Broadcast, verified: set[str]) -> None:
        self.broadcast = broadcast
        self.verified = verified  # variant texts Telegram accepted (kept across runs)
        self.abort = asyncio.Event()
        self.content_error: str | None = None
        self.crash: Exception | None = None  # an unexpected error in a send
        self._probes: dict[str, asyncio.Future[None]] = {}

    async def turn_to_send(self, text: str) -> asyncio.Future[None] | None:
        """Wait while another send probes this variant; return a probe if this one is it."""
        while text not in self.verified and not self.abort.is_set():
            probe = self._probes.get(text)
            if probe is None:
                probe = self._probes[text] = asyncio.get_running_loop().create_future()
                return probe
            await asyncio.shield(probe)
        return None

    def probe_done(self, text: str, probe: asyncio.Future[None], *, accepted: bool) -> None:
        """Record a probe's verdict and let the sends waiting behind it go."""
        if accepted:
            self.verified.add(text)
        if self._probes.get(text) is probe:
            del self._probes[text]
        if not probe.done():
            probe.set_result(None)


class BroadcastEngine:
    """Start, pause, resume and cancel broadcasts; survive restarts."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        config: EngineConfig,
        *,
        on_progress: ProgressHook | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.config = config
        self.pacer = pacer or Pacer(config.rate, paid=config.paid)
        self._on_progress = on_progress
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._verified: dict[int, set[str]] = {}  # variant texts Telegram accepted
        self._halted: set[int] = set()  # paused or cancelled: sends not yet begun stop
        self._stop_buttons: dict[str, tuple[str, str]] = {}  # per recipient locale
        self.stats: dict[int, RunStats] = {}
        #: Deliveries by final state since start-up (read by /metrics).
        self.outcomes: collections.Counter[str] = collections.Counter()
        #: Called with the broadcast id and the error when a broadcast task dies of one.
        self.on_crash: Callable[[int, BaseException], object] | None = None

    def is_running(self, broadcast_id: int) -> bool:
        """Tell whether this process is sending the broadcast now."""
        task = self._tasks.get(broadcast_id)
        return task is not None and not task.done()

    async def resume_unfinished(self) -> list[int]:
        """At start-up, requeue what was in flight and resume every running broadcast."""
        resumed = []
        for broadcast in await self.store.broadcasts.in_state(BroadcastState.RUNNING):
            requeued = await self.store.broadcasts.requeue_in_flight(broadcast.id)
            log.info("Resuming broadcast %d (%d in flight at the crash)", broadcast.id, requeued)
            self.start(broadcast.id)
            resumed.append(broadcast.id)
        return resumed

    def start(self, broadcast_id: int) -> None:
        """Send the broadcast in the background (no-op if it is already being sent)."""
        self._halted.discard(broadcast_id)
        if self.is_running(broadcast_id):
            return
        task = asyncio.create_task(self._run(broadcast_id), name=f"broadcast-{broadcast_id}")
        self._tasks[broadcast_id] = task
        task.add_done_callback(lambda done: self._task_done(broadcast_id, done))

    def _task_done(self, broadcast_id: int, task: asyncio.Task[None]) -> None:
        """Log a broadcast task that died of an error and tell whoever listens."""
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        assert error is not None
        log.error("Broadcast %d stopped by an error", broadcast_id, exc_info=error)
        if self.on_crash is not None:
            self.on_crash(broadcast_id, error)

    async def pause(self, broadcast_id: int) -> bool:
        """Pause within the batch in flight; False if the broadcast is not running.

        Sends already handed to Telegram finish; those of the batch still waiting for the
        pacer do not start, and go back to the queue for Resume.
        """
        broadcast = await self.store.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.state is not BroadcastState.RUNNING:
            return False
        paused = await self.store.broadcasts.set_state(broadcast_id, BroadcastState.PAUSED)
        if paused:
            self._halted.add(broadcast_id)
        return paused

    async def resume(self, broadcast_id: int) -> bool:
        """Resume a paused broadcast."""
        broadcast = await self.store.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.state is not BroadcastState.PAUSED:
            return False
        await self.store.broadcasts.set_state(broadcast_id, BroadcastState.RUNNING)
        self.start(broadcast_id)
        return True

    async def cancel(self, broadcast_id: int) -> bool:
        """Stop for good, within the batch in flight; recipients not reached stay pending."""
        cancelled = await self.store.broadcasts.set_state(broadcast_id, BroadcastState.CANCELLED)
        if cancelled:
            self._halted.add(broadcast_id)
        return cancelled

    async def retry(self, broadcast_id: int) -> int:
        """Send again to the recipients left retryable; return how many."""
        count = await self.store.broadcasts.retry_failed(broadcast_id)
        if count:
            await self.store.db.execute(
                "UPDATE broadcasts SET state = 'running', finished_at = NULL WHERE id = ?",
                (broadcast_id,),
            )
            self.start(broadcast_id)
        return count

    async def wait(self, broadcast_id: int) -> None:
        """Wait until this process stops sending the broadcast."""
        task = self._tasks.get(broadcast_id)
        if task is not None:
            await asyncio.shield(task)

    async def shutdown(self) -> None:
        """Stop every task; their broadcasts stay `running` and resume at the next start."""
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            # A task that died of an error was logged and reported when it died
            # (_task_done): stopping the bot must not raise it again.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        close = getattr(self.sender, "close", None)
        if close is not None:
            await close()

    async def _run(self, broadcast_id: int) -> None:
        try:
            await self._send_all(broadcast_id)
        except Exception as error:
            # Mark it, so /broadcasts shows why it stopped and offers to resume it; the
            # error is then logged at ERROR and the organizers told (_task_done).
            try:
                await self.store.broadcasts.set_state(
                    broadcast_id,
                    BroadcastState.PAUSED,
                    error=f"stopped by an error: {type(error).__name__}: {error}"[:500],
                )
            except Exception:
                log.exception("Could not mark broadcast %d as stopped", broadcast_id)
            raise

    async def _send_all(self, broadcast_id: int) -> None:
        """Keep up to `in_flight` recipients claimed and their sends queued at the pacer.

        A pipeline, not batches: recipients are claimed in chunks as earlier sends finish,
        so the pacer always has the next send waiting and never idles for a batch's last
        answer. Outcomes are recorded as they come (one transaction per group), so at most
        `in_flight` rows are ever `sending`: the most a crash can send twice.
        """
        stats = self.stats.setdefault(broadcast_id, RunStats())
        stats.started, stats.sent_this_run = time.monotonic(), 0
        store = self.store
        broadcast = await store.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.state is not BroadcastState.RUNNING:
            return
        run = _Run(broadcast, self._verified.setdefault(broadcast_id, set()))
        bound = self.config.in_flight
        chunk = max(1, bound // 4)
        # Finished sends report here; the loop records whatever has finished in one go.
        finished: asyncio.Queue[tuple[Claimed, Outcome | None]] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()
        exhausted = False

        async def deliver(claimed: Claimed) -> None:
            outcome = None
            try:
                outcome = await self._deliver(run, claimed, stats)
            except Exception as error:  # a bug, not a refusal: stop and let _run report it
                if run.crash is None:
                    run.crash = error
                run.abort.set()
            finally:
                finished.put_nowait((claimed, outcome))

        try:
            while True:
                running = not run.abort.is_set() and broadcast_id not in self._halted
                room = bound - len(tasks) - finished.qsize()  # claimed and not recorded
                if running and not exhausted and room >= chunk:
                    current = await store.broadcasts.get(broadcast_id)
                    if current is None or current.state is not BroadcastState.RUNNING:
                        self._halted.add(broadcast_id)  # stopped elsewhere: finish up
                        continue
                    batch = await store.broadcasts.claim(broadcast_id, room)
                    exhausted = not batch
                    for claimed in batch:
                        task = asyncio.create_task(deliver(claimed))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    if batch:
                        continue
                if not tasks and finished.empty():
                    break
                done = [await finished.get()]
                while not finished.empty():
                    done.append(finished.get_nowait())
                # A send that never began (a pause, a cancel, a refused message) goes back
                # to the queue: it is pending, neither sent nor failed.
                outcomes = [
                    outcome or Outcome(claimed.user_id, DeliveryState.PENDING)
                    for claimed, outcome in done
                ]
                await store.broadcasts.record(broadcast_id, outcomes)
                self.outcomes.update(
                    o.state.value for o in outcomes if o.state is not DeliveryState.PENDING
                )
                await self._report(broadcast, stats, finished=False)  # it keeps its own pace
        finally:
            for task in tasks:
                task.cancel()
        if run.crash is not None:
            raise run.crash
        if run.content_error is not None:
            await store.broadcasts.set_state(
                broadcast_id, BroadcastState.ABORTED, error=run.content_error
            )
            log.error(
                "Broadcast %d aborted: the message is refused: %s", broadcast_id, run.content_error
            )
        elif broadcast_id not in self._halted:
            current = await store.broadcasts.get(broadcast_id)
            if current is not None and current.state is BroadcastState.RUNNING:
                await store.broadcasts.set_state(broadcast_id, BroadcastState.DONE)
        final = await store.broadcasts.get(broadcast_id)
        if final is not None:
            await self._report(final, stats, finished=True)

    async def _deliver(self, run: _Run, claimed: Claimed, stats: RunStats) -> Outcome | None:
        """Send to one recipient through the pacer; None if the send never began."""
        broadcast = run.broadcast
        halted = self._halted
        text = broadcast.text_for(claimed.locale)
        # Each variant's first send goes alone: if Telegram refuses the message itself,
        # the broadcast stops after that one failure instead of a whole chunk of them.
        probe = await run.turn_to_send(text)
        sent = False
        try:
            attempts = claimed.attempts
            paid = self.config.paid and broadcast.paid
            while True:
                if run.abort.is_set() or broadcast.id in halted:
                    return None
                try:
                    # The slot lasts until Telegram answers: it counts arrivals, not starts,
                    # and a reply to the same person in the same second waits its turn.
                    async with self.pacer.slot(claimed.user_id, paid=paid):
                        if run.abort.is_set() or broadcast.id in halted:
                            return None
                        await self.sender.send(
                            claimed.user_id, self._post_for(broadcast, claimed.locale), paid=paid
                        )
                except Exception as error:
                    verdict = classify(error)
                else:
                    stats.sent_this_run += 1
                    sent = True
                    return Outcome(claimed.user_id, DeliveryState.SENT)
                outcome = self._after_failure(claimed.user_id, verdict, attempts)
                if verdict.failure in (Failure.CONTENT, Failure.FATAL):
                    if run.content_error is None:
                        run.content_error = verdict.description
                    run.abort.set()
                    return outcome
                if verdict.failure is Failure.RETRY_AFTER:
                    continue  # the pacer now waits as long as Telegram asked
                if outcome is not None:
                    return outcome
                attempts += 1
                backoff = self.config.backoff
                await asyncio.sleep(backoff[min(attempts - 1, len(backoff) - 1)])
        finally:
            if probe is not None:
                run.probe_done(text, probe, accepted=sent)

    def _post_for(self, broadcast: Broadcast, locale: str) -> BroadcastPost:
        """Return the recipient's post with the "stop these posts" button in their language."""
        stop = self._stop_buttons.get(locale)
        if stop is None:
            stop = self._stop_buttons[locale] = stop_posts_button(Translator.for_locale(locale))
        return dataclasses.replace(broadcast.post_for(locale), stop=stop)

    def _after_failure(self, user_id: int, verdict: Classified, attempts: int) -> Outcome | None:
        """Return the final outcome of a failure, or None to try again."""
        if verdict.failure is Failure.BLOCKED:
            return Outcome(user_id, DeliveryState.BLOCKED, verdict.description[:200])
        if verdict.failure is Failure.FATAL:
            return Outcome(user_id, DeliveryState.PENDING)  # not this recipient's fault
        if verdict.failure is Failure.CONTENT:
            return Outcome(user_id, DeliveryState.FAILED, verdict.description[:200])
        if verdict.failure is Failure.RETRY_AFTER:
            overall = self.pacer.retry_after(user_id, verdict.retry_after)
            log.warning(
                "Telegram asked to wait %.0f s; pausing %s",
                verdict.retry_after,
                "the broadcast" if overall else "sends to that chat",
            )
            return None  # flood control is not the recipient's fault: no attempt used
        if attempts >= self.config.max_attempts:
            return Outcome(user_id, DeliveryState.RETRYABLE, verdict.description[:200])
        return None

    async def _report(self, broadcast: Broadcast, stats: RunStats, *, finished: bool) -> None:
        if self._on_progress is None:
            return
        try:
            await self._on_progress(broadcast, stats, finished)
        except Exception:  # a failed progress edit must never stop the sending
            log.exception("Could not update the progress of broadcast %d", broadcast.id)
