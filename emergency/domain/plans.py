"""Plans as versioned data: what changed between two versions (in words), and when a version is due for review."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from emergency.domain.enums import DrillKind, PlanKind, Severity
from emergency.labels import (
    CATEGORY_LABELS,
    DRILL_KIND_LABELS,
    PLAN_CONDITION_ALWAYS,
    PLAN_CONDITION_FACT_LABELS,
    PLAN_CONDITION_OR,
    PLAN_CONDITION_SEVERITY,
    PLAN_DIFF_ADDED,
    PLAN_DIFF_CHANGED,
    PLAN_DIFF_DAYS,
    PLAN_DIFF_MINUTES,
    PLAN_DIFF_MONTHS,
    PLAN_DIFF_NO_LIMIT,
    PLAN_DIFF_NONE,
    PLAN_DIFF_REMOVED,
    PLAN_DIFF_REORDERED,
    PLAN_DIFF_WHAT,
    PLAN_DIFF_YEARS,
    PLAN_KIND_LABELS,
    SEVERITY_LABELS,
)
from emergency.plans.rules import TierCondition
from emergency.plans.schema import Action, Group, Plan, PlanContact, ResponseLevel, Role, SupplyNeed

T = TypeVar("T")

W = PLAN_DIFF_WHAT


def review_due(effective_from: date, every_years: int) -> date:
    """Return the day a version is due for review: *every_years* after it took effect (29 Feb falls on 28 Feb)."""
    year = effective_from.year + every_years
    try:
        return effective_from.replace(year=year)
    except ValueError:
        return effective_from.replace(year=year, day=28)


def describe_condition(when: TierCondition) -> str:
    """Return a response level's rule in words (事件等级达到较大（III级）及以上)."""
    parts: list[str] = []
    if when.min_severity is not None:
        parts.append(PLAN_CONDITION_SEVERITY.format(severity=SEVERITY_LABELS[Severity(when.min_severity)]))
    parts.extend(PLAN_CONDITION_FACT_LABELS[name] for name in when.any_of)
    return PLAN_CONDITION_OR.join(parts) if parts else PLAN_CONDITION_ALWAYS


def _changed(what: str, old: object, new: object) -> str:
    return PLAN_DIFF_CHANGED.format(what=what, old=old if old not in (None, "") else PLAN_DIFF_NONE,
                                    new=new if new not in (None, "") else PLAN_DIFF_NONE)


def _field(out: list[str], what: str, old: object, new: object, shown: Callable[[object], object] = str) -> None:
    if old != new:
        out.append(_changed(what, shown(old) if old is not None else None, shown(new) if new is not None else None))


def _keyed(out: list[str], what: str, old: Sequence[T], new: Sequence[T], key: Callable[[T], str],
           shown: Callable[[T], str] | tuple[Callable[[T], str], Callable[[T], str]],
           compare: Callable[[str, T, T], None] | None = None) -> None:
    """Added and removed entries by key, then each kept entry compared; a reordering of kept entries is noted.

    *shown* words an entry, or is a pair (old plan's wording, new plan's wording) when it names roles.
    """
    shown_old, shown_new = shown if isinstance(shown, tuple) else (shown, shown)
    before = {key(e): e for e in old}
    after = {key(e): e for e in new}
    out.extend(PLAN_DIFF_REMOVED.format(what=what, old=shown_old(e)) for k, e in before.items() if k not in after)
    out.extend(PLAN_DIFF_ADDED.format(what=what, new=shown_new(e)) for k, e in after.items() if k not in before)
    for k, e in after.items():
        if k in before and compare is not None:
            compare(k, before[k], e)
    kept_before = [k for k in before if k in after]
    kept_after = [k for k in after if k in before]
    if kept_before != kept_after:
        out.append(PLAN_DIFF_REORDERED.format(what=what, old="、".join(kept_before), new="、".join(kept_after)))


