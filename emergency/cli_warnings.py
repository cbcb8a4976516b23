"""`emergency warning …`: import upstream CAP 1.2 warnings, issue/update/lift the office's own, list, show, export."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from emergency.config import load_settings
from emergency.errors import EmergencyError, InputError, RulesError

if TYPE_CHECKING:
    from collections.abc import Callable

    from emergency.db.models import WarningRow
    from emergency.plans.schema import Street
    from emergency.plans.warnings import WarningPlan
    from emergency.runtime import Runtime
    from emergency.services.warnings import ImportContext, ImportOutcome

warning_app = typer.Typer(
    help="Early warnings (预警): import upstream CAP 1.2 messages, issue the office's own, export them as CAP 1.2.",
    no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger(__name__)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ByOption = Annotated[str, typer.Option("--by", help="Who takes this step (name).")]
LEVELS = "blue, yellow, orange, red (蓝/黄/橙/红)"
IMPORT_BATCH = 100
"""Sources imported per transaction by `warning import`."""


def _time(value: str | None, option: str) -> datetime | None:
    from emergency.timelines import parse_aware

    if value is None:
        return None
    try:
        return parse_aware(value)
    except ValueError as exc:
        raise InputError("command line", option, str(exc)) from None


def _level(value: str | None) -> Any:
    from emergency.domain.enums import WarningLevel

    if value is None:
        return None
    aliases = {"蓝": "blue", "蓝色": "blue", "黄": "yellow", "黄色": "yellow", "橙": "orange", "橙色": "orange",
               "红": "red", "红色": "red"}
    try:
        return WarningLevel(aliases.get(value.strip(), value.strip().lower()))
    except ValueError:
        raise InputError("command line", "--level", f"{value!r} is not a colour level ({LEVELS})") from None


def _context(runtime: Runtime) -> tuple[WarningPlan, Street]:
    from emergency.plans.schema import load_street
    from emergency.plans.warnings import load_warning_plan

    plan = load_warning_plan(runtime.settings.plans_dir)
    street_path = runtime.settings.plans_dir / "street.yaml"
    street = load_street(street_path)
    if street.area is None:
        raise RulesError(str(street_path), "area", "the office's area is needed to match and export warnings")
    if street.publisher is None:
        raise RulesError(str(street_path), "publisher", "the office's CAP identity is needed to issue warnings")
    return plan, street


@warning_app.command("import")
def warning_import(
    sources: Annotated[list[str], typer.Argument(help="CAP 1.2 files or URLs, or Atom/RSS feeds of them.")],
    as_json: JsonOption = False,
) -> None:
    """Import CAP 1.2 messages: validate, match the office's area, and issue, update or lift warnings.

    Each message is reported (action and why, or the error); one bad file never stops the others.
    Exit code 0 when every message was read (ignored ones included), 1 when any failed.
    """
    from emergency.adapters.cap_feeds import FetchError, is_url, make_fetcher
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warnings import ImportContext

    runtime = open_runtime(load_settings())
    plan, street = _context(runtime)
    assert street.area is not None and street.publisher is not None
    context = ImportContext(plan=plan, area=street.area, own_senders=frozenset({street.publisher.cap_sender}))
    fetch_url = make_fetcher()

    def fetch(target: str) -> bytes:
        if is_url(target):
            return fetch_url(target)
        try:
            return Path(target).read_bytes()
        except OSError as exc:
            raise FetchError(f"{target}: cannot be read ({exc.strerror or exc})") from None

    with runtime.sessions.begin() as session:
        office_id = get_office(session, name=runtime.settings.office).id
    outcomes: list[ImportOutcome] = []
    # A transaction per IMPORT_BATCH sources, so a long list does not pay a commit per file. The fast path takes no
    # savepoints; if anything in a batch fails unexpectedly, the batch rolls back and is imported again with one
    # savepoint per message, so that message is reported and the others are stored.
    for start in range(0, len(sources), IMPORT_BATCH):
        batch: list[tuple[str, bytes | EmergencyError]] = []
        for source in sources[start:start + IMPORT_BATCH]:  # read before the transaction: no lock held meanwhile
            try:
                batch.append((source, fetch(source)))
            except EmergencyError as exc:
                batch.append((source, exc))
        try:
            outcomes.extend(_import_batch(runtime, office_id, context, fetch, batch, isolate=False))
        except Exception:
            log.warning("a batch of %d sources failed as a whole; importing it message by message", len(batch),
                        exc_info=True)
            outcomes.extend(_import_batch(runtime, office_id, context, fetch, batch, isolate=True))
    if as_json:
        _write_utf8(json.dumps([o.as_json() for o in outcomes], ensure_ascii=False, indent=2) + "\n")
    else:
        for o in outcomes:
            if o.error is not None:
                out.print(f"{o.file}: error: {o.error}", markup=False)
            else:
                level = f" {o.colour_level}" if o.colour_level else ""
                warning = f" → warning {o.warning_id}" if o.warning_id else ""
                out.print(f"{o.file}: {o.msg_type} {o.identifier} ({o.status}{level}): {o.action}{warning} — "
                          f"{o.reason}", markup=False)
    failed = sum(1 for o in outcomes if o.error is not None)
    if not as_json:
        out.print(f"{len(outcomes)} message(s), {failed} failed.", markup=False)
    _pass_down(runtime, plan, street, quiet=as_json)
    if failed:
        raise typer.Exit(1)


@warning_app.command("issue")
def warning_issue(
    warning_type: Annotated[str, typer.Option("--type", help="Warning type key (plans/warning-levels.yaml), "
                                                           "e.g. rainstorm, waterlogging, gas_leak.")],
    level: Annotated[str, typer.Option("--level", help=f"Colour level: {LEVELS}.")],
    headline: Annotated[str | None, typer.Option("--headline", help="Default: 〈office〉发布〈type〉〈colour〉预警.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Default: the signal's standard.")] = None,
    instruction: Annotated[str | None, typer.Option("--instruction", help="Default: the plan's checklist.")] = None,
    area_desc: Annotated[str | None, typer.Option("--area-desc", help="Default: the office's area.")] = None,
    onset: Annotated[str | None, typer.Option("--onset", help="ISO 8601 with offset; default now.")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="ISO 8601 with offset.")] = None,
    drill: Annotated[bool, typer.Option("--drill", help="A drill (演练): exported with status Exercise.")] = False,
    by: ByOption = "值班员",
    as_json: JsonOption = False,
) -> None:
    """Issue a warning of the office's own, with a GB/T 35965.1 identifier."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warnings import issue_warning

    runtime = open_runtime(load_settings())
    plan, street = _context(runtime)
    assert street.area is not None and street.publisher is not None
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        warning = issue_warning(session, office=office, plan=plan, publisher=street.publisher, area=street.area,
                                warning_type=warning_type, level=_level(level), now=runtime.now, actor=by,
                                headline=headline, description=description, instruction=instruction,
                                area_desc=area_desc, onset=_time(onset, "--onset"), expires=_time(expires, "--expires"),
                                drill=drill)
        _print_warning(warning, plan, as_json)
    _pass_down(runtime, plan, street, quiet=as_json)


