"""Benchmark the deadline clocks: how late a breach is flagged, against a once-a-minute poller, and across a SIGKILL.

    python -m bench.clocks --pending 10000 --json
    python -m bench.clocks --pending 100000 --json
    python -m bench.clocks --pending 100000 --window-s 300 --json     # stress: 333 deadlines a second
    python -m bench.clocks --restart --pending 1000 --json

Lateness run (default):

1. A fresh SQLite file gets the schema (`migrate.upgrade`), one office with its street (role holders) and a duty
   shift covering the run, then N open report obligations in one Core executemany. Their deadlines are spread
   uniformly at random (seeded) over `--window-s` seconds, starting `--lead-s` seconds later. The default window
   is 180 s for 10,000 (55 a second) and at most 300 s, so 100,000 pass at 333 a second.
2. `Clocks` runs in this process with a breach-only escalation (no reminders, no escalation rungs, one channel),
   so what is measured is breach detection: re-read the row, record the step, queue the notice, mark the breach,
   store the live 迟报 finding, commit.
3. After the last deadline (plus up to `--margin-s` for stragglers) the clocks stop, and every obligation is
   checked. Lateness is `LiveFindingRow.recorded_at - due_at` (the time the finding states); `committed_*` is
   deadline → the commit that stored it, stamped by a session `after_commit` hook. `missed` counts obligations
   without a finding, `duplicated` extra clock events per (obligation, step).
4. The baseline is a cron-style poller that wakes every 60 s (Prefect's finest cron schedule) at a random phase
   and flags everything due: its lateness is the next tick minus the deadline, simulated on the same deadlines
   (uniform over 0-60 s, so p50 ≈ 30 s and p99 ≈ 59.4 s; the time a pass takes is not even added).
5. Also reported: the garbage collector's pauses while deadlines pass (`gc_pauses`), the start-up time, and with
   `--dump FILE` one CSV line per finding (deadline, lateness as stated, lateness to the commit).

Restart run (`--restart`): `emergency clocks` runs as a child process (EMERGENCY_DATABASE_URL, and
EMERGENCY_PLANS_DIR pointing at a copy of plans/ with the breach-only escalation.yaml). It is killed with SIGKILL when
about half the deadlines have been flagged, stays down until every remaining deadline has passed, is started again
until all are flagged, then started a third time to check that nothing fires twice. Prints flagged, expected and
duplicated.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clocks import Clocks
from emergency.db import migrate
from emergency.db.models import ClockEventRow, LiveFindingRow, ObligationRow
from emergency.db.session import make_engine, make_session_factory
from emergency.plans.escalation import Escalation, Reminders, Step
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.schema import load_street
from emergency.services.incidents import get_office
from emergency.services.organisation import add_shift, load_street_into

OFFICE = "长春市绿园区正阳街道办事处"
POLL_EVERY_S = 60.0
RATE_PER_S = 10_000 / 180
"""Deadlines per second in the default window up to 16,667 pending: 10,000 over 3 minutes."""

MAX_WINDOW_S = 300.0
"""The default window is at most 5 minutes ("deadlines spread over a few minutes"): 100,000 give 333 a second."""

BREACH_ONLY = Escalation(
    reminders=Reminders(rule="clocks.reminders", lead_minutes=(), who="duty_officer", channels=("duty_wecom",),
                        source="bench: no reminders, so only breach detection is measured"),
    ladder=(Step(step="breach", after_minutes=0, who="duty_officer", channels=("duty_wecom",),
                 source="时限届满即记录迟报并通知值班员（地方实践）"),),
)


# -- set-up ------------------------------------------------------------------------------------------------------

def fresh_database(url: str, shift_until: datetime) -> int:
    """Create the schema, the office with its street and one duty shift; return the office id."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        add_shift(session, office=office, starts_at=now - timedelta(hours=1), ends_at=shift_until,
                  duty_officer="吴刚", leader_on_duty="李强", phone="0431-8000000")
        office_id = office.id
    engine.dispose()
    return office_id


