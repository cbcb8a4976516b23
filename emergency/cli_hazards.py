"""`emergency inspection …` (record a result, import a day's results) and `emergency hazard …` (隐患 to 销号)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from emergency.clock import CN_TZ, format_local, to_local
from emergency.config import load_settings
from emergency.domain.enums import HazardAction, HazardCategory, HazardGrade, HazardStatus
from emergency.errors import InputError

if TYPE_CHECKING:
    from emergency.runtime import Runtime
    from emergency.services.hazards import HazardDetail, HazardInfo, HazardSummary, Paperwork, RecordedResult

inspection_app = typer.Typer(help="Inspection results (排查结果): record one, or import a day's results from the grid app.",
                             no_args_is_help=True)
hazard_app = typer.Typer(help="Hazards (隐患) from finding to 销号: list, show, extension (延期申请), fix, 复查验收.",
                         no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

TimeHelp = "ISO 8601 with offset, e.g. 2026-11-26T09:30:00+08:00; default now"
ByOption = Annotated[str, typer.Option("--by", help="Who takes this step (name).")]
AtOption = Annotated[str | None, typer.Option("--at", help=f"When, {TimeHelp}.")]
NoteOption = Annotated[str | None, typer.Option("--note", help="A remark kept with the step.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from emergency.timelines import parse_aware

    try:
        return parse_aware(value)
    except ValueError as exc:
        raise InputError("command line", option, str(exc)) from None


def _date_or_time(value: str, option: str) -> datetime:
    """A date is the end of that day in Asia/Shanghai; a time needs its offset."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        found = _time(value, option)
        assert found is not None
        return found
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=CN_TZ)


def deadline_local(at: datetime) -> str:
    """Return a deadline in Beijing time; the end of a day reads 2026-12-03 24:00."""
    local = to_local(at)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{(local - timedelta(days=1)):%Y-%m-%d} 24:00"
    return format_local(at)


def _paperwork(runtime: Runtime) -> Paperwork:
    from emergency.delivery_config import load_delivery
    from emergency.services.hazards import Paperwork

    settings = runtime.settings
    return Paperwork(load_delivery(settings.plans_dir), settings.district_recipient, settings.output_dir,
                     settings.templates_dir)


def _print_hazard_opened(summary: HazardSummary, district: str) -> None:
    from emergency.labels import HAZARD_GRADE_LABELS

    grade = HAZARD_GRADE_LABELS[HazardGrade(summary.grade)]
    out.print(f"  Hazard {summary.number} ({grade}): rectify by {deadline_local(summary.deadline)}; "
              f"整改通知书 {summary.notice_path} queued for the owner unit.", markup=False)
    if summary.reported_to_district_at is not None:
        out.print(f"  重大事故隐患: reported to {district} at {format_local(summary.reported_to_district_at)} "
                  "and 挂牌督办 until 销号.", markup=False)


def _print_recorded(result: RecordedResult, by: str, district: str) -> None:
    from emergency.domain.enums import InspectionResult
    from emergency.labels import INSPECTION_RESULT_LABELS

    label = INSPECTION_RESULT_LABELS[InspectionResult(result.result)]
    timing = "on time" if result.on_time else "late (after the period's end)"
    out.print(f"Recorded inspection {result.inspection_id} ({result.source_code}, {result.period_key}) by {by} at "
              f"{format_local(result.done_at)}: {label}, {timing}.", markup=False)
    for summary in result.hazards:
        _print_hazard_opened(summary, district)
    if result.hazards:
        out.print("Messages wait in the outbox: `emergency outbox deliver` sends them (emergency serve does it "
                  "every minute).", markup=False)


