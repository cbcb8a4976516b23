"""`emergency plan …`: check the plans (应急预案) in plans/, compare versions, approve one, list versions and reviews."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from emergency.clock import format_local
from emergency.config import load_settings
from emergency.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from emergency.db.models import Office, PlanVersionRow
    from emergency.plans.schema import Plan

plan_app = typer.Typer(help="Emergency plans (应急预案) as versioned data: check, diff, approve, versions, due for review.",
                       no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@plan_app.command("check")
def plan_check(
    folder: Annotated[Path | None, typer.Argument(help="A plans folder (its emergency/ subfolder is read), a folder of "
                                                       "plan files, or one plan file; default the configured plans/.")]
    = None,
) -> None:
    """Validate every plan and list every problem (file, field, why); exit 1 if there is any."""
    from emergency.plans.loader import load_rules
    from emergency.plans.schema import check_plans, load_plan, plan_paths

    settings = load_settings()
    target = folder or settings.plans_dir
    known = {t.code for t in load_rules(settings.plans_dir, settings.rules).event_types}
    if target.is_file():
        paths, scope = [target], None
    elif target.is_dir():
        paths = plan_paths(target)
        scope = str(paths[0].parent) if paths else str(target)
    else:
        raise InputError("command line", "FOLDER", f"{target} is neither a folder nor a file")
    if not paths:
        raise InputError("command line", "FOLDER", f"no plan files (*.yaml) in {target} or {target / 'emergency'}")
    problems = check_plans(paths, known_types=known, folder=scope)
    broken = {p.path for p in problems}
    for path in paths:
        if str(path) not in broken:
            loaded = load_plan(path)
            out.print(f"ok  {path}: {loaded.plan.name_zh} {loaded.plan.version} (sha256 {loaded.sha256[:12]})",
                      markup=False)
    for problem in problems:
        err.print(f"error: {problem}", markup=False)
    if problems:
        err.print(f"{len(problems)} problem(s) in {len(broken)} file(s); {len(paths) - len(broken & set(map(str, paths)))}"
                  f" of {len(paths)} plan(s) valid.", markup=False)
        raise typer.Exit(1)
    out.print(f"{len(paths)} plan(s) checked: no problems.", markup=False)


def _plan_of(session: Session | None, office: Office | None, ref: str, now: Any) -> tuple[str, Plan]:
    """A plan file's path, or SLUG / SLUG@VERSION for an approved version (the one in force for SLUG alone)."""
    from emergency.plans.schema import Plan, load_plan
    from emergency.services.plans import find_version

    path = Path(ref)
    if path.is_file():
        return str(path), load_plan(path).plan
    if session is None or office is None:
        raise NotFoundError(f"{ref}: no such plan file")
    slug, _, version = ref.partition("@")
    row = find_version(session, office=office, slug=slug, version=version or None, at=now)
    return f"{row.slug}@{row.version}", Plan.model_validate(row.content)


@plan_app.command("diff")
def plan_diff(
    old: Annotated[str, typer.Argument(help="The older plan: a file, or SLUG@VERSION / SLUG (in force) from the "
                                            "approved versions.")],
    new: Annotated[str, typer.Argument(help="The newer plan, likewise (e.g. plans/emergency/flood.yaml).")],
    as_json: JsonOption = False,
) -> None:
    """Show what changed between two versions of a plan, in words (响应等级 II级 启动条件：… 改为 …)."""
    from emergency.domain.plans import diff_plans
    from emergency.plans.loader import load_rules

    settings = load_settings()
    names = {t.code: t.name_zh for t in load_rules(settings.plans_dir, settings.rules).event_types}
    if Path(old).is_file() and Path(new).is_file():
        (old_name, old_plan), (new_name, new_plan) = _plan_of(None, None, old, None), _plan_of(None, None, new, None)
    else:
        from emergency.runtime import open_runtime
        from emergency.services.incidents import get_office

        runtime = open_runtime(settings)
        with runtime.sessions.begin() as session:
            office = get_office(session, name=settings.office)
            old_name, old_plan = _plan_of(session, office, old, runtime.now)
            new_name, new_plan = _plan_of(session, office, new, runtime.now)
    changes = diff_plans(old_plan, new_plan, type_names=names)
    if as_json:
        sys.stdout.write(json.dumps({"old": old_name, "new": new_name, "changes": changes}, ensure_ascii=False,
                                    indent=2) + "\n")
        return
    if not changes:
        out.print(f"{old_name} → {new_name}: no changes.", markup=False)
        return
    out.print(f"{old_name} → {new_name}: {len(changes)} change(s)", markup=False)
    for line in changes:
        out.print(f"  {line}", markup=False)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError("command line", option, f"{value!r} is not a date (YYYY-MM-DD)") from None