@warning_app.command("update")
def warning_update(
    warning_id: Annotated[int, typer.Argument(help="The warning's number.")],
    level: Annotated[str | None, typer.Option("--level", help=f"New colour level: {LEVELS}.")] = None,
    headline: Annotated[str | None, typer.Option("--headline")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    instruction: Annotated[str | None, typer.Option("--instruction")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="ISO 8601 with offset.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded with the change).")] = "",
    by: ByOption = "值班员",
    as_json: JsonOption = False,
) -> None:
    """Raise, lower, reword or extend one of the office's own active warnings (a new version, exported as Update)."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warnings import update_warning

    runtime = open_runtime(load_settings())
    plan, street = _context(runtime)
    assert street.publisher is not None
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        warning = update_warning(session, office=office, warning_id=warning_id, plan=plan, publisher=street.publisher,
                                 now=runtime.now, actor=by, level=_level(level), headline=headline,
                                 description=description, instruction=instruction,
                                 expires=_time(expires, "--expires"), reason=reason)
        _print_warning(warning, plan, as_json)
    _pass_down(runtime, plan, street, quiet=as_json)


@warning_app.command("lift")
def warning_lift(
    warning_id: Annotated[int, typer.Argument(help="The warning's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    cancel: Annotated[bool, typer.Option("--cancel", help="Withdraw it as issued in error (撤销), not 解除.")] = False,
    by: ByOption = "值班员",
    as_json: JsonOption = False,
) -> None:
    """Lift (解除) an active warning; own warnings get a Cancel version for export."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warnings import lift_warning

    runtime = open_runtime(load_settings())
    plan, street = _context(runtime)
    assert street.publisher is not None
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        warning = lift_warning(session, office=office, warning_id=warning_id, publisher=street.publisher,
                               now=runtime.now, actor=by, reason=reason, cancelled=cancel)
        _print_warning(warning, plan, as_json)
    _pass_down(runtime, plan, street, quiet=as_json)


