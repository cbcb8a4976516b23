"""`emergency hazard-source …`: import the hazard-source register (危险源/风险点台账) an office keeps, and list it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from emergency.config import load_settings
from emergency.errors import InputError

hazard_source_app = typer.Typer(help="The hazard-source register (危险源/风险点台账): import it from CSV or XLSX, list it.",
                                no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@hazard_source_app.command("import")
def hazard_source_import(
    file: Annotated[Path, typer.Argument(help="The ledger as the office keeps it: .csv or .xlsx with the columns 编号, "
                                              "名称, 类型, 风险等级, 社区, 网格 (and 责任单位, 联系人, 联系电话, 位置, 状态).")],
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Store the good rows and list the bad ones, instead of "
                                                              "storing nothing when a row is bad.")] = False,
) -> None:
    """Check every row of a ledger and store its sources, updating those with the same code (all or nothing)."""
    from emergency.plans.inspections import load_inspection_plan
    from emergency.plans.schema import load_street
    from emergency.runtime import open_runtime
    from emergency.services.hazard_sources import import_sources
    from emergency.services.incidents import get_office
    from emergency.services.organisation import load_street_into

    runtime = open_runtime(load_settings())
    plan = load_inspection_plan(runtime.settings.plans_dir)
    street = load_street(runtime.settings.plans_dir / "street.yaml")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        # Communities and grids (with their 网格长) come from plans/street.yaml; the ledger names them.
        load_street_into(session, office=office, street=street)
        summary = import_sources(session, office=office, path=file, now=runtime.now, skip_bad=skip_bad, plan=plan)
    for problem in summary.skipped:
        err.print(f"skipped: {file}, {problem}", markup=False)
    skipped = f"; skipped {len(summary.skipped)} bad row(s)" if summary.skipped else ""
    out.print(f"Imported {summary.rows} sources for {office.name}: {summary.created} new, {summary.updated} updated, "
              f"{summary.unchanged} unchanged{skipped}.", markup=False)


@hazard_source_app.command("list")
def hazard_source_list(
    community: Annotated[str | None, typer.Option(help="Only this community (code or name).")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this type (key or Chinese name).")] = None,
    level: Annotated[str | None, typer.Option(help="Only this risk level (major … low, 重大 … 低, 红 … 蓝).")] = None,
    include_inactive: Annotated[bool, typer.Option("--all", help="Include sources no longer in use.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the register by community and grid, with each source's type, risk level, owner unit and grid leader."""
    from rich.table import Table
    from rich.text import Text

    from emergency.labels import RISK_LEVEL_COLOURS, RISK_LEVEL_LABELS
    from emergency.plans.inspections import load_inspection_plan, risk_level_of
    from emergency.runtime import open_runtime
    from emergency.services.hazard_sources import list_sources
    from emergency.services.incidents import get_office

    runtime = open_runtime(load_settings())
    plan = load_inspection_plan(runtime.settings.plans_dir)
    kind = plan.source_type(type_) if type_ is not None else None
    if type_ is not None and kind is None:
        raise InputError("command line", "type", f"{type_!r} is not a type of plans/inspections.yaml")
    risk = risk_level_of(level) if level is not None else None
    if level is not None and risk is None:
        raise InputError("command line", "level", f"{level!r} is not a risk level")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        sources = list_sources(session, office=office, community=community,
                               source_type=kind.key if kind else None, risk_level=risk.value if risk else None,
                               include_inactive=include_inactive)
    names = plan.type_names()
    if as_json:
        rows = [{"code": s.code, "name": s.name, "type": s.source_type, "risk_level": s.risk_level,
                 "community": s.community, "grid": s.grid, "leader": s.leader, "owner_unit": s.owner_unit,
                 "contact": s.contact, "phone": s.phone, "location": s.location, "active": s.active} for s in sources]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not sources:
        out.print(f"{office.name}: no hazard sources. Import the ledger with `emergency hazard-source import FILE`.",
                  markup=False)
        return
    table = Table(title=Text(f"{office.name} 危险源/风险点台账（{len(sources)}处）"))
    for column in ("编号", "名称", "类型", "风险等级", "社区", "网格", "网格长", "责任单位", "联系人", "联系电话", "位置"):
        table.add_column(column, overflow="fold")
    for s in sources:
        stored = risk_level_of(s.risk_level)
        level_text = f"{RISK_LEVEL_LABELS[stored]}（{RISK_LEVEL_COLOURS[stored]}）" if stored else s.risk_level
        cells = (s.code, s.name + ("" if s.active else "（停用）"), names.get(s.source_type, s.source_type), level_text,
                 s.community, s.grid or "", s.leader or "", s.owner_unit, s.contact, s.phone, s.location)
        table.add_row(*(Text(cell) for cell in cells))  # ledger text is never rich markup
    out.print(table)
