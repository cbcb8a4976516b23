"""`emergency warning ack|ack-server|pass-down`, and the 转发到位率 that `warning show` prints: passing warnings down to
communities and grids and their acknowledgement (签收). Adds its commands to `emergency.cli_warnings.warning_app`."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emergency.cli_warnings import _context, err, out, warning_app, warning_document
from emergency.config import load_settings
from emergency.errors import EmergencyError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from emergency.db.models import WarningRow
    from emergency.plans.schema import Street
    from emergency.plans.warnings import WarningPlan
    from emergency.runtime import Runtime
    from emergency.services.warning_notices import NoticeSummary, Receipts

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def pass_down_now(runtime: Runtime, plan: WarningPlan, street: Street, *,
                  warning_id: int | None = None) -> list[NoticeSummary]:
    """In one unit of work: bring the street's communities and grids up to date from plans/street.yaml, then pass
    down one warning's latest step, or every warning with a step not yet passed down."""
    from emergency.services.incidents import get_office
    from emergency.services.organisation import load_street_into
    from emergency.services.warning_notices import pass_down, pass_down_all, setup_from_settings

    setup = setup_from_settings(runtime.settings, plan)
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        if warning_id is None:
            return pass_down_all(session, office=office, street=street, setup=setup, now=runtime.now)
        load_street_into(session, office=office, street=street)
        return pass_down(session, office=office, warning_id=warning_id, setup=setup, now=runtime.now)


def after_change(runtime: Runtime, plan: WarningPlan, street: Street, *, quiet: bool = False) -> None:
    """Pass down what a command just changed, in its own unit of work after the change was stored.

    The warning is kept even when passing it down fails (a template or route problem): the command then says so
    and exits 1, and `emergency warning pass-down` catches up once the cause is fixed.
    """
    try:
        created = pass_down_now(runtime, plan, street)
    except (EmergencyError, OSError) as exc:  # OSError: the output folder cannot be written
        err.print(f"error: the warning is recorded but was not passed down: {exc}; fix it, then run "
                  "`emergency warning pass-down`", markup=False)
        raise typer.Exit(1) from None
    if not quiet:
        print_passed_down(created)


def print_passed_down(created: Sequence[NoticeSummary]) -> None:
    """Print one line per warning step passed down: to how many, with which 发文字号 and deadline."""
    from emergency.clock import format_local

    steps: dict[tuple[int, int], list[NoticeSummary]] = {}
    for notice in created:
        steps.setdefault((notice.warning_id, notice.event_id), []).append(notice)
    for (warning_id, _event), notices in steps.items():
        first = notices[0]
        grids = sum(1 for n in notices if n.recipient_kind == "grid")
        link = "with signed 签收 links" if first.ack_url else "without links (EMERGENCY_ACK_SECRET unset: 签收 by phone)"
        out.print(f"Passed down warning {warning_id} ({first.action}) as {first.document_number} to "
                  f"{len(notices) - grids} communities and {grids} grids, {link}; 签收 due "
                  f"{format_local(first.ack_due)}.", markup=False)


