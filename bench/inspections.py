"""Benchmark inspection planning: one bulk planning run over a large register, against one Prefect task per source.

    python -m bench.inspections --sources 100000 --json
    python -m bench.inspections --sources 100000 --database-url postgresql+psycopg://… --json

1. A fresh database (a SQLite file by default; `--database-url` for PostgreSQL, whose `public` schema is dropped
   and recreated) gets the schema (`migrate.upgrade`), one office, `--grids` grids in communities of five, each with
   its 网格长, and N active hazard sources of random (seeded) type and risk level, in Core executemany batches.
2. One planning run (`services.inspections.plan_inspections`, the body of the `plan-inspections` task) runs in one
   unit of work as of `--as-of` (default 2026-11-26 07:00 +08:00, inside the winter fire campaign, so sources of
   five types get a campaign inspection besides the routine one): read the register in one query, work out the
   due periods, read the stored (source, period) pairs of those periods, insert the missing rows in batches of
   5,000 (ON CONFLICT DO NOTHING), and queue one notice per grid leader. `seconds` is that unit of work, commit
   included. Then the same run again: `second_run_created` must be 0.
3. The baseline is the naive flow: a Prefect flow that calls one task per source; each task opens its own unit of
   work, reads its source, works out that source's periods, checks and inserts each inspection, and commits. It
   runs on `--baseline-sample` sources (default 300) in a second database with the same organisation, timed
   from the first task to the last inside the flow (the temporary Prefect server's start-up is not counted), and
   is extrapolated linearly to N: `baseline_seconds_est`. It queues no notices, so the estimate flatters it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from emergency.clock import to_local
from emergency.db import migrate
from emergency.db.models import CommunityRow, GridRow, HazardSourceRow, InspectionRow, OutboxRow
from emergency.db.session import make_engine, make_session_factory
from emergency.domain.enums import RiskLevel
from emergency.plans.inspections import InspectionPlan, load_inspection_plan
from emergency.services.incidents import get_office
from emergency.services.inspections import plan_inspections
from emergency.timelines import parse_aware

OFFICE = "长春市绿园区正阳街道办事处"
CHANNELS = ("duty_wecom",)
BATCH = 10_000


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


def fresh_database(url: str) -> Engine:
    """Return an engine on an empty, migrated database (a PostgreSQL URL gets its public schema recreated)."""
    if make_url(url).get_backend_name() == "postgresql":
        admin = create_engine(url, poolclass=NullPool)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        admin.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def seed(engine: Engine, *, sources: int, grids: int, seed_value: int, plan: InspectionPlan,
         now: datetime) -> int:
    """Store one office, its communities and grids, and *sources* random active sources; return the office id."""
    rng = random.Random(seed_value)
    types = [kind.key for kind in plan.source_types]
    levels = [level.value for level in RiskLevel]
    weights = [1, 3, 10, 6]  # few 重大, most 一般 (an office's register leans to the lower levels)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        office_id = get_office(session, name=OFFICE).id
        communities = [{"office_id": office_id, "code": f"C{n:03d}", "name": f"第{n}社区"}
                       for n in range(1, (grids + 4) // 5 + 1)]
        session.execute(insert(CommunityRow), communities)
        community_ids = list(session.scalars(select(CommunityRow.id).where(CommunityRow.office_id == office_id)
                                             .order_by(CommunityRow.id)))
        session.execute(insert(GridRow), [
            {"community_id": community_ids[n // 5], "code": f"G{n:04d}", "name": f"第{n + 1}网格",
             "leader_name": f"网格长{n + 1:04d}", "leader_phone": f"139{n:08d}"} for n in range(grids)])
        grid_rows = session.execute(select(GridRow.id, GridRow.community_id)).tuples().all()
    rows = []
    for n in range(sources):
        grid_id, community_id = grid_rows[rng.randrange(len(grid_rows))]
        rows.append({"office_id": office_id, "code": f"S{n:06d}", "name": f"风险点{n}",
                     "source_type": rng.choice(types), "risk_level": rng.choices(levels, weights)[0],
                     "community_id": community_id, "grid_id": grid_id, "owner_unit": "某单位", "contact": "",
                     "phone": "", "location": "", "active": True, "created_at": now, "updated_at": now})
    with sessions.begin() as session:
        for start in range(0, len(rows), BATCH):
            session.execute(insert(HazardSourceRow), rows[start:start + BATCH])
    return office_id


def timed_run(engine: Engine, plan: InspectionPlan, as_of: datetime) -> tuple[float, dict[str, Any]]:
    """Run one planning in one unit of work; return (seconds, summary)."""
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        summary = plan_inspections(session, office=office, plan=plan, as_of=as_of, channels=CHANNELS)
    return time.perf_counter() - started, summary.as_dict()


def baseline(url: str, plan: InspectionPlan, as_of: datetime, sample: int, grids: int, seed_value: int,
             folder: Path) -> dict[str, Any]:
    """Plan *sample* sources with one Prefect task each (the naive flow); return its timing."""
    from emergency.prefect_env import quiet_prefect

    quiet_prefect(folder / "prefect.log")  # before Prefect is imported: its output goes to the file
    from prefect import flow, task

    from emergency.domain.inspections import PlannedSource, due_inspections
    from emergency.services.inspections import end_of_local_day
    engine = fresh_database(url)
    seed(engine, sources=sample, grids=grids, seed_value=seed_value, plan=plan, now=as_of)
    sessions = make_session_factory(engine)
    frequencies, campaigns, day = plan.frequencies(), plan.campaign_rules(), to_local(as_of).date()

    @task(name="plan-one-source")
    def plan_one(source_id: int) -> int:
        """Plan one source in its own unit of work: read it, check each of its periods, insert what is missing."""
        created = 0
        with sessions.begin() as session:
            source = session.get(HazardSourceRow, source_id)
            assert source is not None
            grid = session.get(GridRow, source.grid_id) if source.grid_id is not None else None
            planned = PlannedSource(source.id, source.source_type, source.risk_level)
            for due in due_inspections([planned], frequencies, campaigns, day).due:
                exists = session.scalar(select(InspectionRow.id).where(InspectionRow.source_id == source.id,
                                                                       InspectionRow.period_key == due.period_key))
                if exists is None:
                    session.add(InspectionRow(
                        office_id=source.office_id, source_id=source.id, period_key=due.period_key,
                        reason=due.reason, starts_on=due.starts_on, due_on=due.due_on,
                        due_at=end_of_local_day(due.due_on), assigned_to=grid.leader_name if grid else None,
                        grid_id=source.grid_id, status="due", notice_sent=False, created_at=as_of))
                    created += 1
        return created

    @flow(name="naive-inspection-planning")
    def naive(source_ids: list[int]) -> dict[str, float]:
        started = time.perf_counter()
        created = sum(plan_one(source_id) for source_id in source_ids)
        return {"created": created, "seconds": time.perf_counter() - started}

    with sessions.begin() as session:
        ids = list(session.scalars(select(HazardSourceRow.id).order_by(HazardSourceRow.id)))
    result = naive(ids)
    engine.dispose()
    return {"baseline_sample": sample, "baseline_sample_seconds": round(result["seconds"], 3),
            "baseline_sample_created": int(result["created"])}


def run(sources: int, grids: int, as_of: datetime, sample: int, seed_value: int, url: str | None,
        folder: Path) -> dict[str, Any]:
    """Seed the register, time two planning runs and the naive baseline; return the result."""
    plan = load_inspection_plan()
    main_url = url or f"sqlite:///{folder / 'bench.db'}"
    engine = fresh_database(main_url)
    started = time.perf_counter()
    seed(engine, sources=sources, grids=grids, seed_value=seed_value, plan=plan, now=as_of)
    seed_seconds = time.perf_counter() - started
    seconds, first = timed_run(engine, plan, as_of)
    second_seconds, second = timed_run(engine, plan, as_of)
    with make_session_factory(engine).begin() as session:
        stored = session.scalar(select(func.count()).select_from(InspectionRow)) or 0
        outbox = session.scalar(select(func.count()).select_from(OutboxRow)) or 0
    backend = engine.dialect.name
    engine.dispose()
    timing = baseline(url or f"sqlite:///{folder / 'baseline.db'}", plan, as_of, min(sample, sources), grids,
                      seed_value, folder)
    per_source = timing["baseline_sample_seconds"] / max(timing["baseline_sample"], 1)
    return {
        "sources": sources,
        "inspections_created": first["created"],
        "seconds": round(seconds, 3),
        "baseline_seconds_est": round(per_source * sources, 1),
        "second_run_created": second["created"],
        "second_run_seconds": round(second_seconds, 3),
        "notices": first["notices"],
        "second_run_notices": second["notices"],
        "inspections_stored": stored,
        "outbox_rows": outbox,
        "as_of": as_of.isoformat(),
        "grids": grids,
        "backend": backend,
        "seed_seconds": round(seed_seconds, 2),
        **timing,
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.inspections",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sources", type=int, default=100_000, help="hazard sources in the register (default 100000)")
    parser.add_argument("--grids", type=int, default=500, help="grids, five to a community (default 500)")
    parser.add_argument("--as-of", default="2026-11-26T07:00:00+08:00", help="the planning run's as_of")
    parser.add_argument("--baseline-sample", type=int, default=300, help="sources the naive flow plans (default 300)")
    parser.add_argument("--database-url", help="run on this database instead of a temporary SQLite file "
                                               "(its public schema is dropped)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, Prefect log)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-inspections-"))
    try:
        result = run(args.sources, args.grids, parse_aware(args.as_of), args.baseline_sample, args.seed,
                     args.database_url, folder)
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"{result['sources']} sources: {result['inspections_created']} inspections in {result['seconds']} s "
              f"(one task per source, est. {result['baseline_seconds_est']} s); a second run created "
              f"{result['second_run_created']} in {result['second_run_seconds']} s")


if __name__ == "__main__":
    main()
