"""Supplies check (应急物资储备检查): every Monday, flag shortfalls against the plans' minimum stock and batches near
or past their expiry date, in one notice to the duty group for the week."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.delivery_config import load_delivery
from emergency.plans.supplies import load_supplies_catalogue
from emergency.services.incidents import get_office
from emergency.services.supplies import check_supplies
from flows._runtime import resolve_as_of, runtime
from flows.delivery_flow import deliver_outbox_task


@task(name="check-supplies")
def check_supplies_task(as_of: datetime) -> dict[str, Any]:
    """Check the supplies at as_of and queue the week's notice when anything is flagged (once per week)."""
    # One unit of work: the notice is queued in the transaction that read the stock; a retry finds its key stored.
    rt = runtime()
    catalogue = load_supplies_catalogue(rt.settings.plans_dir)
    channels = load_delivery(rt.settings.plans_dir).route("notice")
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        return check_supplies(session, office=office, as_of=as_of, channels=channels,
                              plans_dir=rt.settings.plans_dir, catalogue=catalogue)


@flow(name="supplies-check")
def supplies_check(as_of: datetime | None = None) -> dict[str, Any]:
    """Check shortfalls and expiry, send the week's notice (never twice in a week), and deliver the outbox."""
    at = resolve_as_of(as_of)
    checked = check_supplies_task(at)
    delivered = deliver_outbox_task(at)
    return {"week": checked["week"], "counts": checked["counts"], "notices": checked["notices"],
            "shortfalls": [i["item"] for i in checked["shortfalls"]],
            "store_shortfalls": [f"{s['store']}/{s['item']}" for s in checked["store_shortfalls"]],
            "near_expiry": [f"{b['store']}/{b['item']}/{b['batch']}" for b in checked["near_expiry"]],
            "expired": [f"{b['store']}/{b['item']}/{b['batch']}" for b in checked["expired"]],
            "delivered": delivered}
