"""Benchmark delivery through the outbox to a local district receiver, with the worker SIGKILLed mid-way.

    python -m bench.delivery --json [--messages 2000] [--kills 1]

1. N report messages are enqueued in a fresh SQLite database (one transaction, as documents would be).
2. The district receiver (`emergency.receiver`) starts on 127.0.0.1; it verifies every signature and stores each
   key once, answering repeats as duplicates.
3. A delivery worker runs as a child process (`--worker`): `deliver_due` in a loop, channels built from a delivery
   configuration whose URL and secret come from environment variables.
4. When the receiver holds about N·k/(kills+1) messages, the worker is killed with SIGKILL (no clean-up runs), and
   a new worker is started; the last one runs until nothing is queued.
5. Counting happens at the receiver: `sent` unique keys stored, `lost` keys never stored, `duplicates` keys stored
   more than once, `resent_after_kill` repeats the receiver answered as duplicates (sent, not marked, sent again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from emergency.adapters.channels import Channel
from emergency.db import migrate
from emergency.db.models import OutboxRow
from emergency.db.session import make_engine, make_session_factory, unit_of_work
from emergency.delivery_config import ChannelSpec, DeliveryConfig, build_channels
from emergency.receiver import start_receiver
from emergency.services.outbox import deliver_due, enqueue, pending_count

URL_ENV = "EMERGENCY_BENCH_WEBHOOK_URL"
SECRET_ENV = "EMERGENCY_BENCH_WEBHOOK_SECRET"
CHANNEL = "district_webhook"


def bench_channels() -> dict[str, Channel]:
    """Build the one webhook channel from the environment, exactly as the application does."""
    spec = ChannelSpec(id=CHANNEL, kind="webhook", url_env=URL_ENV, secret_env=SECRET_ENV)
    return build_channels(DeliveryConfig(channels=(spec,), routes={"report": (CHANNEL,)}), os.environ)


def run_worker(database_url: str, batch: int, lease: float) -> None:
    """Deliver until nothing is queued: what `emergency outbox deliver` does, in a loop with a fresh clock."""
    sessions = make_session_factory(make_engine(database_url))
    channels = bench_channels()
    while True:
        counts = deliver_due(sessions, channels=channels, now=datetime.now(UTC), limit=batch,
                             lease=timedelta(seconds=lease))
        if counts["due"] == 0:
            with sessions() as session:
                if pending_count(session) == 0:
                    return
            time.sleep(0.05)  # only leased rows (claimed by a killed worker) remain: wait for their lease


def enqueue_messages(database_url: str, count: int) -> tuple[list[str], float]:
    """Create the schema and enqueue *count* report messages in one transaction; return the keys and seconds."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    keys = [f"bench-report-{n:06d}@{CHANNEL}" for n in range(1, count + 1)]
    started = time.perf_counter()
    with unit_of_work(sessions) as session:
        for n, key in enumerate(keys, start=1):
            enqueue(session, key=key, topic="report", channel=CHANNEL, subject=f"基准事件{n:06d}（续报）", now=now,
                    attachment=None, body={"incident": f"2026-{n:06d}", "kind": "follow_up", "deaths": 0,
                                           "injuries": n % 3, "summary": "道路交通事故，已疏散群众，伤者送医。"})
    elapsed = time.perf_counter() - started
    engine.dispose()
    return keys, elapsed


def start_worker(database_url: str, batch: int, lease: float, environ: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a delivery worker child process."""
    command = [sys.executable, "-m", "bench.delivery", "--worker", "--database", database_url, "--batch", str(batch),
               "--lease", str(lease)]
    return subprocess.Popen(command, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parents[1])


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


def run(messages: int, kills: int, batch: int, lease: float) -> dict[str, Any]:
    """Run the benchmark once and return its numbers."""
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        folder = Path(tmp)
        database_url = f"sqlite:///{folder / 'outbox.db'}"
        keys, enqueue_seconds = enqueue_messages(database_url, messages)
        secret = os.urandom(24).hex()
        receiver = start_receiver(folder / "district", secret)
        environ = {**os.environ, URL_ENV: receiver.url, SECRET_ENV: secret}
        received_at_kill: list[int] = []
        started = time.perf_counter()
        try:
            worker = start_worker(database_url, batch, lease, environ)
            for k in range(1, kills + 1):
                target = messages * k // (kills + 1)
                while receiver.counts().stored < target:
                    if worker.poll() is not None:
                        raise RuntimeError(f"worker ended early (exit {worker.returncode}) before the kill")
                    time.sleep(0.001)
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
                received_at_kill.append(receiver.counts().stored)
                worker = start_worker(database_url, batch, lease, environ)
            if worker.wait(timeout=600) != 0:
                raise RuntimeError(f"the last worker failed (exit {worker.returncode})")
            seconds = time.perf_counter() - started
        finally:
            receiver.stop()
        stored = receiver.received()
        counts = receiver.counts()
        files = len(list((folder / "district").glob("*.json")))
        engine = make_engine(database_url)
        with make_session_factory(engine)() as session:
            grouped = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
            statuses = {str(status): int(n) for status, n in grouped}
        engine.dispose()
    expected = set(keys)
    unique = expected & set(stored)
    stored_twice = sum(n - 1 for n in Counter(stored).values()) + max(0, files - len(set(stored)))
    return {
        "sent": len(unique),
        "lost": len(expected - unique),
        "duplicates": stored_twice,
        "per_s": round(len(unique) / seconds, 1),
        "resent_after_kill": counts.duplicates,
        "messages": messages,
        "kills": kills,
        "received_at_kill": received_at_kill,
        "seconds": round(seconds, 2),
        "enqueue_seconds": round(enqueue_seconds, 2),
        "lease_seconds": lease,
        "rejected": counts.rejected,
        "files": files,
        "rows_by_status": statuses,
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments; run the benchmark (or, with --worker, one delivery worker)."""
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=2000, help="messages to deliver (default 2000)")
    parser.add_argument("--kills", type=int, default=1, help="how many times the worker is SIGKILLed (default 1)")
    parser.add_argument("--batch", type=int, default=100, help="messages per deliver_due pass (default 100)")
    parser.add_argument("--lease", type=float, default=1.0,
                        help="seconds a claimed row is left alone; after a kill it is resent when this runs out")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.database, args.batch, args.lease)
        return
    result = run(args.messages, args.kills, args.batch, args.lease)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"{result['sent']} of {result['messages']} stored once at the receiver in {result['seconds']} s "
              f"({result['per_s']}/s) with {result['kills']} SIGKILL(s); lost {result['lost']}, duplicates "
              f"{result['duplicates']}, resent after a kill {result['resent_after_kill']}")
    if result["lost"] or result["duplicates"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