def spread_deadlines(count: int, first: datetime, window_s: float, seed: int) -> list[datetime]:
    """Return *count* deadlines uniformly at random in [first, first + window), in random (insertion) order."""
    rng = random.Random(seed)
    return [first + timedelta(seconds=rng.uniform(0, window_s)) for _ in range(count)]


def insert_obligations(engine: Engine, office_id: int, deadlines: Sequence[datetime]) -> float:
    """Insert one open report obligation per deadline with Core executemany; return the seconds it took.

    The rows were "created" ten minutes ago, so the clocks' watcher (which re-reads rows changed in the last few
    seconds) treats them as known at start-up, as after any restart.
    """
    created = datetime.now(UTC) - timedelta(minutes=10)
    rows = [{"key": f"bench-{n:06d}", "subject": "report", "office_id": office_id, "incident_id": None,
             "draft_id": None, "kind": "initial/phone", "label": "电话首报", "due_at": due,
             "rule": "initial.phone.general", "source": "bench", "status": "open", "met_at": None, "breached_at": None,
             "created_at": created, "updated_at": created, "drill": False}
            for n, due in enumerate(deadlines, start=1)]
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(ObligationRow), rows)
    return time.perf_counter() - started


class CommitStamps:
    """Stamp the moment each live finding's transaction committed (deadline → finding stored)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.committed: dict[int, datetime] = {}
        self._lock = threading.Lock()
        event.listen(sessions, "after_flush", self._flushed)
        event.listen(sessions, "after_commit", self._committed)
        event.listen(sessions, "after_rollback", self._rolled_back)

    @staticmethod
    def _flushed(session: Session, _context: Any) -> None:
        found = session.info.setdefault("bench_findings", [])
        found.extend(obj.obligation_id for obj in session.new if isinstance(obj, LiveFindingRow))

    def _committed(self, session: Session) -> None:
        at = datetime.now(UTC)
        found = session.info.pop("bench_findings", [])
        with self._lock:
            for obligation_id in found:
                self.committed.setdefault(obligation_id, at)

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop("bench_findings", None)


class GcPauses:
    """Record how long each of CPython's cyclic garbage collections held the interpreter, by generation."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    def close(self) -> dict[str, Any]:
        """Stop recording; return the count and longest pause of each generation."""
        gc.callbacks.remove(self._callback)
        return {f"gen{g}": {"count": len(p), "max_s": round(max(p, default=0.0), 4)} for g, p in self.pauses.items()}


# -- measures ----------------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """Return the nearest-rank percentile of *values* (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def poller_lateness(deadlines: Sequence[datetime], every_s: float, seed: int) -> list[float]:
    """Lateness of a poller waking every *every_s* seconds at a random phase and flagging all that is due."""
    origin = min(deadlines)
    first_tick = random.Random(seed ^ 0x5EED).uniform(0, every_s)  # the poller's first tick, seconds after origin
    out = []
    for due in deadlines:
        t = (due - origin).total_seconds()
        ticks = max(0, math.ceil((t - first_tick) / every_s))
        out.append(first_tick + ticks * every_s - t)
    return out


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p99, max and mean, rounded to the millisecond's tenth."""
    if not values:
        return {"p50_s": math.nan, "p99_s": math.nan, "max_s": math.nan, "mean_s": math.nan}
    return {"p50_s": round(percentile(values, 50), 4), "p99_s": round(percentile(values, 99), 4),
            "max_s": round(max(values), 4), "mean_s": round(statistics.fmean(values), 4)}


def duplicated_events(sessions: sessionmaker[Session]) -> int:
    """Return clock events beyond the first per (obligation, step): 0 by the unique constraint, counted anyway."""
    with sessions() as session:
        counts = session.execute(select(func.count()).select_from(ClockEventRow)
                                 .group_by(ClockEventRow.obligation_id, ClockEventRow.step)
                                 .having(func.count() > 1)).scalars().all()
    return sum(n - 1 for n in counts)


