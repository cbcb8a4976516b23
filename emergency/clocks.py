"""APScheduler wiring only: one date job per step of every open obligation, rebuilt from the database on start.

The obligation rows are the truth. A job re-reads its row and does nothing when the obligation was met or
superseded (no cancelling: a stale job is harmless). Jobs live in APScheduler's memory store: rebuilding them
from the rows takes well under a second even for 100,000 obligations, where its SQLAlchemy store would add
only ~400 jobs/s on SQLite. A watcher picks up rows other processes created or changed, within a second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.models import Office
from emergency.domain.clocks import ClockStep, clock_steps, plan_start
from emergency.plans.escalation import Escalation
from emergency.services.clocks import (
    ObligationInfo,
    changed_since,
    fire_step,
    fired_steps,
    fired_steps_of_waiting,
    send_handover,
    waiting_obligations,
)

logger = logging.getLogger(__name__)

WATCH_EVERY = timedelta(seconds=1)
"""How often the clocks look for obligations other processes created or changed."""


class Clocks:
    """The deadline clocks of one process."""

    def __init__(self, sessions: sessionmaker[Session], escalation: Escalation,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), workers: int = 4) -> None:
        self._sessions = sessions
        self._escalation = escalation
        self._now = now
        self._scheduler = BackgroundScheduler(jobstores={"default": MemoryJobStore()},
                                              executors={"default": ThreadPoolExecutor(workers)},
                                              job_defaults={"misfire_grace_time": None, "coalesce": False},
                                              timezone=UTC)
        self._lock = threading.Lock()
        self._seen = datetime.min.replace(tzinfo=UTC)
        self.fired: list[tuple[int, str, str]] = []

    def start(self) -> dict[str, int]:
        """Rebuild every clock from the rows, fire what passed while down, then keep watching for new rows."""
        self._scheduler.start()
        with self._sessions.begin() as session:
            self._seen = self._now()
            obligations = waiting_obligations(session)
            fired = fired_steps_of_waiting(session)
        counts = {"obligations": len(obligations), "scheduled": 0, "fired_now": 0, "skipped": 0}
        for ob in obligations:
            for key, value in self._arm(ob, fired.get(ob.id, set())).items():
                counts[key] += value
        self._scheduler.add_job(self._watch, "interval", seconds=WATCH_EVERY.total_seconds(), id="watch",
                                max_instances=1, coalesce=True)
        logger.info("clocks started: %s", counts)
        return counts

    def stop(self) -> None:
        """Stop the scheduler; jobs not yet run are simply rebuilt from the rows next time."""
        self._scheduler.shutdown(wait=False)

    def pending_jobs(self) -> int:
        """Return how many step jobs are scheduled."""
        return len(self._scheduler.get_jobs()) - 1

    def _arm(self, ob: ObligationInfo, done: set[str] | None = None) -> dict[str, int]:
        steps = clock_steps(ob.due_at, self._escalation)
        if done is None:
            with self._sessions.begin() as session:
                done = fired_steps(session, obligation_id=ob.id)
        plan = plan_start(steps, ob.due_at, done, self._now())
        for step in plan.skipped:
            logger.info("obligation %s: %s at %s skipped, no longer useful", ob.id, step.step, step.at.isoformat())
        for step in plan.schedule:
            self._scheduler.add_job(self._fire, "date", run_date=step.at, args=(ob.id, step), replace_existing=True,
                                    id=f"{ob.id}:{step.step}")
        for step in plan.fire_now:
            self._scheduler.add_job(self._fire, "date", run_date=None, args=(ob.id, step), replace_existing=True,
                                    id=f"{ob.id}:{step.step}")
        return {"scheduled": len(plan.schedule), "fired_now": len(plan.fire_now), "skipped": len(plan.skipped)}

    def _fire(self, obligation_id: int, step: ClockStep) -> None:
        try:
            with self._sessions.begin() as session:
                outcome = fire_step(session, obligation_id=obligation_id, step=step, now=self._now())
        except Exception:  # one failing step must not stop the others; it is logged and retried by the watcher
            logger.exception("obligation %s: step %s failed", obligation_id, step.step)
            return
        with self._lock:
            self.fired.append((obligation_id, step.step, outcome))
        logger.info("obligation %s: %s %s", obligation_id, step.step, outcome)

    def _watch(self) -> None:
        with self._sessions.begin() as session:
            since, self._seen = self._seen, self._now()
            changed = changed_since(session, since=since - timedelta(seconds=2))  # overlap: commits land late
            for office in session.scalars(select(Office)):
                send_handover(session, office=office, now=self._seen, channels=self._escalation.reminders.channels)
        for ob in changed:
            if ob.status in ("open", "breached"):
                self._arm(ob)
