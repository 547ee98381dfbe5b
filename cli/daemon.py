"""`drejebog daemon`: APScheduler ticks; the database holds the deadlines.

Every N seconds a sweep fires the due timers (app/firing.py), and, as a separate job in its
own thread, the outbox is delivered (app/delivery.py); on working days at the digest time each
worker gets a daily digest. Firing never waits on delivery: a hanging SMTP server or webhook
holds up only the delivery job, whose rounds are bounded (messages, time, a timeout per
network step). APScheduler is only the tick: its jobs coalesce, never overlap and have a
misfire grace time, and after downtime the first sweep fires each overdue timer once (catch-up
is the timers' business, not APScheduler's).

SIGTERM and Ctrl-C finish the current sweep and exit. Delivery stops between two messages; a
message still in flight after STOP_GRACE_SECONDS is left behind (its thread is a daemon
thread): it stays claimed and pending, and is sent again when the claim runs out.

On SQLite one daemon runs at a time: a second one refuses to start (or waits, with --wait)
on a lock file beside the database. On PostgreSQL several daemons share the work.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import time as dt_time
from pathlib import Path
from types import FrameType
from typing import IO

from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import SQLAlchemyError

from drejebog.app.delivery import deliver
from drejebog.app.digest import send_digests
from drejebog.app.firing import sweep
from drejebog.bootstrap import App
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.errors import DrejebogError

MAINTENANCE_TIME = dt_time(2, 30)  # local: retention and statistics, when nobody works

log = logging.getLogger("drejebog.daemon")
LOCK_POLL_SECONDS = 0.2
STOP_GRACE_SECONDS = 2.0  # how long a stop waits for a message in flight
STOP_POLL_SECONDS = 0.1  # how soon the main thread sees a SIGTERM


class DaemonLocked(DrejebogError):
    pass


def sqlite_lock(app: App, wait: bool, stop: StopRequest | None = None) -> IO[str] | None:
    """Hold an exclusive lock beside the SQLite file while this daemon runs (kernel-released
    on any exit, kill -9 included). Waiting for it ends early when a stop is asked for."""
    database = app.sqlite_file
    if database is None:
        return None
    path = Path(f"{database}.daemon.lock")
    handle = path.open("a+")
    waiting = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if not wait:
                handle.seek(0)
                owner = handle.read().strip() or "?"
                handle.close()
                raise DaemonLocked(
                    f"en anden daemon kører allerede mod {database} (pid {owner}); på SQLite "
                    "kører kun én ad gangen. Stop den, start med --wait for at vente, eller "
                    "brug PostgreSQL til flere daemoner"
                ) from None
            if stop is not None and stop.signal is not None:
                handle.close()
                return None  # asked to stop while waiting
            if not waiting:
                log.info("venter: en anden daemon kører mod %s", database)
                waiting = True
            time.sleep(LOCK_POLL_SECONDS)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class StopRequest:
    """SIGTERM and Ctrl-C, caught from the daemon's first moment: one arriving before the
    scheduler runs stops the daemon cleanly instead of killing it mid-start.

    The handler only records the signal. Python runs a handler in the main thread between
    two bytecodes, wherever that thread is: shutting the scheduler down from inside it, as an
    earlier version did, re-entered APScheduler's own loop while it held its job-store lock
    (measured: 1 in about 6 random SIGTERMs ended in a JobLookupError traceback and exit 1, or
    hung for good). The main thread polls the request instead (`wait`)."""

    def __init__(self) -> None:
        self.signal: int | None = None

    @classmethod
    def install(cls) -> StopRequest:
        request = cls()
        signal.signal(signal.SIGTERM, request._handle)
        signal.signal(signal.SIGINT, request._handle)
        return request

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signum

    def wait(self) -> int:
        """Sleep until a stop is asked for; the signal's number."""
        while self.signal is None:
            time.sleep(STOP_POLL_SECONDS)
        return self.signal


class DaemonThreads:
    """Runs each submitted call in a daemon thread, so a send hanging in a socket can never
    keep the process alive: shutting down waits at most STOP_GRACE_SECONDS for them."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def submit(
        self, fn: Callable[..., object], /, *args: object, **kwargs: object
    ) -> Future[object]:
        future: Future[object] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to APScheduler, which logs it
                future.set_exception(exc)

        thread = threading.Thread(target=run, name="drejebog-delivery", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if not wait:
            return
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))


class DaemonThreadExecutor(BasePoolExecutor):  # type: ignore[misc]
    """APScheduler's executor over DaemonThreads."""

    def __init__(self) -> None:
        super().__init__(DaemonThreads())


def settle(app: App) -> None:
    """Parse the stored drejebøger once, then take everything alive after start-up out of the
    garbage collector's way (`gc.freeze`). A sweep allocates many short-lived objects, and every
    full collection otherwise walks all the modules, tables and templates as well (measured:
    about 10 % of a sweep firing 10,000 timers)."""
    with app.unit_of_work() as uow:
        for key in uow.drejebog_version_keys():
            uow.drejebog_version(key)
    gc.collect()
    gc.freeze()