def breach_count(sessions: sessionmaker[Session]) -> int:
    """Return how many obligations have their breach recorded."""
    with sessions() as session:
        return session.scalar(select(func.count(func.distinct(ClockEventRow.obligation_id)))
                              .where(ClockEventRow.step == "breach")) or 0


def machine() -> dict[str, Any]:
    """Describe the machine and software the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def default_window(pending: int) -> float:
    """Seconds over which the deadlines are spread: about 55 breaches a second, between 10 s and 5 minutes."""
    return max(10.0, min(MAX_WINDOW_S, round(pending / RATE_PER_S)))


# -- the lateness run --------------------------------------------------------------------------------------------

def run_lateness(pending: int, window_s: float, lead_s: float, margin_s: float, workers: int, seed: int,
                 folder: Path, dump: Path | None = None) -> dict[str, Any]:
    """Flag *pending* deadlines with the in-process clocks and measure how late each finding is."""
    url = f"sqlite:///{folder / 'clocks.db'}"
    started = datetime.now(UTC)
    office_id = fresh_database(url, started + timedelta(seconds=lead_s + window_s + margin_s + 3600))
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    first = datetime.now(UTC) + timedelta(seconds=lead_s)
    deadlines = spread_deadlines(pending, first, window_s, seed)
    insert_s = insert_obligations(engine, office_id, deadlines)
    stamps = CommitStamps(sessions)
    clocks = Clocks(sessions, BREACH_ONLY, workers=workers)
    t = time.perf_counter()
    counts = clocks.start()
    start_s = time.perf_counter() - t
    pauses = GcPauses()  # from here on: collections while deadlines pass, not those of building 100,000 jobs
    if counts["fired_now"]:
        print(f"warning: {counts['fired_now']} deadlines passed before the clocks had started; raise --lead-s",
              file=sys.stderr)
    last = max(deadlines)
    try:
        while datetime.now(UTC) < last:
            time.sleep(min(1.0, max(0.01, (last - datetime.now(UTC)).total_seconds())))
        give_up = time.monotonic() + margin_s
        while len(stamps.committed) < pending and time.monotonic() < give_up:
            time.sleep(0.2)
        drained_s = (datetime.now(UTC) - last).total_seconds()
    finally:
        clocks.stop()
        gc_pauses = pauses.close()
    time.sleep(0.5)  # let a step already running finish its commit
    with sessions() as session:
        findings = session.execute(select(LiveFindingRow.obligation_id, LiveFindingRow.due_at,
                                          LiveFindingRow.recorded_at)).tuples().all()
        statuses = dict(session.execute(select(ObligationRow.status, func.count()).group_by(ObligationRow.status))
                        .tuples().all())
    lateness = [(recorded - due).total_seconds() for _id, due, recorded in findings]
    due_of = {ob_id: due for ob_id, due, _r in findings}
    committed = [(at - due_of[ob_id]).total_seconds() for ob_id, at in stamps.committed.items() if ob_id in due_of]
    if dump is not None:  # one line per finding: deadline, lateness as stated, lateness to the commit (seconds)
        with dump.open("w", encoding="utf-8") as out:
            out.write("obligation_id,due_s,recorded_late_s,committed_late_s\n")
            for ob_id, due, recorded in sorted(findings, key=lambda f: f[1]):
                stamp = stamps.committed.get(ob_id)
                out.write(f"{ob_id},{(due - first).total_seconds():.4f},{(recorded - due).total_seconds():.4f},"
                          f"{(stamp - due).total_seconds() if stamp else math.nan:.4f}\n")
    ours = summary(lateness)
    mine = summary(committed)
    poller = summary(poller_lateness(deadlines, POLL_EVERY_S, seed))
    result: dict[str, Any] = {
        "pending": pending,
        "p50_s": ours["p50_s"], "p99_s": ours["p99_s"], "max_s": ours["max_s"],
        "poller_p99_s": poller["p99_s"],
        "missed": pending - len({ob_id for ob_id, _d, _r in findings}),
        "duplicated": duplicated_events(sessions),
        "mean_s": ours["mean_s"],
        "committed_p50_s": mine["p50_s"], "committed_p99_s": mine["p99_s"], "committed_max_s": mine["max_s"],
        "poller_p50_s": poller["p50_s"], "poller_max_s": poller["max_s"], "poller_mean_s": poller["mean_s"],
        "early": sum(1 for v in lateness if v < 0),
        "window_s": window_s, "lead_s": lead_s, "rate_per_s": round(pending / window_s, 1), "workers": workers,
        "insert_s": round(insert_s, 2), "start_s": round(start_s, 2), "start_counts": counts,
        "drained_after_last_s": round(drained_s, 2), "gc_pauses": gc_pauses, "statuses": statuses, "seed": seed,
        "machine": machine(),
    }
    engine.dispose()
    return result


# -- the restart run ---------------------------------------------------------------------------------------------

def bench_plans(folder: Path) -> Path:
    """Copy the shipped plans the clocks command loads, with the breach-only escalation; return the folder."""
    plans = folder / "plans"
    shutil.copytree(DEFAULT_PLANS_DIR, plans)
    (plans / "escalation.yaml").write_text(
        yaml.safe_dump(BREACH_ONLY.model_dump(mode="json"), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return plans


def spawn_clocks(folder: Path, environ: dict[str, str]) -> tuple[subprocess.Popen[bytes], float]:
    """Start `emergency clocks`; return the process once it says it runs, and how long that took."""
    command = [str(Path(sys.executable).with_name("emergency")), "clocks"]
    started = time.perf_counter()
    with (folder / "clocks.stderr").open("ab") as stderr:
        child = subprocess.Popen(command, cwd=folder, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=stderr)
    assert child.stdout is not None
    line = child.stdout.readline()
    if b"Deadline clocks running" not in line:
        child.kill()
        child.wait()
        raise RuntimeError(f"`emergency clocks` did not start: {line!r}; see {folder / 'clocks.stderr'}")
    return child, time.perf_counter() - started


def wait_for(check: Any, timeout: float, every: float = 0.05) -> bool:
    """Poll *check* until it is true or *timeout* seconds pass."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if check():
            return True
        time.sleep(every)
    return bool(check())