@inspection_app.command("record")
def inspection_record(
    inspection: Annotated[int | None, typer.Argument(help="The inspection's number (任务编号) from the leader's list.")] = None,
    source: Annotated[str | None, typer.Option(help="Or the source's code (风险点编号) …")] = None,
    period: Annotated[str | None, typer.Option(help="… and the period (2026-11, 2026-Q4, campaign:flood:2026-06 …) "
                                                    "when the source has more than one inspection waiting.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who inspected (检查人).")] = None,
    at: AtOption = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="An item checked (检查项目); repeatable.")] = None,
    passed: Annotated[bool, typer.Option("--passed", help="Nothing found (未发现隐患).")] = False,
    finding: Annotated[str | None, typer.Option("--finding", help="A hazard found: its description (隐患描述).")] = None,
    grade: Annotated[str | None, typer.Option(help="一般 or 重大 (general/major), 16号令第三条.")] = None,
    category: Annotated[str | None, typer.Option(help="人, 物, 环境 or 管理 (people/things/environment/management).")] = None,
    measures: Annotated[str | None, typer.Option(help="Rectification measures (整改措施).")] = None,
    responsible: Annotated[str | None, typer.Option(help="Who is responsible for the rectification (整改责任人).")] = None,
    deadline: Annotated[str | None, typer.Option(help="Rectify by this day (YYYY-MM-DD, to its end) or time; default "
                                                      "from plans/hazards.yaml by grade.")] = None,
    location: Annotated[str | None, typer.Option(help="Where exactly (隐患部位); default the source's location.")] = None,
    owner_unit: Annotated[str | None, typer.Option(help="The unit responsible (责任单位); default the source's.")] = None,
    photo: Annotated[list[str] | None, typer.Option("--photo", help="A photo file (现场照片); repeatable.")] = None,
    note: NoteOption = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Take the result from a JSON or YAML file "
                                                                   "(fields as in `inspection import` JSON).")] = None,
) -> None:
    """Record one inspection's result; a finding becomes a hazard with its 整改通知书 and rectification clock."""
    from emergency.plans.hazards import load_hazard_plan
    from emergency.runtime import open_runtime
    from emergency.services.hazards import ResultIn, record_result
    from emergency.services.incidents import get_office
    from emergency.timelines import load_document, validate_model

    raw: dict[str, Any] = {}
    if file is not None:
        data = load_document(file)
        if not isinstance(data, dict):
            raise InputError(str(file), None, "must hold one result: a mapping of fields to values")
        raw = dict(data)
    options = {"inspection": inspection, "source": source, "period": period, "by": by, "at": at, "note": note}
    raw.update({k: v for k, v in options.items() if v is not None})
    if item:
        raw["items"] = [*raw.get("items", []), *item]
    if photo:
        raw["photos"] = [*raw.get("photos", []), *photo]
    finding_options = {"grade": grade, "category": category, "measures": measures, "responsible_person": responsible,
                       "deadline": deadline, "location": location, "owner_unit": owner_unit}
    if passed and finding is not None:
        raise InputError("command line", "result", "give --passed or --finding, not both")
    if finding is not None:
        raw["result"] = "finding"
        described = {"description": finding, **{k: v for k, v in finding_options.items() if v is not None}}
        raw["findings"] = [*raw.get("findings", []), described]
    else:
        stray = next((k for k, v in finding_options.items() if v is not None), None)
        if stray is not None:
            raise InputError("command line", stray, "describes a finding: give it with --finding")
        if passed:
            raw["result"] = "passed"
    if "result" not in raw:
        raise InputError("command line", "result", "give --passed (未发现隐患) or --finding DESCRIPTION (发现隐患)")
    record = f"inspection {raw.get('inspection') or raw.get('source') or '(unnamed)'}"
    data_in = validate_model(ResultIn, raw, record)
    runtime = open_runtime(load_settings())
    plan = load_hazard_plan(runtime.settings.plans_dir)
    paperwork = _paperwork(runtime)
    base = file.resolve().parent if file is not None else Path.cwd()
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        result = record_result(session, office=office, plan=plan, data=data_in, now=runtime.now, paperwork=paperwork,
                               photos_base=base)
    _print_recorded(result, data_in.by, paperwork.district_recipient)


