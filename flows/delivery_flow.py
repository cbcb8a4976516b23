"""Delivery: send what the outbox holds through the configured channels; retries only on I/O."""

from __future__ import annotations

import os
from datetime import datetime

from prefect import flow, task

from emergency.delivery_config import build_channels, load_delivery
from emergency.services.outbox import deliver_due
from flows._runtime import resolve_as_of, runtime


def report_channels() -> list[str]:
    """Return the channel ids reports are routed to."""
    return list(load_delivery(runtime().settings.plans_dir).routes.get("report", []))


@task(name="deliver-outbox", retries=3, retry_delay_seconds=[5, 30, 120])
def deliver_outbox_task(as_of: datetime) -> dict[str, int]:
    """Deliver every message that is due; each is marked sent once, and the receiver dedupes by its key."""
    rt = runtime()
    config = load_delivery(rt.settings.plans_dir)
    channels = build_channels(config, os.environ, base_dir=rt.settings.output_dir)
    return deliver_due(rt.sessions, channels=channels, now=as_of, guard=config.drill_guard())


@flow(name="outbox-delivery")
def outbox_delivery(as_of: datetime | None = None) -> dict[str, int]:
    """Deliver what is due in the outbox."""
    return deliver_outbox_task(resolve_as_of(as_of))