@warning_app.command("pass-down")
def warning_pass_down(
    warning_id: Annotated[int | None, typer.Argument(help="One warning; default: every warning with a step not "
                                                          "yet passed down.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Pass warnings down to the communities and grids they concern (预警信息通知 and robot message, via the outbox)."""
    from emergency.clock import isoformat_local
    from emergency.runtime import open_runtime

    runtime = open_runtime(load_settings())
    plan, street = _context(runtime)
    created = pass_down_now(runtime, plan, street, warning_id=warning_id)
    if as_json:
        sys.stdout.write(json.dumps([{
            "notice": n.id, "warning": n.warning_id, "event": n.event_id, "step": n.action,
            "recipient_kind": n.recipient_kind, "recipient": n.recipient_name, "document_number": n.document_number,
            "docx": n.docx_path, "outbox": list(n.outbox_ids), "ack_due": isoformat_local(n.ack_due),
            "ack_url": n.ack_url} for n in created], ensure_ascii=False, indent=2) + "\n")
        return
    if not created:
        out.print("Nothing to pass down.", markup=False)
    print_passed_down(created)


@warning_app.command("ack")
def warning_ack(
    warning_id: Annotated[int, typer.Argument(help="The warning's number.")],
    recipient: Annotated[str, typer.Option("--recipient", help="The community or grid: code (ZY01-01), name "
                                                               "(正阳社区第一网格) or the grid's 网格长.")],
    by: Annotated[str, typer.Option("--by", help="Who acknowledged (签收人).")],
    as_json: JsonOption = False,
) -> None:
    """Record that a community or grid acknowledged (签收) the warning's latest notice to it; a repeat changes nothing."""
    from emergency.clock import format_local, isoformat_local
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.warning_notices import acknowledge

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        result = acknowledge(session, office=office, warning_id=warning_id, recipient=recipient, by=by,
                             now=runtime.now)
    if as_json:
        sys.stdout.write(json.dumps({
            "warning": result.warning_id, "notice": result.notice_id, "step": result.step,
            "recipient": result.recipient_name, "acknowledged_at": isoformat_local(result.acknowledged_at),
            "acknowledged_by": result.acknowledged_by, "channel": result.channel, "duplicate": result.duplicate},
            ensure_ascii=False, indent=2) + "\n")
        return
    if result.duplicate:
        out.print(f"Warning {warning_id}: {result.recipient_name} had already acknowledged at "
                  f"{format_local(result.acknowledged_at)} ({result.acknowledged_by}); nothing changed.", markup=False)
    else:
        out.print(f"Warning {warning_id}: {result.recipient_name} acknowledged at {format_local(result.acknowledged_at)} "
                  f"by {result.acknowledged_by}.", markup=False)


@warning_app.command("ack-server")
def warning_ack_server(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on (behind the office's HTTPS proxy).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 8765,
) -> None:
    """Serve the signed 签收 links of the notices (GET shows the notice, POST records the acknowledgement) until stopped.

    The links point at EMERGENCY_ACK_BASE_URL; EMERGENCY_ACK_SECRET must be the secret they were signed with.
    """
    import signal

    from emergency.ack_server import start_ack_server
    from emergency.runtime import open_runtime

    runtime = open_runtime(load_settings())
    settings = runtime.settings
    secret = settings.ack_secret.get_secret_value() if settings.ack_secret is not None else ""
    if not secret:
        raise EmergencyError("EMERGENCY_ACK_SECRET is not set: the links cannot be checked without it")
    server = start_ack_server(runtime.sessions, secret=secret, clock=settings.clock().now,
                              templates_dir=settings.templates_dir, host=host, port=port)

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    out.print(f"Acknowledgement server listening on {server.url} (links: {settings.ack_base_url}ack/…); Ctrl-C stops.",
              markup=False)
    sys.stdout.flush()
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    recorded, refused = server.counts()
    out.print(f"Stopped: {recorded} acknowledgement(s) recorded, {refused} link(s) refused.", markup=False)


def show_with_receipts(session: Session, *, warning: WarningRow, plan: WarningPlan, as_json: bool) -> None:
    """Print a warning (as `warning show` does) with its pass-down: per recipient who received the latest notice,
    who acknowledged, when and by whom, and the rates (received/total, acknowledged/total)."""
    from emergency.cli_warnings import _print_warning
    from emergency.db.models import Office
    from emergency.services.warning_notices import receipts_document, warning_receipts

    office = session.get(Office, warning.office_id)
    assert office is not None
    receipts = warning_receipts(session, office=office, warning_id=warning.id)
    if as_json:
        document = warning_document(warning, plan)
        document["pass_down"] = receipts_document(receipts)
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    _print_warning(warning, plan, False)
    print_receipts(receipts)


def print_receipts(receipts: Receipts) -> None:
    """Print the 转发到位率 and one line per recipient."""
    from emergency.clock import format_local
    from emergency.domain.enums import AckChannel, RecipientKind
    from emergency.labels import ACK_CHANNEL_LABELS, RECIPIENT_KIND_LABELS
    from emergency.reporting.contexts import format_rate

    rate = receipts.rates
    if not rate.total:
        out.print("      转发到位率: not passed down to anyone yet.", markup=False)
        return
    out.print(f"      转发到位率: received {rate.received}/{rate.total} ({format_rate(rate.received, rate.total)}), "
              f"acknowledged {rate.acknowledged}/{rate.total} ({format_rate(rate.acknowledged, rate.total)})",
              markup=False)
    for r in receipts.recipients:
        latest = r.latest
        who = f"{RECIPIENT_KIND_LABELS[RecipientKind(r.kind)]} {r.code} {r.name}" + (f"（{r.contact}）" if r.contact else "")
        sent = f"sent {format_local(latest.sent_at)}" if latest.sent_at else "not delivered yet"
        if latest.acknowledged_at is not None:
            channel = ACK_CHANNEL_LABELS[AckChannel(latest.ack_channel)] if latest.ack_channel else ""
            ack = f"acknowledged {format_local(latest.acknowledged_at)} by {latest.acknowledged_by} ({channel})"
        else:
            due = f" (due {format_local(latest.ack_due)})" if latest.ack_due else ""
            ack = f"NOT acknowledged{due}"
            if latest.escalations:
                ack += "; chased: " + ", ".join(f"{step} → {to}" for step, _at, to in latest.escalations)
        out.print(f"      {who}: {latest.step} {latest.document_number}, {sent}, {ack}", markup=False)
