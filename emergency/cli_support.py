"""`emergency support …`: ask the district for people, funds or materials (请示), record its answer and what arrives."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from emergency.clock import format_local, isoformat_local
from emergency.config import load_settings
from emergency.errors import InputError

if TYPE_CHECKING:
    from emergency.domain.support_requests import ItemProgress
    from emergency.services.support_requests import RequestInfo

support_app = typer.Typer(help="Support from the district (人、财、物支援请示): request, answer, arrivals, list, show.",
                          no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

TimeHelp = "ISO 8601 with offset, e.g. 2026-03-01T10:30:00+08:00; default now"
ByOption = Annotated[str, typer.Option("--by", help="Who does this (name).")]
AtOption = Annotated[str | None, typer.Option("--at", help=f"When, {TimeHelp}.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from emergency.timelines import parse_aware

    try:
        return parse_aware(value)
    except ValueError as exc:
        raise InputError("command line", option, str(exc)) from None


def _labels(kind: str, status: str) -> tuple[str, str]:
    from emergency.domain.enums import SupportKind, SupportStatus
    from emergency.labels import SUPPORT_KIND_LABELS, SUPPORT_STATUS_LABELS

    return SUPPORT_KIND_LABELS[SupportKind(kind)], SUPPORT_STATUS_LABELS[SupportStatus(status)]


def _line_text(line: ItemProgress) -> str:
    from emergency.domain.support_requests import plain

    got = f"{plain(line.received)}{line.unit}"
    if line.requested is None:
        return f"{line.what}：到位{got}（未在请示中）"
    return f"{line.what}：请求{plain(line.requested)}{line.unit}，到位{got}" + (
        f"，尚缺{plain(line.outstanding)}{line.unit}" if line.outstanding else "，已全部到位")


def _line_short(line: ItemProgress) -> str:
    from emergency.domain.support_requests import plain

    asked = "" if line.requested is None else f"/{plain(line.requested)}"
    return f"{line.what} {plain(line.received)}{asked}{line.unit}"


@support_app.command("request")
def support_request(
    incident: Annotated[str, typer.Option("--incident", help="The incident the support is for (reference or number).")],
    kind: Annotated[str, typer.Option("--kind", help="people, funds or materials (人员, 资金, 物资).")],
    item: Annotated[list[str], typer.Option("--item", help="What, how many, which unit: 编织袋:5000:条 (repeatable).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the office needs it (请示理由).")],
    by: Annotated[str, typer.Option("--by", help="Who makes the request and signs the 请示 (签发人).")],
    due_in: Annotated[str | None, typer.Option("--due-in", help="Answer wanted within: 2h, 30m, 1d (default from "
                                                                "plans/support.yaml by kind).")] = None,
) -> None:
    """Write a 请示 to the district, queue it, and start the clock on its answer."""
    from emergency.delivery_config import load_delivery
    from emergency.plans.support import load_support_plan
    from emergency.reporting.notices import deadline_text
    from emergency.runtime import open_runtime
    from emergency.services.hazards import Paperwork
    from emergency.services.incidents import get_office
    from emergency.services.support_requests import RequestIn, request_support
    from emergency.timelines import validate_model

    runtime = open_runtime(load_settings())
    settings = runtime.settings
    plan = load_support_plan(settings.plans_dir)
    data = validate_model(RequestIn, {"incident": incident, "kind": kind, "items": item, "reason": reason, "by": by,
                                      "due_in": due_in}, f"support request for incident {incident}")
    paperwork = Paperwork(load_delivery(settings.plans_dir), plan.addressed_to, settings.output_dir,
                          settings.templates_dir)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=settings.office)
        summary = request_support(session, office=office, plan=plan, data=data, now=runtime.now, paperwork=paperwork)
    kind_label, _ = _labels(summary.kind, summary.status)
    where = "the drill folder only (演练; never to the district)" if summary.drill else plan.addressed_to
    out.print(f"Support request {summary.number} ({summary.document_number}, {kind_label}) for incident "
              f"{summary.incident}: 请示 {summary.document_path} queued for {where}.", markup=False)
    out.print(f"Answer wanted by {deadline_text(summary.due_at)} ({format_local(summary.due_at)}); the clocks remind "
              f"and escalate until `emergency support answer {summary.number}` records it.", markup=False)


@support_app.command("answer")
def support_answer(
    number: Annotated[str, typer.Argument(help="The request's number, e.g. ZY-2026-0001.")],
    status: Annotated[str, typer.Option("--status", help="answered, partly or refused (批复: 同意, 部分同意, 不予支持).")],
    answer: Annotated[str, typer.Option("--answer", help="What the district answered (批复内容).")],
    by: ByOption,
    at: AtOption = None,
) -> None:
    """Record the district's answer; the first answer stops the request's clock."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.support_requests import ANSWER_WORDS, answer_request

    wanted = ANSWER_WORDS.get(status.strip().lower())
    if wanted is None:
        raise InputError("command line", "status", f"{status!r} is not an answer (answered, partly or refused)")
    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        summary = answer_request(session, office=office, number=number, status=wanted, answer=answer, by=by,
                                 at=_time(at, "at"), now=runtime.now)
    _, status_label = _labels(summary.kind, summary.status)
    out.print(f"Support request {summary.number}: {status_label} (recorded by {by}).", markup=False)