def run_restart(pending: int, window_s: float, lead_s: float, margin_s: float, seed: int,
                folder: Path) -> dict[str, Any]:
    """Kill `emergency clocks` while deadlines pass, restart it, and count what was flagged, and how often."""
    url = f"sqlite:///{folder / 'clocks.db'}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("EMERGENCY_", "PREFECT_"))}
    environ.update(EMERGENCY_DATABASE_URL=url, EMERGENCY_PLANS_DIR=str(bench_plans(folder)))
    office_id = fresh_database(url, datetime.now(UTC) + timedelta(hours=2))
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    first = datetime.now(UTC) + timedelta(seconds=lead_s)
    deadlines = spread_deadlines(pending, first, window_s, seed)
    insert_obligations(engine, office_id, deadlines)
    last = max(deadlines)

    child, first_start_s = spawn_clocks(folder, environ)
    if datetime.now(UTC) >= first:
        child.kill()
        raise RuntimeError("the clocks took longer than --lead-s to start; raise it")
    wait_for(lambda: breach_count(sessions) >= pending // 2, timeout=lead_s + window_s + margin_s)
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed_at = datetime.now(UTC)
    flagged_at_kill = breach_count(sessions)
    passed_at_kill = sum(1 for d in deadlines if d <= killed_at)
    while datetime.now(UTC) < last + timedelta(seconds=1):  # every remaining deadline passes while nothing runs
        time.sleep(0.2)
    flagged_while_down = breach_count(sessions) - flagged_at_kill

    down_s = (datetime.now(UTC) - killed_at).total_seconds()
    second, second_start_s = spawn_clocks(folder, environ)
    restarted = time.perf_counter()
    wait_for(lambda: breach_count(sessions) >= pending, timeout=margin_s)
    caught_up_s = time.perf_counter() - restarted
    second.send_signal(signal.SIGKILL)
    second.wait()
    third, _ = spawn_clocks(folder, environ)  # and once more: nothing may be flagged twice
    time.sleep(2.0)
    third.terminate()
    third.wait(timeout=30)

    with sessions() as session:
        statuses = dict(session.execute(select(ObligationRow.status, func.count()).group_by(ObligationRow.status))
                        .tuples().all())
        findings = session.scalar(select(func.count()).select_from(LiveFindingRow)) or 0
    stderr = (folder / "clocks.stderr").read_text(encoding="utf-8", errors="replace")
    result = {
        "flagged": breach_count(sessions),
        "expected": pending,
        "duplicated": duplicated_events(sessions),
        "findings": findings,
        "flagged_at_kill": flagged_at_kill,
        "passed_at_kill": passed_at_kill,
        "flagged_while_down": flagged_while_down,
        "down_s": round(down_s, 1),
        "restart_start_s": round(second_start_s, 2),
        "caught_up_after_start_s": round(caught_up_s, 2),
        "first_start_s": round(first_start_s, 2),
        "statuses": statuses,
        "tracebacks": stderr.count("Traceback"),
        "window_s": window_s, "seed": seed, "machine": machine(),
    }
    engine.dispose()
    return result


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the lateness benchmark, or the restart one."""
    parser = argparse.ArgumentParser(prog="python -m bench.clocks",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--pending", type=int, default=10_000, help="open obligations (default 10000)")
    parser.add_argument("--window-s", type=float, default=None,
                        help="seconds the deadlines are spread over (default: pending / 55.6 up to 300, i.e. 180 s for 10,000, "
                             "300 s for 100,000; "
                             "10 s for --restart)")
    parser.add_argument("--lead-s", type=float, default=None,
                        help="seconds from start-up to the first deadline (default 5 + 2 per 10,000 pending)")
    parser.add_argument("--margin-s", type=float, default=60.0,
                        help="how long to wait after the last deadline for stragglers (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="the clocks' executor threads (default 4, as shipped)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--restart", action="store_true", help="the SIGKILL/restart run of `emergency clocks`")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, stderr)")
    parser.add_argument("--dump", type=Path, help="write each finding's deadline and lateness to this CSV file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    window_s = args.window_s if args.window_s is not None else (10.0 if args.restart else default_window(args.pending))
    lead_s = args.lead_s if args.lead_s is not None else 5.0 + args.pending / 5_000
    folder = Path(tempfile.mkdtemp(prefix="bench-clocks-"))
    try:
        if args.restart:
            result = run_restart(args.pending, window_s, lead_s, args.margin_s, args.seed, folder)
        else:
            result = run_lateness(args.pending, window_s, lead_s, args.margin_s, args.workers, args.seed, folder,
                                  args.dump)
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    elif args.restart:
        print(f"flagged {result['flagged']} of {result['expected']} across a SIGKILL "
              f"({result['flagged_at_kill']} before it); duplicated {result['duplicated']}")
    else:
        print(f"{result['pending']} deadlines over {result['window_s']} s: breach flagged p50 {result['p50_s']} s, "
              f"p99 {result['p99_s']} s, max {result['max_s']} s (a 60 s poller: p99 {result['poller_p99_s']} s); "
              f"missed {result['missed']}, duplicated {result['duplicated']}")
    if result["duplicated"] or (result["flagged"] != result["expected"] if args.restart else result["missed"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