def _role_name(plan: Plan) -> Callable[[object], str]:
    names = {r.id: r.name_zh for r in plan.roles}

    def shown(role: object) -> str:
        return names.get(str(role), str(role))
    return shown


def _minutes(value: object) -> str:
    return PLAN_DIFF_MINUTES.format(n=value) if value is not None else PLAN_DIFF_NO_LIMIT


def _quantity(value: Decimal) -> str:
    return format(value, "f")


def _joined(values: Iterable[str]) -> str:
    return "、".join(values) or PLAN_DIFF_NONE


def diff_plans(old: Plan, new: Plan, *, type_names: Mapping[str, str] | None = None) -> list[str]:
    """Return what changed from *old* to *new*, one sentence per change, in the plan's own words; [] if nothing."""
    out: list[str] = []
    names = type_names or {}
    old_role, new_role = _role_name(old), _role_name(new)
    _field(out, W["id"], old.id, new.id)
    _field(out, W["kind"], old.kind, new.kind, lambda k: PLAN_KIND_LABELS[PlanKind(str(k))])
    _field(out, W["name_zh"], old.name_zh, new.name_zh)
    _field(out, W["version"], old.version, new.version)
    _field(out, W["source"], old.source, new.source)
    _field(out, W["scope"], old.scope, new.scope)
    _field(out, W["categories"], _joined(CATEGORY_LABELS[c] for c in old.categories),
           _joined(CATEGORY_LABELS[c] for c in new.categories))
    _keyed(out, W["types"], old.types, new.types, str, lambda t: f"{names.get(t, t)}（{t}）")
    _field(out, W["review.every_years"], old.review.every_years, new.review.every_years,
           lambda n: PLAN_DIFF_YEARS.format(n=n))
    _field(out, W["review.after_gap_days"], old.review.after_gap_days, new.review.after_gap_days,
           lambda n: PLAN_DIFF_DAYS.format(n=n))
    _field(out, W["review.source"], old.review.source, new.review.source)
    _field(out, W["drills.every_months"], old.drills.every_months, new.drills.every_months,
           lambda n: PLAN_DIFF_MONTHS.format(n=n))
    _field(out, W["drills.kinds"], _joined(DRILL_KIND_LABELS[DrillKind(k)] for k in old.drills.kinds),
           _joined(DRILL_KIND_LABELS[DrillKind(k)] for k in new.drills.kinds))
    _field(out, W["drills.source"], old.drills.source, new.drills.source)
    _command(out, old, new)
    _keyed(out, W["role"], old.roles, new.roles, lambda r: r.id, lambda r: f"{r.name_zh}（{r.id}）",
           lambda k, a, b: _role(out, a, b))
    _keyed(out, W["contact"], old.contacts, new.contacts, lambda c: c.id, _contact_text,
           lambda k, a, b: _contact(out, a, b))
    _keyed(out, W["level"], old.levels, new.levels, lambda lv: lv.level, lambda lv: f"{lv.level}级 {lv.name_zh}",
           lambda k, a, b: _level(out, a, b, old_role, new_role))
    _keyed(out, W["reporting_chain"], old.reporting_chain, new.reporting_chain, lambda s: s.to, lambda s: s.to,
           lambda k, a, b: _field(out, f"{W['reporting_chain']} {k} {W['contact']}", a.contact, b.contact))
    _keyed(out, W["supply"], old.supplies, new.supplies, lambda s: s.item, _supply_text,
           lambda k, a, b: _supply(out, a, b))
    return out