@support_app.command("arrive")
def support_arrive(
    number: Annotated[str, typer.Argument(help="The request's number, e.g. ZY-2026-0001.")],
    what: Annotated[str, typer.Option("--what", help="What arrived (as the request named it, to count it).")],
    by: ByOption,
    quantity: Annotated[str | None, typer.Option("--quantity", help="How many (omit for e.g. a team).")] = None,
    unit: Annotated[str, typer.Option("--unit", help="The unit (条, 人, 万元 …).")] = "",
    at: AtOption = None,
    note: Annotated[str, typer.Option("--note", help="A remark (e.g. where it was put).")] = "",
) -> None:
    """Record what arrived against a request and who received it; show received against requested."""
    from emergency.domain.support_requests import parse_quantity
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.support_requests import record_arrival

    amount: Decimal | None = None
    if quantity is not None:
        try:
            amount = parse_quantity(quantity)
        except ValueError as exc:
            raise InputError(f"support request {number}", "quantity", str(exc)) from None
    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        summary = record_arrival(session, office=office, number=number, what=what, quantity=amount, unit=unit, by=by,
                                 at=_time(at, "at"), now=runtime.now, note=note)
    out.print(f"Support request {summary.number}: arrived, received by {by}. {_line_text(summary.line)}.",
              markup=False)
    if summary.status == "closed":
        out.print("Everything asked for has arrived: the request is closed (已办结).", markup=False)


def _info_json(info: RequestInfo) -> dict[str, Any]:
    from emergency.domain.support_requests import plain

    def iso(at: datetime | None) -> str | None:
        return isoformat_local(at) if at else None

    return {"number": info.number, "document_number": info.document_number, "incident": info.incident,
            "incident_title": info.incident_title, "kind": info.kind, "status": info.status, "drill": info.drill,
            "reason": info.reason, "addressed_to": info.addressed_to, "requested_at": iso(info.requested_at),
            "requested_by": info.requested_by, "due_at": iso(info.due_at), "overdue": info.overdue,
            "answered_at": iso(info.answered_at), "answered_by": info.answered_by, "answer": info.answer,
            "closed_at": iso(info.closed_at), "document": info.document_path,
            "items": [{"what": line.what, "unit": line.unit,
                       "requested": None if line.requested is None else plain(line.requested),
                       "received": plain(line.received), "outstanding": plain(line.outstanding),
                       "arrivals": line.arrivals} for line in info.lines]}


