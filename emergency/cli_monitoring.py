"""`emergency monitoring …`: the street's own monitoring points (监测点) with their thresholds, last reading and warning."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from emergency.config import load_settings

monitoring_app = typer.Typer(
    help="Own monitoring (监测预警): the points of plans/monitoring.yaml; `emergency run monitoring` polls them.",
    no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)


@monitoring_app.command("points")
def monitoring_points(
    include_inactive: Annotated[bool, typer.Option("--all", help="Include points no longer polled.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Store the points of plans/monitoring.yaml and list them: thresholds, last reading, warning, last poll."""
    from rich.table import Table

    from emergency.domain.enums import WarningLevel
    from emergency.labels import WARNING_LEVEL_LABELS
    from emergency.plans.monitoring import load_monitoring_plan
    from emergency.plans.schema import load_street
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.monitoring import list_points, sync_points

    runtime = open_runtime(load_settings())
    plans_dir = runtime.settings.plans_dir
    plan = load_monitoring_plan(plans_dir)
    street = load_street(plans_dir / "street.yaml")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        sync_points(session, office=office, plan=plan, street=street, now=runtime.now)
        points = [p for p in list_points(session, office=office, plan=plan) if p.active or include_inactive]
    if as_json:
        out.print(json.dumps([p.as_dict() for p in points], ensure_ascii=False, indent=2), markup=False)
        return
    if not points:
        out.print(f"No monitoring points ({plan.path}).", markup=False)
        return
    table = Table(title=f"Monitoring points ({plan.path})")
    for column in ("code", "point", "where", "thresholds (raise / clear below)", "last reading", "warning",
                   "last poll"):
        table.add_column(column)
    for p in points:
        bands = "\n".join(f"{WARNING_LEVEL_LABELS[WarningLevel(t['level'])]} ≥{t['raise_at']:g} / <{t['clear_below']:g}"
                          for t in p.thresholds)
        reading = f"{p.last_value:g} {p.unit}\n{p.last_at}" if p.last_value is not None and p.last_at else "—"
        warning = (f"{WARNING_LEVEL_LABELS[WarningLevel(p.level)]} (warning {p.warning_id})"
                   if p.level and p.warning_id else "—")
        polled = p.last_polled_at or "never"
        if p.last_error:
            polled += f"\nerror: {p.last_error}"
        where = " / ".join(x for x in (p.community, p.grid) if x) or "—"
        table.add_row(p.code + ("" if p.active else " (inactive)"), f"{p.name}\n{p.kind_label} ({p.unit})",
                      f"{where}\n{p.location}", bands or "—", reading, warning, polled)
    out.print(table)
