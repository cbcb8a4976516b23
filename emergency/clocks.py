"""APScheduler wiring only: one date job per step of every open obligation, rebuilt from the database on start.

The obligation rows are the truth. A job re-reads its row and does nothing when the obligation was met or
superseded (no cancelling: a stale job is harmless). A watcher picks up rows other processes created or changed,
within a second.

Jobs live in APScheduler's memory store, but only for the steps due within the next `HORIZON`: the others wait
in a heap of plain tuples, and an interval job arms them as their time comes near. Arming one APScheduler job
costs about 0.14 ms and leaves seven objects the garbage collector rescans on every full collection, so arming
all 100,000 steps at start took 14 s, overlapped the first deadlines, and made each full collection a 0.15 s
pause (`python -m bench.clocks`, BENCHMARKS.md). The heap's tuples hold only datetimes, ints and strings, which
the collector stops tracking, and its store takes 100,000 entries in a fraction of a second.

A due job only queues its step; whichever job finds steps queued fires them all (up to `FIRE_BATCH`) in one
transaction, so the executor threads do not queue on SQLite's write lock one commit each when many deadlines
pass together. If such a transaction fails, each of its steps is fired again on its own, as a lone step is.
"""

from __future__ import annotations

import gc
import heapq
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.models import Office
from emergency.db.session import checkpoint_in_background
from emergency.domain.clocks import ClockStep, clock_steps, plan_start
from emergency.plans.escalation import Escalation
from emergency.services.clocks import (
    FIRE_BATCH,
    WAITING,
    ObligationInfo,
    changed_since,
    fire_step,
    fire_steps,
    fired_steps,
    fired_steps_of,
    fired_steps_of_waiting,
    send_handover,
    waiting_obligations,
)

logger = logging.getLogger(__name__)

WATCH_EVERY = timedelta(seconds=1)
"""How often the clocks look for obligations other processes created or changed."""

HORIZON = timedelta(seconds=5)
"""Steps due within this are APScheduler date jobs; later ones wait in the heap."""

ARM_EVERY = timedelta(seconds=1)
"""How often the heap's next steps are armed; well inside `HORIZON`, so a step is armed seconds before it is due."""