class Daemon:
    """The daemon's two jobs on the App's settings (read once, by `bootstrap`)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.wiring = app.wiring()
        self.stopping = threading.Event()  # set on SIGTERM: delivery ends between two messages

    def tick(self) -> None:
        """One sweep and one delivery round, one after the other (`drejebog daemon --once`)."""
        self.fire()
        self.deliver()

    def fire(self) -> None:
        now = self.app.clock.now()
        fired = sweep(self.app.unit_of_work, now, self.wiring.flags, self.settings.batch_size)
        log.info(
            "sweep: %d tidspunkter fyret (%s), %d beskeder skrevet, %.1f ms",
            fired.fired,
            ", ".join(f"{k} {n}" for k, n in sorted(fired.by_kind.items())) or "ingen",
            fired.notifications,
            fired.seconds * 1000,
            extra={
                "action": "sweep",
                "fired": fired.fired,
                "skipped": fired.skipped,
                "notifications": fired.notifications,
                "ms": round(fired.seconds * 1000, 1),
            },
        )

    def deliver(self) -> None:
        started = time.monotonic()
        delivered = deliver(
            self.app.outbox,
            self.wiring.channels,
            self.app.clock.now(),
            self.settings.max_attempts,
            limit=self.settings.delivery_batch,
            deadline=started + self.settings.delivery_round_seconds,
            should_stop=self.stopping.is_set,
        )
        if delivered.sent or delivered.failed:
            log.info(
                "levering: %d leveret, %d fejlede, %d opgivet, %.1f ms",
                delivered.sent,
                delivered.failed,
                delivered.dead,
                (time.monotonic() - started) * 1000,
                extra={
                    "action": "delivery",
                    "delivered": delivered.sent,
                    "failed": delivered.failed,
                    "dead": delivered.dead,
                },
            )

    def digest(self) -> None:
        now = self.app.clock.now()
        sent = send_digests(self.app.digest_unit_of_work, now, self.wiring.flags)
        log.info("dagens overblik: %d sendt", sent, extra={"action": "digest", "sent": sent})

    def maintain(self) -> None:
        """Nightly: closed cases past their drejebog's `opbevaring` anonymised (in batches,
        app/retention.py), then fresh planner statistics. A failure is logged and left for the
        next night; the sweep and the delivery go on."""
        try:
            report = self.app.retention.run()
        except DrejebogError as exc:
            log.error("opbevaring: %s", exc, extra={"action": "retention", "error": str(exc)})
        else:
            log.info(
                "opbevaring: %d sager anonymiseret",
                report.removed.cases,
                extra={"action": "retention", "anonymised": report.removed.cases},
            )
        try:
            self.app.refresh_statistics()
        except SQLAlchemyError as exc:  # another process holds the database: next night
            log.warning("statistik: %s", exc, extra={"action": "statistics"})

    def run(self, wait_for_lock: bool = False, stop_request: StopRequest | None = None) -> None:
        stop_request = stop_request or StopRequest.install()
        lock = sqlite_lock(self.app, wait_for_lock, stop_request)
        scheduler = BackgroundScheduler(timezone=COPENHAGEN)
        scheduler.add_executor(DaemonThreadExecutor(), "delivery")
        first_run = self.app.clock.now().astimezone(COPENHAGEN)
        for job, job_id, executor in (
            (self.fire, "sweep", "default"),
            (self.deliver, "delivery", "delivery"),
        ):
            scheduler.add_job(
                job,
                "interval",
                seconds=self.settings.sweep_seconds,
                id=job_id,
                executor=executor,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=self.settings.sweep_seconds,
                next_run_time=first_run,
            )
        digest = self.settings.digest_time
        scheduler.add_job(
            self.digest,
            CronTrigger(
                day_of_week="mon-fri", hour=digest.hour, minute=digest.minute, timezone=COPENHAGEN
            ),
            id="digest",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )

        scheduler.add_job(
            self.maintain,
            CronTrigger(hour=MAINTENANCE_TIME.hour, minute=MAINTENANCE_TIME.minute),
            id="maintenance",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )

        log.info(
            "daemon startet: sweep hvert %d. sekund, overblik kl. %s på arbejdsdage",
            self.settings.sweep_seconds,
            digest.strftime("%H:%M"),
            extra={"action": "started", "pid": os.getpid()},
        )
        try:
            if stop_request.signal is None:
                scheduler.start()  # its own thread; this one waits for a stop
            signum = stop_request.wait()
            self.stopping.set()
            log.info(
                "stopper (signal %d): gør den igangværende sweep færdig",
                signum,
                extra={"action": "stopping", "signal": signum},
            )
            if scheduler.running:
                scheduler.shutdown(wait=True)
        finally:
            if lock is not None:
                lock.close()
            log.info("daemon stoppet", extra={"action": "stopped"})