@plan_app.command("approve")
def plan_approve(
    slug: Annotated[str, typer.Argument(help="The plan's id (general, flood, gas …) in the plans folder.")],
    by: Annotated[str, typer.Option("--by", help="Who approved it (审批人, e.g. 正阳街道党工委会议).")],
    effective: Annotated[str, typer.Option("--effective", help="The day it takes effect (YYYY-MM-DD).")],
) -> None:
    """Store the plan file's content as an approved version (hash, approver, effective date); the same content is a
    no-op that says so."""
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.plans import approve_plan

    day = _date(effective, "effective")
    runtime = open_runtime(load_settings())
    loaded = runtime.plans.get(slug)
    if loaded is None:
        raise NotFoundError(f"plan {slug}: not in {runtime.settings.plans_dir / 'emergency'} "
                            f"(plans: {', '.join(sorted(runtime.plans))})")
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        done = approve_plan(session, office=office, loaded=loaded, by=by, effective=day, now=runtime.now)
        row = done.version
        if not done.created:
            out.print(f"{row.name} version {row.version} is already approved with this content (sha256 "
                      f"{row.sha256[:12]}, by {row.approved_by} on {format_local(row.approved_at)}, effective "
                      f"{row.effective_from}); nothing stored.", markup=False)
            return
        out.print(f"Approved {row.name} version {row.version} (sha256 {row.sha256[:12]}) by {row.approved_by}, "
                  f"effective {row.effective_from}; review due {row.review_due}.", markup=False)
        for old in done.superseded:
            out.print(f"  Supersedes version {old.version} (effective {old.effective_from}) from "
                      f"{row.effective_from}; its review is met.", markup=False)


def _version_json(row: PlanVersionRow, state: str) -> dict[str, Any]:
    return {"plan": row.slug, "name": row.name, "version": row.version, "sha256": row.sha256, "state": state,
            "approved_by": row.approved_by, "approved_at": row.approved_at.isoformat(),
            "effective_from": row.effective_from.isoformat(),
            "superseded_at": row.superseded_at.isoformat() if row.superseded_at else None,
            "review_due": row.review_due.isoformat(), "review_reason": row.review_reason}


@plan_app.command("versions")
def plan_versions(
    slug: Annotated[str | None, typer.Argument(help="Only this plan's versions.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the approved versions (现行, 待生效, 已废止) with hash, approver, effective date and review date."""
    from rich.table import Table

    from emergency.labels import PLAN_VERSION_STATE_LABELS
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.plans import list_versions, version_state

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        rows = [(row, version_state(row, runtime.now)) for row in list_versions(session, office=office, slug=slug)]
    if as_json:
        sys.stdout.write(json.dumps([_version_json(r, s) for r, s in rows], ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        out.print(f"{office.name}: no approved plan versions{f' of {slug}' if slug else ''} "
                  "(emergency plan approve SLUG --by … --effective …).", markup=False)
        return
    table = Table(title=f"{office.name} 应急预案版本（{len(rows)}）")
    for column in ("预案", "名称", "版本", "状态", "生效日期", "审批", "审批时间", "评估期限", "sha256"):
        table.add_column(column)
    for row, state in rows:
        table.add_row(row.slug, row.name, row.version, PLAN_VERSION_STATE_LABELS[state], str(row.effective_from),
                      row.approved_by, format_local(row.approved_at), str(row.review_due), row.sha256[:12])
    out.print(table)


@plan_app.command("due")
def plan_due(
    within: Annotated[int, typer.Option("--within", min=0, help="Also list reviews due within this many days.")] = 90,
    as_json: JsonOption = False,
) -> None:
    """List plans due for review (3 years after they took effect, or flagged by a drill or an incident), overdue
    first, and plans never approved."""
    from emergency.domain.enums import PlanReviewReason
    from emergency.labels import PLAN_NEVER_APPROVED, PLAN_REVIEW_REASON_LABELS
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.plans import plans_due

    runtime = open_runtime(load_settings())
    with runtime.sessions.begin() as session:
        office = get_office(session, name=runtime.settings.office)
        due = plans_due(session, office=office, plans=runtime.plans, now=runtime.now, within_days=within)
    if as_json:
        sys.stdout.write(json.dumps([{
            "plan": d.slug, "name": d.name, "version": d.version,
            "effective_from": d.effective_from.isoformat() if d.effective_from else None,
            "review_due": d.review_due.isoformat() if d.review_due else None, "reason": d.reason, "note": d.note,
            "days_left": d.days_left, "changed_since_approval": d.changed_since_approval} for d in due],
            ensure_ascii=False, indent=2) + "\n")
        return
    if not due:
        out.print(f"{office.name}: no plan due for review within {within} days.", markup=False)
        return
    for d in due:
        if d.review_due is None:
            out.print(f"{d.slug}  {d.name}: {PLAN_NEVER_APPROVED}", markup=False)
            continue
        reason = PLAN_REVIEW_REASON_LABELS[PlanReviewReason(d.reason)]
        when = (f"overdue by {-(d.days_left or 0)} day(s)" if (d.days_left or 0) < 0 else
                f"due in {d.days_left} day(s)")
        line = f"{d.slug}  {d.name} {d.version}: review due {d.review_due} ({reason}), {when}"
        if d.note:
            line += f" — {d.note}"
        if d.changed_since_approval:
            line += "; the file was changed since (not approved)"
        out.print(line, markup=False)