@support_app.command("list")
def support_list(
    incident: Annotated[str | None, typer.Option("--incident", help="Only this incident's requests.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only requests still open (unanswered, or waiting for "
                                                           "what was granted).")] = False,
    as_json: JsonOption = False,
) -> None:
    """List support requests, newest first: kind, status, answer deadline, received against requested."""
    from rich.table import Table
    from rich.text import Text

    from emergency.reporting.notices import deadline_text
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.support_requests import list_requests

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        infos = list_requests(session, office=office, now=runtime.now, incident=incident, open_only=open_only)
    if as_json:
        sys.stdout.write(json.dumps([_info_json(i) for i in infos], ensure_ascii=False, indent=2) + "\n")
        return
    if not infos:
        out.print(f"{office.name}: no support requests{' open' if open_only else ''}.", markup=False)
        return
    table = Table(title=Text(f"{office.name} 支援请示（{len(infos)}件）"))
    for column in ("编号", "事件", "类别", "请示时间", "答复时限", "状态", "到位/请求"):
        table.add_column(column, overflow="fold")
    for i in infos:
        kind_label, status_label = _labels(i.kind, i.status)
        if i.overdue:
            status_label += "（超时未答复）"
        if i.drill:
            status_label += "（演练）"
        cells = (i.number, f"{i.incident} {i.incident_title}", kind_label, format_local(i.requested_at),
                 deadline_text(i.due_at), status_label, "；".join(_line_short(line) for line in i.lines))
        table.add_row(*(Text(cell) for cell in cells))  # recorded text is never rich markup
    out.print(table)


@support_app.command("show")
def support_show(
    number: Annotated[str, typer.Argument(help="The request's number, e.g. ZY-2026-0001.")],
    as_json: JsonOption = False,
) -> None:
    """Show a request: what was asked and why, the answer, every arrival, received against requested, its clock."""
    from emergency.domain.support_requests import plain
    from emergency.reporting.notices import deadline_text
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.support_requests import request_detail

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        detail = request_detail(session, office=office, number=number, now=runtime.now)
    info = detail.info
    if as_json:
        document = _info_json(info)
        document["arrivals"] = [{"at": isoformat_local(a.at), "what": a.what,
                                 "quantity": None if a.quantity is None else plain(a.quantity), "unit": a.unit,
                                 "received_by": a.received_by, "note": a.note} for a in detail.arrivals]
        document["clock"] = {"status": detail.clock_status,
                             "steps": [{"step": s, "at": isoformat_local(t), "to": to}
                                       for s, t, to in detail.clock_steps]}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    kind_label, status_label = _labels(info.kind, info.status)
    lines = [
        f"支援请示 {info.number}（{info.document_number}）{'【演练】' if info.drill else ''}",
        f"事件：{info.incident} {info.incident_title}",
        f"类别：{kind_label}  主送：{info.addressed_to}",
        f"请示：{info.requested_by} {format_local(info.requested_at)}  理由：{info.reason}",
        f"答复时限：{deadline_text(info.due_at)}" + ("（已超时）" if info.overdue else ""),
        f"状态：{status_label}" + (f"（{format_local(info.closed_at)}办结）" if info.closed_at else ""),
        f"请示文件：{info.document_path or '—'}",
        "答复：" + (info.answer.replace("\n", "；") if info.answer else "尚未答复"),
        "请求与到位：",
        *(f"  {_line_text(line)}" for line in info.lines),
    ]
    if detail.arrivals:
        lines.append("到位记录：")
    for a in detail.arrivals:
        amount = f"{plain(a.quantity)}{a.unit}" if a.quantity is not None else ""
        lines.append(f"  {format_local(a.at)}  {a.what} {amount}  接收人：{a.received_by}"
                     + (f"（{a.note}）" if a.note else ""))
    lines.append(f"答复时限提醒：{detail.clock_status or '—'}")
    lines += [f"  {step} {format_local(when)} → {to}" for step, when, to in detail.clock_steps]
    for line in lines:
        out.print(line, markup=False)
