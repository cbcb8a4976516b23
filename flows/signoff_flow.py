"""Sign-off (签发): the signer approves a draft; the report is submitted, rendered and delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.services.clocks import sync_obligations
from emergency.services.documents import sign_and_issue
from emergency.services.incidents import find_incident, get_office
from flows._runtime import resolve_as_of, runtime
from flows.delivery_flow import deliver_outbox_task, report_channels


@task(name="sign-and-issue")
def sign_and_issue_task(draft: int, signer: str, as_of: datetime) -> dict[str, Any]:
    """Record the sign-off, submit the report, write its document and queue its delivery (one transaction)."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        issued = sign_and_issue(session, office=office, draft_id=draft, signer=signer,
                                recipient=rt.settings.district_recipient, channels=report_channels(), now=as_of,
                                out_dir=rt.settings.output_dir, templates_dir=rt.settings.templates_dir)
        sync_obligations(session, rules=rt.rules, incident=find_incident(session, office=office, ident=issued.incident),
                         now=as_of)
    return {"report": issued.report, "incident": issued.incident, "kind": issued.kind,
            "document": str(issued.document), "outbox": list(issued.outbox_ids)}


@flow(name="report-signoff", flow_run_name="report-signoff-{draft}")
def report_signoff(draft: int, signer: str, as_of: datetime | None = None) -> dict[str, Any]:
    """Sign off a drafted report and deliver it to the district."""
    at = resolve_as_of(as_of)
    issued = sign_and_issue_task(draft, signer, at)
    delivered = deliver_outbox_task(at)
    return {**issued, "delivered": delivered}
