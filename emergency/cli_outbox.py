"""`emergency outbox …` (see and push deliveries to district officials) and `emergency receiver` (a local district end)."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from emergency.clock import format_local
from emergency.config import load_settings
from emergency.errors import EmergencyError

RECEIVER_SECRET_ENV = "EMERGENCY_RECEIVER_SECRET"

outbox_app = typer.Typer(help="Deliveries to district officials: the outbox (queued, sent, acknowledged, failed).",
                         no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

DeliveryOption = Annotated[
    Path | None, typer.Option("--delivery", help="Channels and routes file (default: delivery.yaml in the plans folder).")
]


def _when(at: datetime | None) -> str:
    return format_local(at) if at is not None else ""


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option("--status", help="Only queued, sent, acknowledged or failed.")] = None,
) -> None:
    """List the outbox: each delivery's status, attempts, last error and times (Asia/Shanghai)."""
    from emergency.runtime import open_runtime
    from emergency.services.outbox import OutboxStatus, list_outbox

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        rows = list_outbox(session, status=status)
        table = Table()
        for column in ("id", "topic", "channel", "status", "attempts", "last error", "next attempt", "sent",
                       "acknowledged"):
            table.add_column(column, overflow="fold")
        for row in rows:
            queued = row.status == OutboxStatus.QUEUED
            channel = row.channel + (f" (instead of {row.diverted_from})" if row.diverted_from else "")
            table.add_row(str(row.id), row.topic + (" (drill)" if row.drill else ""), channel, row.status,
                          str(row.attempts), row.last_error or "", _when(row.next_attempt_at) if queued else "",
                          _when(row.sent_at), _when(row.acknowledged_at))
    if not rows:
        out.print("No messages" + (f" with status {status}." if status else " in the outbox."), markup=False)
        return
    out.print(table)


@outbox_app.command("deliver")
def outbox_deliver(
    delivery: DeliveryOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many messages in this run.")] = 100,
) -> None:
    """Send what is due now through the configured channels and print how each ended."""
    from emergency.delivery_config import build_channels, load_delivery, load_delivery_config
    from emergency.runtime import open_runtime
    from emergency.services.outbox import deliver_due

    settings = load_settings()
    config = load_delivery_config(delivery) if delivery is not None else load_delivery(settings.plans_dir)
    runtime = open_runtime(settings)
    channels = build_channels(config, os.environ)
    counts = deliver_due(runtime.sessions, channels=channels, now=runtime.now, limit=limit, guard=config.drill_guard())
    out.print(f"{counts['due']} due: {counts['acknowledged']} acknowledged, {counts['sent']} sent, "
              f"{counts['queued']} queued for a retry, {counts['failed']} failed.", markup=False)


@outbox_app.command("retry")
def outbox_retry(outbox_id: Annotated[int, typer.Argument(help="The id of a failed message.")]) -> None:
    """Queue a failed message again, due now, once its cause (address, secret, attachment) is fixed."""
    from emergency.runtime import open_runtime
    from emergency.services.outbox import requeue

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        requeue(session, outbox_id=outbox_id, now=runtime.now)
    out.print(f"Message {outbox_id} is queued again.", markup=False)


def receiver(
    folder: Annotated[Path, typer.Option("--folder", help="Where each message is stored once, as <key>.json.")],
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Run a district receiver until Ctrl-C: it checks each signature and stores each message once."""
    from emergency.receiver import start_receiver

    secret = os.environ.get(RECEIVER_SECRET_ENV, "").strip()
    if not secret:
        raise EmergencyError(f"environment variable {RECEIVER_SECRET_ENV} is not set (the webhook's signing secret)")
    running = start_receiver(folder, secret, host=host, port=port)
    out.print(f"Receiving on {running.url} into {folder} (Ctrl-C to stop).", markup=False)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        counts = running.counts()
        out.print(f"Stored {counts.stored}, answered {counts.duplicates} duplicates, refused {counts.rejected}.",
                  markup=False)
