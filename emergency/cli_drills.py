"""`emergency drill …`: schedule and record drills (应急演练), list those due, replay a scenario as a drill."""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from emergency.clock import format_local, isoformat_local
from emergency.config import load_settings
from emergency.domain.enums import DrillKind
from emergency.errors import InputError

if TYPE_CHECKING:
    from emergency.domain.drills import DrillDue
    from emergency.services.drills import DrillInfo

drill_app = typer.Typer(help="Drills (应急演练): schedule, record, list those due by the plans' cycles, replay a scenario.",
                        no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

TimeHelp = "ISO 8601 with offset, e.g. 2026-06-10T09:00:00+08:00"
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
FileOption = Annotated[Path | None, typer.Option("--file", "-f", help="Take the data from a JSON or YAML file.")]
KIND_WORDS: dict[str, DrillKind] = {"tabletop": DrillKind.TABLETOP, "桌面": DrillKind.TABLETOP,
                                    "桌面推演": DrillKind.TABLETOP, "field": DrillKind.FIELD, "实战": DrillKind.FIELD,
                                    "实战演练": DrillKind.FIELD}


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from emergency.timelines import parse_aware

    try:
        return parse_aware(value)
    except ValueError as exc:
        raise InputError("command line", option, str(exc)) from None


def _kind(value: str) -> DrillKind:
    found = KIND_WORDS.get(value.strip().lower())
    if found is None:
        raise InputError("command line", "kind", f"{value!r} is not a drill form: tabletop (桌面) or field (实战)")
    return found


def _names(values: list[str] | None) -> list[str] | None:
    """Accept names repeated (--participants A --participants B) or listed in one value (A,B or A、B)."""
    if values is None:
        return None
    return [name.strip() for value in values for name in re.split(r"[,，、;；]", value) if name.strip()]


def _file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from emergency.timelines import load_document

    data = load_document(path)
    if not isinstance(data, dict):
        raise InputError(str(path), None, "must hold one mapping of fields to values")
    return data


def _when(at: datetime | None) -> str:
    return format_local(at) if at is not None else "—"


def _info_json(info: DrillInfo) -> dict[str, Any]:
    return {"id": info.id, "number": info.number, "title": info.title, "plan": info.plan, "kind": info.kind,
            "scenario": info.scenario, "location": info.location, "organiser": info.organiser, "status": info.status,
            "scheduled_for": isoformat_local(info.scheduled_for) if info.scheduled_for else None,
            "held_at": isoformat_local(info.held_at) if info.held_at else None,
            "participants": list(info.participants), "evaluation": info.evaluation,
            "problems": list(info.problems), "incident": info.incident, "record": info.document_path}


def _due_json(due: DrillDue) -> dict[str, Any]:
    return {"plan": due.plan, "name": due.name, "every_months": due.every_months,
            "kinds": [k.value for k in due.kinds], "last_held": due.last_held.isoformat() if due.last_held else None,
            "due_on": due.due_on.isoformat(), "scheduled_on": due.scheduled_on.isoformat() if due.scheduled_on else None,
            "state": due.state.value, "source": due.source}


@drill_app.command("schedule")
def drill_schedule(
    plan: Annotated[str, typer.Option("--plan", help="The plan drilled (its id, e.g. gas).")],
    kind: Annotated[str, typer.Option("--kind", help="tabletop (桌面推演) or field (实战演练).")],
    scenario: Annotated[str, typer.Option("--scenario", help="The scenario: a name or a file under scenarios/.")],
    at: Annotated[str, typer.Option("--at", help=f"When it will be held, {TimeHelp}.")],
    title: Annotated[str | None, typer.Option("--title", help="Title; default the plan's name.")] = None,
    location: Annotated[str | None, typer.Option("--location", help="Where.")] = None,
    organiser: Annotated[str | None, typer.Option("--organiser", help="Who organises it (unit or name).")] = None,
) -> None:
    """Schedule a drill of a plan, in one of the forms its drill cycle names."""
    from emergency.runtime import open_runtime
    from emergency.services.drills import NewDrill, schedule_drill
    from emergency.services.incidents import get_office
    from emergency.timelines import validate_model

    runtime = open_runtime(load_settings())
    data = validate_model(NewDrill, {"plan": plan, "kind": _kind(kind), "scenario": scenario,
                                     "scheduled_for": _time(at, "at"), "title": title or "", "location": location or "",
                                     "organiser": organiser or ""}, "new drill")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = schedule_drill(session, office=office, plans=runtime.plans, data=data, now=runtime.now)
        out.print(f"Scheduled drill {row.number}: {row.title} ({row.plan_slug}, {_kind_label(row.kind)}) at "
                  f"{_when(row.scheduled_for)}, scenario {row.scenario}.", markup=False)


def _kind_label(kind: str) -> str:
    from emergency.labels import DRILL_KIND_LABELS

    return DRILL_KIND_LABELS[DrillKind(kind)]


@drill_app.command("record")
def drill_record(
    drill: Annotated[str, typer.Argument(help="The drill's number (D-2026-003) or id.")],
    held_at: Annotated[str | None, typer.Option("--held-at", help=f"When it was held, {TimeHelp}.")] = None,
    participants: Annotated[list[str] | None, typer.Option(
        "--participants", help="Who took part (repeatable, or one value with names separated by , or 、).")] = None,
    evaluation: Annotated[str | None, typer.Option("--evaluation", help="The evaluation (评估) in words.")] = None,
    problem: Annotated[list[str] | None, typer.Option(
        "--problem", help="A problem found (repeatable): becomes a hazard to rectify (一般事故隐患, 管理因素).")] = None,
    plan_gap: Annotated[list[str] | None, typer.Option(
        "--plan-gap", help="A problem that shows a gap in the plan (repeatable): a hazard, and the plan flagged for "
                           "review.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who records it; default the organiser.")] = None,
    file: FileOption = None,
) -> None:
    """Record a drill as held: when, who, the evaluation, and the problems found (each a hazard to rectify)."""
    from emergency.plans.hazards import load_hazard_plan
    from emergency.runtime import open_runtime
    from emergency.services.drills import DrillRecordIn, find_drill, record_drill
    from emergency.services.incidents import get_office
    from emergency.timelines import validate_model

    runtime = open_runtime(load_settings())
    raw = _file(file)
    problems = list(raw.pop("problems", []) or [])
    problems += [{"text": text} for text in problem or []]
    problems += [{"text": text, "plan_gap": True} for text in plan_gap or []]
    options = {"held_at": held_at, "participants": _names(participants), "evaluation": evaluation, "by": by}
    raw.update({k: v for k, v in options.items() if v is not None})
    raw["problems"] = problems
    data = validate_model(DrillRecordIn, raw, f"drill {drill}")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        row = find_drill(session, office=office, ident=drill)
        recorded = record_drill(session, office=office, hazard_plan=load_hazard_plan(runtime.settings.plans_dir),
                                drill=row, data=data, now=runtime.now)
    info = recorded.drill
    out.print(f"Recorded drill {info.number} held at {_when(info.held_at)}: {len(info.participants)} participants, "
              f"{len(info.problems)} problems on record.", markup=False)
    from emergency.cli_hazards import deadline_local

    for hazard in recorded.hazards:
        out.print(f"  Hazard {hazard.number}: rectify by {deadline_local(hazard.deadline)} "
                  "(`emergency hazard show` follows it to 销号).", markup=False)
    for version in recorded.flagged:
        out.print(f"  Plan {version} flagged for review (演练发现问题): see `emergency plan due`.", markup=False)
    for gap in recorded.unflagged:
        out.print(f"  No approved version of plan {info.plan} is in force, so none was flagged for: {gap}",
                  markup=False)


@drill_app.command("cancel")
def drill_cancel(drill: Annotated[str, typer.Argument(help="The drill's number or id.")]) -> None:
    """Cancel a scheduled drill."""
    from emergency.runtime import open_runtime
    from emergency.services.drills import cancel_drill, find_drill
    from emergency.services.incidents import get_office

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        row = find_drill(session, office=get_office(session, name=runtime.settings.office), ident=drill)
        cancel_drill(session, drill=row, now=runtime.now)
        out.print(f"Cancelled drill {row.number}.", markup=False)


@drill_app.command("list")
def drill_list(
    due: Annotated[bool, typer.Option("--due", help="Only the plans whose drill is overdue or due soon.")] = False,
    within: Annotated[int, typer.Option("--within", min=0, help="Days ahead that count as due soon (with --due).")] = 30,
    as_json: JsonOption = False,
) -> None:
    """List the drills held and scheduled; with --due, each plan whose drill cycle makes a drill due."""
    from emergency.runtime import open_runtime
    from emergency.services.drills import due_drills, list_drills
    from emergency.services.incidents import get_office

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        if due:
            found = [d for d in due_drills(session, office=office, plans=runtime.plans, now=runtime.now,
                                           within_days=within) if d.is_due]
        else:
            drills = list_drills(session, office=office)
    if due:
        _print_due(found, as_json, within)
        return
    if as_json:
        sys.stdout.write(json.dumps([_info_json(d) for d in drills], ensure_ascii=False, indent=2) + "\n")
        return
    if not drills:
        out.print("No drills yet: `emergency drill schedule` plans one, `emergency drill list --due` says which are due.",
                  markup=False)
        return
    table = Table()
    for column in ("number", "plan", "form", "status", "scheduled", "held", "problems", "drill incident"):
        table.add_column(column, overflow="fold")
    for d in drills:
        table.add_row(d.number, d.plan, _kind_label(d.kind), d.status, _when(d.scheduled_for), _when(d.held_at),
                      str(len(d.problems)), d.incident or "—")
    out.print(table)


def _print_due(found: list[DrillDue], as_json: bool, within: int) -> None:
    from emergency.labels import DRILL_DUE_STATE_LABELS

    if as_json:
        sys.stdout.write(json.dumps([_due_json(d) for d in found], ensure_ascii=False, indent=2) + "\n")
        return
    if not found:
        out.print(f"No plan's drill is overdue or due within {within} days.", markup=False)
        return
    table = Table(title="Drills due by the plans' drill cycles (应急演练)")
    for column in ("plan", "cycle", "last held", "due by", "state", "scheduled"):
        table.add_column(column, overflow="fold")
    for d in found:
        table.add_row(f"{d.plan} {d.name}", f"every {d.every_months} months ({'/'.join(_kind_label(k) for k in d.kinds)})",
                      d.last_held.isoformat() if d.last_held else "never", d.due_on.isoformat(),
                      DRILL_DUE_STATE_LABELS[d.state.value], d.scheduled_on.isoformat() if d.scheduled_on else "—")
    out.print(table)


@drill_app.command("show")
def drill_show(drill: Annotated[str, typer.Argument(help="The drill's number or id.")], as_json: JsonOption = False) -> None:
    """Show a drill: its plan, scenario, times, participants, evaluation and problems (with their hazards)."""
    from emergency.runtime import open_runtime
    from emergency.services.drills import drill_info, find_drill
    from emergency.services.incidents import get_office

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        info = drill_info(session, find_drill(session, office=get_office(session, name=runtime.settings.office),
                                              ident=drill))
    if as_json:
        sys.stdout.write(json.dumps(_info_json(info), ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"Drill {info.number}: {info.title} — plan {info.plan}, {_kind_label(info.kind)}, {info.status}",
              markup=False)
    out.print(f"  scenario {info.scenario or '—'}; scheduled {_when(info.scheduled_for)}; held {_when(info.held_at)}; "
              f"drill incident {info.incident or '—'}", markup=False)
    out.print(f"  participants: {'、'.join(info.participants) or '—'}", markup=False)
    for n, p in enumerate(info.problems, start=1):
        gap = " (预案缺陷)" if p.get("plan_gap") else ""
        out.print(f"  problem {n}{gap}: {p.get('text')} → hazard {p.get('hazard')}", markup=False)
    if info.evaluation:
        out.print("  evaluation:", markup=False)
        for line in info.evaluation.splitlines():
            out.print(f"    {line}", markup=False)
    if info.document_path:
        out.print(f"  record: {info.document_path}", markup=False)


@drill_app.command("run")
def drill_run(
    scenario: Annotated[str, typer.Argument(
        help="A scenario: a file, or a name under scenarios/ (e.g. gas-explosion-restaurant).")],
    drill: Annotated[str | None, typer.Option(
        "--drill", help="The scheduled drill this replay holds; default a new one.")] = None,
    start: Annotated[str | None, typer.Option("--start", help=f"When the drill starts (the scenario's 0m), {TimeHelp}; "
                                                            "default now.")] = None,
    deliver_to_real: Annotated[bool, typer.Option(
        "--deliver-to-real", help="Let the drill's reports reach their real recipients (the district), marked 演练; "
                                  "without it they go only to the drill folder.")] = False,
    participants: Annotated[list[str] | None, typer.Option("--participants", help="Who took part.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Replay a scenario through the real flows as a drill: reports drafted, signed, timed and audited, marked 演练."""
    from emergency.flows_runner import run_flow
    from emergency.scenarios import scenario_path

    path = scenario_path(scenario)  # a mistyped name fails at once, before Prefect starts
    params: dict[str, Any] = {"scenario": str(path), "drill": drill, "deliver_to_real": deliver_to_real,
                              "participants": _names(participants) or []}
    when = _time(start, "start")
    if when is not None:
        params["start"] = when
    result = run_flow("drill", params)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _print_replay(result, deliver_to_real)


def _local(text: str | None) -> str:
    return format_local(datetime.fromisoformat(text)) if text else "—"


def _print_replay(result: dict[str, Any], deliver_to_real: bool) -> None:
    out.print(f"Drill {result['drill']} replayed as drill incident {result['incident']} (演练; not counted in any "
              f"statistics), starting {_local(result['start'])}.", markup=False)
    for step in result["steps"]:
        out.print(f"  {_local(step['at'])}  {step['do']}: {step['done']}", markup=False)
    timing = Table(title="Reports owed by the drill, and when they were made")
    for column in ("obligation", "due", "made", "late (min)", "status"):
        timing.add_column(column)
    for t in result["timings"]:
        timing.add_row(t["label"], _local(t["due_at"]), _local(t["met_at"]), str(t["minutes_late"] or ""),
                       t["status"])
    out.print(timing)
    s = result["score"]
    out.print(f"Audit at {_local(result['audit_at'])}: {s['obligations']} reports owed, {s['on_time']} on time, "
              f"{s['late']} late, {s['open']} not made; findings {len(result['findings'])}.", markup=False)
    for f in result["findings"]:
        out.print(f"  {f['label']} {f['evidence']}", markup=False)
    where = "their real channels (--deliver-to-real)" if deliver_to_real else "the drill folder only"
    out.print(f"Documents (every page marked 演练), delivered to {where}:", markup=False)
    for path in result["documents"]:
        out.print(f"  {path}", markup=False)
    for row in result["outbox"]:
        kept = f" instead of {row['diverted_from']}" if row["diverted_from"] else ""
        out.print(f"  outbox {row['id']}: {row['channel']}{kept}, {row['status']}", markup=False)
    out.print(f"Drill record: {result['record']} — record the evaluation and problems with "
              f"`emergency drill record {result['drill']}`.", markup=False)
