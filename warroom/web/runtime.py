"""What a running server holds: settings, the open warehouse, the clock, the live hub, the replay."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from warroom.alerts.links import link_secret
from warroom.alerts.scheduler import Scheduler, alerting_scheduler
from warroom.config import Settings
from warroom.ingest.writer import BatchWriter
from warroom.simulate.replay import ReplayClock, Replayer, run_replay
from warroom.warehouse import Warehouse
from warroom.web.live import LiveHub
from warroom.web.presence import Presence

log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Replay:
    """A replay to run while serving: continue `replayer` from its history at `speed` until `sim_end`."""

    replayer: Replayer
    speed: float
    sim_end: datetime | None = None
    clock: ReplayClock | None = None
    errors: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None


@dataclass
class Runtime:
    settings: Settings
    warehouse: Warehouse
    meta: sessionmaker[Session]
    replay: Replay | None = None
    hub: LiveHub = field(default_factory=LiveHub)
    presence: Presence = field(default_factory=Presence)  # who watches which board (its live streams)
    stop: threading.Event = field(default_factory=threading.Event)
    _now: Callable[[], datetime] = wall_clock
    writer: BatchWriter = field(init=False)  # the one writer of live pushes (warroom/ingest/writer.py)
    alerts_thread: threading.Thread | None = field(init=False, default=None)  # alerting (issue 8)
    alerts: Scheduler | None = field(init=False, default=None)
    _link_secret: bytes | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.writer = BatchWriter(self.warehouse)

    def link_secret(self) -> bytes:
        """The key of the alert messages' action links (warroom.alerts.links): configured, or the home's."""
        if self._link_secret is None:
            configured = self.settings.alert_link_secret.get_secret_value()
            self._link_secret = link_secret(self.settings.home, configured)
        return self._link_secret

    def now(self) -> datetime:
        """The room's "now": the replay's simulated clock in the demo, the wall clock otherwise."""
        return self._now()

    def start(self) -> None:
        self.hub.interval = self.settings.refresh_seconds
        self.writer.start()
        # ---- alerting (issue 8): evaluate the rules and drain the outbox every alert_interval_seconds, on
        # the room's clock (self.now: simulated time in the demo). ------------------------------------------
        self.alerts = alerting_scheduler(self.settings, self.warehouse, self.meta, self.now)
        self.alerts_thread = threading.Thread(
            target=self.alerts.run,
            args=(self.stop,),
            name="alerts",
            daemon=True,
        )
        self.alerts_thread.start()
        # ---- end of alerting -------------------------------------------------------------------------------
        replay = self.replay
        if replay is None:
            return
        if replay.replayer.loaded_until is None:
            raise RuntimeError("the replay's history must be loaded before serving")
        # The clock starts when serving starts, so loading history does not eat simulated time.
        replay.clock = ReplayClock(
            replay.replayer.loaded_until, replay.speed, time.monotonic(), replay.sim_end
        )
        clock = replay.clock
        self._now = lambda: clock.sim_now(time.monotonic())

        def on_error(exc: Exception) -> None:
            log.exception("replay step failed", exc_info=exc)
            replay.errors.append(f"{type(exc).__name__}: {exc}")

        replay.thread = threading.Thread(
            target=run_replay,
            args=(replay.replayer, clock, self.stop),
            kwargs={"on_error": on_error},
            daemon=True,
        )
        replay.thread.start()

    def shutdown(self) -> None:
        self.stop.set()
        if self.alerts_thread is not None:  # alerting (issue 8): a tick in progress finishes first
            self.alerts_thread.join(timeout=30)
        self.writer.stop()
        if self.replay and self.replay.thread:
            self.replay.thread.join(timeout=10)