CHECKPOINT_EVERY = timedelta(seconds=1)
"""How often the clocks checkpoint SQLite's WAL themselves, so that their commits never have to."""

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""Any instant: the escalation's steps are computed once for it, and shifted to each deadline."""


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
        self._due: deque[tuple[int, ClockStep]] = deque()  # steps whose job ran, not yet fired
        self._firing = threading.Lock()  # held by the one job that fires what is queued
        self._seen = datetime.min.replace(tzinfo=UTC)
        self._steps = {step.step: step for step in clock_steps(EPOCH, escalation)}  # shifted by due_at - EPOCH
        self._later: list[tuple[datetime, int, str, datetime]] = []  # (at, obligation, step, due_at): not armed yet
        self._due_at: dict[int, datetime] = {}  # each obligation's deadline as last read: older entries are stale
        self._armed_until = datetime.min.replace(tzinfo=UTC)  # every step due before this is an APScheduler job
        self._heap_lock = threading.Lock()  # guards the heap, the deadlines and the horizon
        self.fired: list[tuple[int, str, str]] = []

    def start(self) -> dict[str, int]:
        """Rebuild every clock from the rows, fire what passed while down, then keep watching for new rows."""
        self._scheduler.start()
        with self._sessions.begin() as session:
            self._seen = self._now()
            obligations = waiting_obligations(session)
            fired = fired_steps_of_waiting(session)
        counts = {"obligations": len(obligations), "scheduled": 0, "fired_now": 0, "skipped": 0}
        self._arm_next()
        for ob in obligations:
            for key, value in self._arm(ob, fired.get(ob.id, set())).items():
                counts[key] += value
        self._scheduler.add_job(self._arm_next, "interval", seconds=ARM_EVERY.total_seconds(), id="arm",
                                max_instances=1, coalesce=True)
        self._scheduler.add_job(self._watch, "interval", seconds=WATCH_EVERY.total_seconds(), id="watch",
                                max_instances=1, coalesce=True)
        bind = self._sessions.kw.get("bind")
        checkpoint = checkpoint_in_background(bind) if isinstance(bind, Engine) else None
        if checkpoint is not None:
            self._scheduler.add_job(checkpoint, "interval", seconds=CHECKPOINT_EVERY.total_seconds(), id="checkpoint",
                                    max_instances=1, coalesce=True)
        # What exists now (modules, the engine, the heap) lives as long as the process: keep the collector's full
        # passes from rescanning it, or each pass pauses every thread, a deadline passing then included, for
        # 0.1 s and more (bench.clocks). Frozen objects are still freed by reference counting when released.
        gc.freeze()
        logger.info("clocks started: %s", counts)
        return counts

    def stop(self) -> None:
        """Stop the scheduler; jobs not yet run are simply rebuilt from the rows next time."""
        self._scheduler.shutdown(wait=False)

    def pending_jobs(self) -> int:
        """Return how many steps are waiting: armed as APScheduler jobs, or in the heap."""
        with self._heap_lock:
            steps = [job for job in self._scheduler.get_jobs() if job.id not in ("arm", "watch", "checkpoint")]
            return len(steps) + len(self._later)

    def _arm(self, ob: ObligationInfo, done: set[str] | None = None) -> dict[str, int]:
        steps = clock_steps(ob.due_at, self._escalation)
        if done is None:
            with self._sessions.begin() as session:
                done = fired_steps(session, obligation_id=ob.id)
        plan = plan_start(steps, ob.due_at, done, self._now())
        for step in plan.skipped:
            logger.info("obligation %s: %s at %s skipped, no longer useful", ob.id, step.step, step.at.isoformat())
        with self._heap_lock:
            self._due_at[ob.id] = ob.due_at
            for step in plan.schedule:
                if step.at < self._armed_until:
                    self._add_job(ob.id, step, ob.due_at, step.at)
                else:
                    heapq.heappush(self._later, (step.at, ob.id, step.step, ob.due_at))
            for step in plan.fire_now:
                self._add_job(ob.id, step, ob.due_at, None)
        return {"scheduled": len(plan.schedule), "fired_now": len(plan.fire_now), "skipped": len(plan.skipped)}

    def _add_job(self, obligation_id: int, step: ClockStep, due_at: datetime, run_date: datetime | None) -> None:
        self._scheduler.add_job(self._fire, "date", run_date=run_date, args=(obligation_id, step, due_at),
                                replace_existing=True, id=f"{obligation_id}:{step.step}")

    def _arm_next(self) -> None:
        """Arm as APScheduler jobs the heap's steps due before the new horizon; skip those of an older deadline."""
        with self._heap_lock:
            self._armed_until = datetime.now(UTC) + HORIZON  # APScheduler's own time frame: it runs on the wall clock
            while self._later and self._later[0][0] < self._armed_until:
                at, obligation_id, name, due_at = heapq.heappop(self._later)
                if self._due_at.get(obligation_id) == due_at:
                    template = self._steps[name]
                    step = replace(template, at=due_at + (template.at - EPOCH), due_at=due_at)
                    self._add_job(obligation_id, step, due_at, at)

    def _fire(self, obligation_id: int, step: ClockStep, due_at: datetime) -> None:
        """A step's job: queue the step, then fire everything queued unless another job is already doing so."""
        if self._due_at.get(obligation_id, due_at) != due_at:
            return  # the deadline moved since this job was armed; the moved one has its own jobs
        self._due.append((obligation_id, step))
        while self._due and self._firing.acquire(blocking=False):
            try:  # after releasing, look again: a step queued while this job was committing is not left behind
                while self._due:
                    batch = [self._due.popleft() for _ in range(min(FIRE_BATCH, len(self._due)))]
                    self._fire_batch(batch)
            finally:
                self._firing.release()

    def _fire_batch(self, batch: list[tuple[int, ClockStep]]) -> None:
        if len(batch) == 1:
            self._fire_one(*batch[0])
            return
        try:
            with self._sessions.begin() as session:
                outcomes = fire_steps(session, steps=batch, now=self._now())
        except Exception:  # nothing of the batch was stored: fire each step alone, each failure logged on its own
            logger.debug("a batch of %s steps failed; firing them one by one", len(batch), exc_info=True)
            for obligation_id, step in batch:
                self._fire_one(obligation_id, step)
            return
        for (obligation_id, step), outcome in zip(batch, outcomes, strict=True):
            self._record(obligation_id, step, outcome)

    def _fire_one(self, obligation_id: int, step: ClockStep) -> None:
        try:
            with self._sessions.begin() as session:
                outcome = fire_step(session, obligation_id=obligation_id, step=step, now=self._now())
        except Exception:  # one failing step must not stop the others; it is logged and retried by the watcher
            logger.exception("obligation %s: step %s failed", obligation_id, step.step)
            return
        self._record(obligation_id, step, outcome)

    def _record(self, obligation_id: int, step: ClockStep, outcome: str) -> None:
        with self._lock:
            self.fired.append((obligation_id, step.step, outcome))
        logger.info("obligation %s: %s %s", obligation_id, step.step, outcome)

    def _watch(self) -> None:
        with self._sessions.begin() as session:
            since, self._seen = self._seen, self._now()
            changed = [ob for ob in changed_since(session, since=since - timedelta(seconds=2))  # overlap: commits land late
                       if ob.status in WAITING]
            fired = fired_steps_of(session, obligation_ids=[ob.id for ob in changed])  # one query, not one per row
            for office in session.scalars(select(Office)):
                send_handover(session, office=office, now=self._seen, channels=self._escalation.reminders.channels)
        for ob in changed:
            self._arm(ob, fired.get(ob.id, set()))
