"""Pass-down of warnings (预警信息传递): every minute, send each new warning step to the communities and grids it
concerns, whatever made it (an upstream feed, a monitoring point, the office by hand), then deliver the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.plans.schema import load_street
from emergency.plans.warnings import load_warning_plan
from emergency.services.incidents import get_office
from emergency.services.warning_notices import pass_down_all, setup_from_settings
from flows._runtime import resolve_as_of, runtime
from flows.delivery_flow import deliver_outbox_task


@task(name="pass-down-warnings")
def pass_down_task(as_of: datetime) -> list[dict[str, Any]]:
    """Pass down every warning step not yet passed down: notices, outbox rows and 签收 clocks in one unit of work."""
    # A retry finds the notices of a step already stored (keys per step and recipient) and sends nothing twice.
    rt = runtime()
    setup = setup_from_settings(rt.settings, load_warning_plan(rt.settings.plans_dir))
    street = load_street(rt.settings.plans_dir / "street.yaml")
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        created = pass_down_all(session, office=office, street=street, setup=setup, now=as_of)
    return [{"notice": n.id, "warning": n.warning_id, "step": n.action, "recipient": n.recipient_name,
             "document_number": n.document_number} for n in created]


@flow(name="warning-pass-down")
def warning_pass_down(as_of: datetime | None = None) -> dict[str, Any]:
    """Pass new warning steps down to communities and grids and deliver what is due in the outbox."""
    at = resolve_as_of(as_of)
    notices = pass_down_task(at)
    delivered = deliver_outbox_task(at)
    return {"notices": len(notices), "warnings": sorted({n["warning"] for n in notices}), "delivered": delivered}