@inspection_app.command("import")
def inspection_import(
    file: Annotated[Path, typer.Argument(help="The grid app's export: .csv or .xlsx with the columns 任务编号 (or "
                                              "风险点编号), 检查人, 检查时间, 检查结果 (and 检查项目, 隐患描述, 隐患等级, "
                                              "隐患类别, 整改措施, 整改责任人, 整改期限, 现场照片, 备注), or .json.")],
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Store the good inspections and list the bad rows, "
                                                              "instead of storing nothing when a row is bad.")] = False,
) -> None:
    """Check every row of a day's results and store them all (or nothing); findings become hazards with notices."""
    from emergency.plans.hazards import load_hazard_plan
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.inspection_results import import_results

    runtime = open_runtime(load_settings())
    plan = load_hazard_plan(runtime.settings.plans_dir)
    paperwork = _paperwork(runtime)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        summary = import_results(session, office=office, plan=plan, path=file, now=runtime.now, paperwork=paperwork,
                                 skip_bad=skip_bad)
    for problem in summary.skipped:
        err.print(f"skipped: {file}, {problem}", markup=False)
    majors = sum(1 for h in summary.hazards if h.reported_to_district_at is not None)
    extra = f"; skipped {len(summary.skipped)} bad row(s)" if summary.skipped else ""
    out.print(f"Imported {summary.results} inspection results for {office.name}: {summary.passed} passed, "
              f"{summary.with_findings} with findings ({len(summary.hazards)} hazards, {majors} 重大 reported to the "
              f"district), {summary.unchanged} already recorded{extra}.", markup=False)
    for hazard in summary.hazards:
        _print_hazard_opened(hazard, paperwork.district_recipient)


# ---------------------------------------------------------------------------------------------------------------
# hazard …
# ---------------------------------------------------------------------------------------------------------------


def _status_of(text: str) -> HazardStatus | None:
    from emergency.labels import HAZARD_STATUS_LABELS
    from emergency.plans.roster import normalise_heading

    key = normalise_heading(text)
    return next((s for s in HazardStatus if key in {s.value, normalise_heading(HAZARD_STATUS_LABELS[s])}), None)


def _info_json(info: HazardInfo) -> dict[str, Any]:
    from emergency.clock import isoformat_local

    def iso(value: datetime | None) -> str | None:
        return isoformat_local(value) if value is not None else None

    return {"number": info.number, "description": info.description, "grade": info.grade, "category": info.category,
            "status": info.status, "deadline": iso(info.deadline), "overdue_days": info.overdue_days,
            "found_at": iso(info.found_at), "reported_by": info.reported_by, "source": info.source_code,
            "source_name": info.source_name, "community": info.community, "location": info.location,
            "owner_unit": info.owner_unit, "responsible_person": info.responsible_person, "measures": info.measures,
            "supervised": info.supervised, "reported_to_district_at": iso(info.reported_to_district_at),
            "fixed_reported_by": info.fixed_reported_by, "verified_by": info.verified_by,
            "closed_at": iso(info.closed_at), "notice_path": info.notice_path, "inspection": info.inspection_id}


@hazard_app.command("list")
def hazard_list(
    status: Annotated[str | None, typer.Option(help="Only this status: open, extension_requested, reported_fixed, "
                                                    "closed (or 整改中, 延期申请中, 待复查验收, 已销号).")] = None,
    grade: Annotated[str | None, typer.Option(help="Only this grade: 一般 or 重大 (general/major).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Include hazards already closed (销号).")] = False,
    as_json: JsonOption = False,
) -> None:
    """List hazards not yet 销号 (重大 and 挂牌督办 first), with deadline, status and days overdue."""
    from rich.table import Table
    from rich.text import Text

    from emergency.domain.hazards import WAITING
    from emergency.labels import HAZARD_CATEGORY_LABELS, HAZARD_GRADE_LABELS, HAZARD_STATUS_LABELS, SUPERVISED_MARK
    from emergency.plans.hazards import load_hazard_plan
    from emergency.runtime import open_runtime
    from emergency.services.hazards import list_hazards
    from emergency.services.incidents import get_office

    runtime = open_runtime(load_settings())
    plan = load_hazard_plan(runtime.settings.plans_dir)
    statuses: list[HazardStatus] | None = sorted(WAITING) if not everything else None
    if status is not None:
        found = _status_of(status)
        if found is None:
            raise InputError("command line", "status", f"{status!r} is not a status "
                                                       f"({', '.join(s.value for s in HazardStatus)})")
        statuses = [found]
    wanted = plan.grade_of(grade) if grade is not None else None
    if grade is not None and wanted is None:
        raise InputError("command line", "grade", f"{grade!r} is not a grade ({plan.grade_words()})")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        hazards = list_hazards(session, office=office, now=runtime.now, statuses=statuses, grade=wanted)
    if as_json:
        sys.stdout.write(json.dumps([_info_json(h) for h in hazards], ensure_ascii=False, indent=2) + "\n")
        return
    if not hazards:
        out.print(f"{office.name}: no hazards{'' if everything else ' waiting for 销号'}.", markup=False)
        return
    table = Table(title=Text(f"{office.name} 隐患清单（{len(hazards)}项）"))
    for column in ("编号", "等级", "隐患描述", "类别", "风险点", "社区", "责任单位", "整改期限", "状态", "逾期"):
        table.add_column(column, overflow="fold")
    for h in hazards:
        level = HAZARD_GRADE_LABELS[HazardGrade(h.grade)] + (f"（{SUPERVISED_MARK}）" if h.supervised else "")
        cells = (h.number, level, h.description, HAZARD_CATEGORY_LABELS[HazardCategory(h.category)],
                 f"{h.source_code or ''} {h.source_name or ''}".strip(), h.community or "", h.owner_unit,
                 deadline_local(h.deadline), HAZARD_STATUS_LABELS[HazardStatus(h.status)],
                 f"{h.overdue_days}天" if h.overdue_days else "")
        table.add_row(*(Text(cell) for cell in cells))  # recorded text is never rich markup
    out.print(table)