def _command(out: list[str], old: Plan, new: Plan) -> None:
    a, b = old.command, new.command
    old_role, new_role = _role_name(old), _role_name(new)
    _field(out, W["command.name_zh"], a.name_zh, b.name_zh)
    if a.commander != b.commander:
        out.append(_changed(W["command.commander"], old_role(a.commander), new_role(b.commander)))
    if a.deputies != b.deputies:
        out.append(_changed(W["command.deputies"], _joined(old_role(d) for d in a.deputies),
                            _joined(new_role(d) for d in b.deputies)))
    if a.office != b.office:
        out.append(_changed(W["command.office"], old_role(a.office), new_role(b.office)))

    def group_text(role: Callable[[object], str]) -> Callable[[Group], str]:
        return lambda g: f"{g.name_zh}（{role(g.lead)}）：{g.duties}"

    def compare(key: str, x: Group, y: Group) -> None:
        what = f"{W['group']} {y.name_zh}"
        _field(out, W["group"], x.name_zh, y.name_zh)
        if old_role(x.lead) != new_role(y.lead):
            out.append(_changed(f"{what} 牵头", old_role(x.lead), new_role(y.lead)))
        _field(out, f"{what} 职责", x.duties, y.duties)

    _keyed(out, W["group"], a.groups, b.groups, lambda g: g.id, (group_text(old_role), group_text(new_role)), compare)


def _role(out: list[str], a: Role, b: Role) -> None:
    _field(out, f"{W['role']} {a.id}", a.name_zh, b.name_zh)
    _field(out, f"{W['role']} {b.name_zh} 职责", a.duties, b.duties)


def _contact_text(c: PlanContact) -> str:
    return f"{c.name_zh} {c.phone}"


def _contact(out: list[str], a: PlanContact, b: PlanContact) -> None:
    _field(out, f"{W['contact']} {a.id}", a.name_zh, b.name_zh)
    _field(out, f"{W['contact']} {b.name_zh} 电话", a.phone, b.phone)
    _field(out, f"{W['contact']} {b.name_zh} 角色", a.role, b.role)


def _supply_text(s: SupplyNeed) -> str:
    return f"{s.name_zh}（{s.item}）{_quantity(s.quantity)}{s.unit}"


def _supply(out: list[str], a: SupplyNeed, b: SupplyNeed) -> None:
    what = f"{W['supply']} {b.name_zh}"
    _field(out, f"{W['supply']} {b.item} 名称", a.name_zh, b.name_zh)
    if (a.quantity, a.unit) != (b.quantity, b.unit):
        out.append(_changed(f"{what} 最低储备", f"{_quantity(a.quantity)}{a.unit}", f"{_quantity(b.quantity)}{b.unit}"))
    _field(out, f"{what} 依据", a.source, b.source)


def _action_text(role: Callable[[object], str]) -> Callable[[Action], str]:
    return lambda a: f"{a.text}（{role(a.owner)}，{_minutes(a.within_minutes)}）"


def _level(out: list[str], a: ResponseLevel, b: ResponseLevel, old_role: Callable[[object], str],
           new_role: Callable[[object], str]) -> None:
    where = f"{W['level']} {b.level}级"
    _field(out, f"{where} {W['level.name_zh']}", a.name_zh, b.name_zh)
    _field(out, f"{where} {W['level.trigger_zh']}", a.trigger_zh, b.trigger_zh)
    _field(out, f"{where} {W['level.when']}", describe_condition(a.when), describe_condition(b.when))
    if (old_role(a.decided_by) if a.decided_by else None) != (new_role(b.decided_by) if b.decided_by else None):
        out.append(_changed(f"{where} {W['level.decided_by']}", old_role(a.decided_by) if a.decided_by else None,
                            new_role(b.decided_by) if b.decided_by else None))

    def compare(key: str, x: Action, y: Action) -> None:
        what = f"{where} {W['action']} {key}"
        _field(out, f"{what} 内容", x.text, y.text)
        if old_role(x.owner) != new_role(y.owner):
            out.append(_changed(f"{what} 责任", old_role(x.owner), new_role(y.owner)))
        _field(out, f"{what} 时限", x.within_minutes, y.within_minutes, _minutes)

    _keyed(out, f"{where} {W['action']}", a.actions, b.actions, lambda act: act.id,
           (_action_text(old_role), _action_text(new_role)), compare)