@warning_app.command("list")
def warning_list(
    status: Annotated[str | None, typer.Option("--status", help="active, lifted or cancelled.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the office's warnings, newest first."""
    from emergency.domain.enums import WarningStatus
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warnings import list_warnings

    try:
        wanted = WarningStatus(status) if status else None
    except ValueError:
        raise InputError("command line", "--status", f"{status!r} is not active, lifted or cancelled") from None
    runtime = open_runtime(load_settings())
    plan, _street = _context(runtime)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        rows = list_warnings(session, office=office, status=wanted)
        if as_json:
            out.print(json.dumps([warning_document(w, plan, events=False) for w in rows], ensure_ascii=False,
                                 indent=2), markup=False)
            return
        if not rows:
            out.print("No warnings.", markup=False)
        for w in rows:
            out.print(_line(w, plan), markup=False)


@warning_app.command("show")
def warning_show(
    warning_id: Annotated[int, typer.Argument(help="The warning's number.")],
    as_json: JsonOption = False,
) -> None:
    """Show one warning: its level, text, history, the plan's checklist for its type and level, and its pass-down
    (转发到位率: per community and grid who received the latest notice, who acknowledged, when and by whom)."""
    from emergency.cli_warning_notices import show_with_receipts
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warnings import get_warning

    runtime = open_runtime(load_settings())
    plan, _street = _context(runtime)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        show_with_receipts(session, warning=get_warning(session, office=office, warning_id=warning_id), plan=plan,
                           as_json=as_json)


@warning_app.command("export")
def warning_export(
    warning_id: Annotated[int, typer.Argument(help="The warning's number (an own or monitoring warning).")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the CAP XML here instead of stdout.")] = None,
) -> None:
    """Export the latest version of an own warning as CAP 1.2 (Alert, Update or Cancel), validated against the XSD."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warnings import export_warning

    runtime = open_runtime(load_settings())
    plan, street = _context(runtime)
    assert street.area is not None
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        data = export_warning(session, office=office, warning_id=warning_id, plan=plan, area=street.area)
    if out_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(data)
    out.print(f"Wrote {out_file} ({len(data)} bytes).", markup=False)


def _write_utf8(text: str) -> None:
    """Write *text* to stdout as UTF-8 whatever the locale (scripts parse the JSON); text streams as they are."""
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        sys.stdout.write(text)
        return
    binary.write(text.encode("utf-8"))
    binary.flush()


def _import_batch(runtime: Runtime, office_id: int, context: ImportContext, fetch: Callable[[str], bytes],
                  batch: list[tuple[str, bytes | EmergencyError]], *, isolate: bool) -> list[ImportOutcome]:
    """Import one batch of read sources in one transaction."""
    from emergency.db.models import Office
    from emergency.services.warnings import ImportOutcome, import_document

    done: list[ImportOutcome] = []
    with runtime.sessions.begin() as session:
        office = session.get_one(Office, office_id)
        for source, data in batch:
            if isinstance(data, EmergencyError):
                done.append(ImportOutcome(file=source, error=str(data)))
                continue
            done.extend(import_document(session, office=office, data=data, source=source, now=runtime.now,
                                        context=context, fetch=fetch, isolate=isolate))
    return done


def _pass_down(runtime: Runtime, plan: WarningPlan, street: Street, *, quiet: bool) -> None:
    """Pass down to communities and grids what the command changed (emergency.cli_warning_notices)."""
    from emergency.cli_warning_notices import after_change

    after_change(runtime, plan, street, quiet=quiet)


def warning_document(warning: WarningRow, plan: WarningPlan, *, events: bool = True) -> dict[str, Any]:
    """Return a warning as a JSON document (times ISO 8601 in Asia/Shanghai)."""
    from emergency.clock import isoformat_local
    from emergency.domain.enums import WarningLevel

    def local(at: datetime | None) -> str | None:
        return isoformat_local(at) if at else None

    document: dict[str, Any] = {
        "id": warning.id, "origin": warning.origin, "type": warning.warning_type, "event": warning.event,
        "level": warning.level, "status": warning.status, "real": warning.real, "drill": warning.drill,
        "identifier": warning.identifier, "sender": warning.sender, "headline": warning.headline,
        "area_desc": warning.area_desc, "onset": local(warning.onset), "expires": local(warning.expires),
        "issued_at": local(warning.issued_at), "updated_at": local(warning.updated_at),
        "lifted_at": local(warning.lifted_at), "lift_reason": warning.lift_reason,
        "monitoring_point_id": warning.monitoring_point_id,
    }
    if events:
        document["description"], document["instruction"] = warning.description, warning.instruction
        document["events"] = [{"at": local(e.at), "action": e.action, "level": e.level, "identifier": e.identifier,
                               "actor": e.actor, "reason": e.reason} for e in warning.events]
        document["checklist"] = [{"text": i.text, "owner": i.owner_zh, "within_minutes": i.within_minutes}
                                 for i in plan.checklist(warning.warning_type, WarningLevel(warning.level))] \
            if warning.level else []
    return document


def _line(warning: WarningRow, plan: WarningPlan) -> str:
    from emergency.clock import format_local
    from emergency.domain.enums import WarningLevel, WarningOrigin, WarningStatus
    from emergency.labels import WARNING_LEVEL_LABELS, WARNING_ORIGIN_LABELS, WARNING_STATUS_LABELS

    colour = WARNING_LEVEL_LABELS[WarningLevel(warning.level)] if warning.level else "无颜色等级"
    return (f"{warning.id:>4}  {format_local(warning.issued_at)}  {WARNING_STATUS_LABELS[WarningStatus(warning.status)]}"
            f"  {colour}  {WARNING_ORIGIN_LABELS[WarningOrigin(warning.origin)]}  {warning.headline}"
            + ("（演练）" if warning.drill else ""))


def _print_warning(warning: WarningRow, plan: WarningPlan, as_json: bool) -> None:
    from emergency.clock import format_local

    document = warning_document(warning, plan)
    if as_json:
        out.print(json.dumps(document, ensure_ascii=False, indent=2), markup=False)
        return
    out.print(_line(warning, plan), markup=False)
    if warning.identifier:
        out.print(f"      identifier {warning.identifier}", markup=False)
    if warning.expires:
        out.print(f"      expires {format_local(warning.expires)}", markup=False)
    for event in warning.events:
        out.print(f"      {format_local(event.at)}  {event.action}  {event.level or ''}  {event.actor}  {event.reason}",
                  markup=False)
    for n, item in enumerate(document.get("checklist", []), start=1):
        within = f"，{item['within_minutes']}分钟内" if item["within_minutes"] else ""
        out.print(f"      {n}. {item['text']}（{item['owner']}{within}）", markup=False)