def _shown(value: object) -> str:
    """Return an event's detail value as shown: ISO times in Beijing time."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            return deadline_local(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _print_detail(detail: HazardDetail) -> None:
    from emergency.labels import (
        HAZARD_ACTION_LABELS,
        HAZARD_CATEGORY_LABELS,
        HAZARD_GRADE_LABELS,
        HAZARD_STATUS_LABELS,
        SUPERVISED_MARK,
    )

    h = detail.info
    grade = HAZARD_GRADE_LABELS[HazardGrade(h.grade)]
    if h.reported_to_district_at is not None:
        grade += f"（{SUPERVISED_MARK}，{format_local(h.reported_to_district_at)}报告区政府）"
    lines = [
        f"隐患 {h.number}  {grade}",
        f"状态：{HAZARD_STATUS_LABELS[HazardStatus(h.status)]}  整改期限：{deadline_local(h.deadline)}"
        + (f"（已逾期{h.overdue_days}天）" if h.overdue_days else ""),
        f"隐患描述：{h.description}",
        f"隐患类别：{HAZARD_CATEGORY_LABELS[HazardCategory(h.category)]}",
        f"风险点：{h.source_code or ''} {h.source_name or ''}  社区：{h.community or ''}  部位：{h.location}",
        f"责任单位：{h.owner_unit}  整改责任人：{h.responsible_person or '—'}",
        f"整改措施：{h.measures or '—'}",
        f"发现：{h.reported_by} {format_local(h.found_at)}" + (f"（排查任务 {h.inspection_id}）" if h.inspection_id else ""),
        f"整改通知书：{h.notice_path or '—'}",
        "经过：",
    ]
    for e in detail.events:
        label = HAZARD_ACTION_LABELS.get(HazardAction(e.action), e.action)
        extra = "，".join(f"{k}={_shown(v)}" for k, v in e.detail.items() if k not in ("outbox", "photos") and v)
        photos = e.detail.get("photos") or []
        if photos:
            extra += ("，" if extra else "") + f"照片{len(photos)}张"
        lines.append(f"  {format_local(e.at)}  {e.actor}  {label}" + (f"（{extra}）" if extra else ""))
    if detail.clocks:
        lines.append("时限：")
    for c in detail.clocks:
        lines.append(f"  {c.label} 时限 {deadline_local(c.due_at)}：{c.status}")
        lines += [f"    {step} {format_local(when)} → {to}" for step, when, to in c.steps]
    for line in lines:
        out.print(line, markup=False)


@hazard_app.command("show")
def hazard_show(
    number: Annotated[str, typer.Argument(help="The hazard's number, e.g. YH-2026-0001.")],
    as_json: JsonOption = False,
) -> None:
    """Show a hazard: what, where, grade, deadline, every step with who and when, and its clocks."""
    from emergency.clock import isoformat_local
    from emergency.runtime import open_runtime
    from emergency.services.hazards import hazard_detail
    from emergency.services.incidents import get_office

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        detail = hazard_detail(session, office=office, number=number, now=runtime.now)
    if as_json:
        document = _info_json(detail.info)
        document["events"] = [{"at": isoformat_local(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
                              for e in detail.events]
        document["clocks"] = [{"label": c.label, "due_at": isoformat_local(c.due_at), "status": c.status,
                               "steps": [{"step": s, "at": isoformat_local(t), "to": to} for s, t, to in c.steps]}
                              for c in detail.clocks]
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    _print_detail(detail)


def _step(number: str, action: HazardAction, by: str, at: str | None, *, until: datetime | None = None,
          reason: str | None = None, note: str | None = None, photos: list[str] | None = None) -> HazardSummary:
    from emergency.plans.hazards import load_hazard_plan
    from emergency.runtime import open_runtime
    from emergency.services.hazards import StepIn, take_step
    from emergency.services.incidents import get_office

    when = _time(at, "at")
    runtime = open_runtime(load_settings())
    plan = load_hazard_plan(runtime.settings.plans_dir)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        return take_step(session, office=office, plan=plan, number=number, now=runtime.now, photos_base=Path.cwd(),
                         step=StepIn(action, by, when, until, reason, note, tuple(photos or ())))


@hazard_app.command("extend")
def hazard_extend(
    number: Annotated[str, typer.Argument(help="The hazard's number.")],
    until: Annotated[str, typer.Option("--until", help="The new deadline asked for: a day (YYYY-MM-DD) or a time.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it cannot be finished in time (延期理由).")],
    by: ByOption,
    at: AtOption = None,
) -> None:
    """Record an extension request (延期申请); someone else approves or refuses it."""
    summary = _step(number, HazardAction.EXTENSION_REQUESTED, by, at, until=_date_or_time(until, "until"),
                    reason=reason)
    out.print(f"Hazard {summary.number}: extension to {deadline_local(_date_or_time(until, 'until'))} requested by "
              f"{by}; the deadline stays {deadline_local(summary.deadline)} until it is approved.", markup=False)


@hazard_app.command("approve-extension")
def hazard_approve_extension(
    number: Annotated[str, typer.Argument(help="The hazard's number.")], by: ByOption, at: AtOption = None,
    note: NoteOption = None,
) -> None:
    """Approve the pending extension request: the deadline moves and its clock with it."""
    summary = _step(number, HazardAction.EXTENSION_APPROVED, by, at, note=note)
    out.print(f"Hazard {summary.number}: extension approved by {by}; rectify by {deadline_local(summary.deadline)}.",
              markup=False)


@hazard_app.command("refuse-extension")
def hazard_refuse_extension(
    number: Annotated[str, typer.Argument(help="The hazard's number.")], by: ByOption, at: AtOption = None,
    note: NoteOption = None,
) -> None:
    """Refuse the pending extension request: the deadline stays."""
    summary = _step(number, HazardAction.EXTENSION_REFUSED, by, at, note=note)
    out.print(f"Hazard {summary.number}: extension refused by {by}; rectify by {deadline_local(summary.deadline)}.",
              markup=False)


@hazard_app.command("fix")
def hazard_fix(
    number: Annotated[str, typer.Argument(help="The hazard's number.")], by: ByOption, at: AtOption = None,
    note: NoteOption = None,
    photo: Annotated[list[str] | None, typer.Option("--photo", help="A photo of the fix; repeatable.")] = None,
) -> None:
    """Record that the hazard is reported fixed (整改完成); it waits for 复查验收 by someone else."""
    summary = _step(number, HazardAction.FIX_REPORTED, by, at, note=note, photos=photo)
    out.print(f"Hazard {summary.number}: reported fixed by {by}; waiting for 复查验收 by someone other than {by}.",
              markup=False)


@hazard_app.command("verify")
def hazard_verify(
    number: Annotated[str, typer.Argument(help="The hazard's number.")], by: ByOption,
    passed: Annotated[bool, typer.Option("--passed/--failed", help="The rectification passes (销号) or fails "
                                                                   "(back to 整改).")] = True,
    at: AtOption = None, note: NoteOption = None,
) -> None:
    """Verify the rectification (复查验收): passed closes the hazard (销号), failed reopens it."""
    action = HazardAction.VERIFIED if passed else HazardAction.REVERIFY_FAILED
    summary = _step(number, action, by, at, note=note)
    if passed:
        out.print(f"Hazard {summary.number}: verified by {by} and closed (销号).", markup=False)
    else:
        out.print(f"Hazard {summary.number}: verification by {by} failed; back to rectification, deadline "
                  f"{deadline_local(summary.deadline)}.", markup=False)
