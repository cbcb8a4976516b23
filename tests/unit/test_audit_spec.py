"""Independent tests of the audit semantics fixed by shared/spec/audit-timeline.md.

Every timeline is built here in the `emergency-timeline/1` format and replayed with `replay_document`.
The expected values come from the spec ("Decisions for the edge cases"), the legal digest
(shared/domain/reporting-rules.md) and the rules data the project ships (plans/*.yaml), never from
the implementation. Spec clauses are cited as "D1".."D7" (the numbered decisions) in docstrings.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from emergency.errors import InputError
from emergency.plans.loader import load_rules
from emergency.services.audits import replay_document

RULES = load_rules()
CST = timezone(timedelta(hours=8))


# --------------------------------------------------------------------------------------------------
# Builders: times, truth, reports, incidents, timelines.
# --------------------------------------------------------------------------------------------------


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A time in Asia/Shanghai (+08:00); day 1 is 2026-03-01 and days run on past the month's end."""
    return datetime(2026, 3, 1, tzinfo=CST) + timedelta(days=day - 1, hours=hh, minutes=mm, seconds=ss)


def mins(n: float) -> timedelta:
    """A duration of n minutes."""
    return timedelta(minutes=n)


def iso(value: datetime | str) -> str:
    """ISO 8601 text of a time (strings pass through unchanged)."""
    return value if isinstance(value, str) else value.isoformat()


OCC = at(1, 7, 50)  # occurred_at of the default incident
KNOWN = at(1, 8, 0)  # known_at of the default incident: the clocks start here
AUDIT = at(10, 0)  # default audit_at: 2026-03-10T00:00+08:00

ZERO = {"deaths": 0, "missing": 0, "trapped": 0, "serious_injuries": 0, "injuries": 0}
ONE_SERIOUS = {**ZERO, "serious_injuries": 1}
TWO_SERIOUS = {**ZERO, "serious_injuries": 2}
TEXT = {"location": "万福街87号", "summary": "现场情况概述", "measures": "已疏散周边群众，救援力量到场"}
_FULL = object()


def figs(**changes: Any) -> dict[str, Any]:
    """All five casualty figures known, zero unless given."""
    return {**ZERO, **changes}


def fact(as_of: datetime | str, **figures: Any) -> dict[str, Any]:
    """One truth entry valid from as_of."""
    return {"as_of": iso(as_of), **figures}


def statement(figures: dict[str, Any] | None = None, *, occurred: datetime | str = OCC,
              known: datetime | str = KNOWN, omit: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
    """A complete `stated` block (times, place, summary, measures, the given figures) minus `omit`."""
    body: dict[str, Any] = {"occurred_at": iso(occurred), "known_at": iso(known), **TEXT, **(figures or {}), **extra}
    for key in omit:
        body.pop(key, None)
    return body


def report(rid: str, when: datetime | str, figures: dict[str, Any] | None = None, *, kind: str = "initial",
           channel: str = "written", content: Any = _FULL, note: str | None = None, **extra: Any) -> dict[str, Any]:
    """A report; by default its content is complete and states `figures`; content=None is an unrecorded report."""
    body = statement(figures, **extra) if content is _FULL else content
    return {"id": rid, "kind": kind, "channel": channel, "to": "绿园区应急管理局", "submitted_at": iso(when),
            "stated": body, "correction_note": note}


def incident(iid: str = "E1", *, category: str = "accident", type_: str = "construction_accident",
             occurred: datetime | str = OCC, known: datetime | str = KNOWN, closed: datetime | str | None = None,
             drill: bool = False, facts: Iterable[dict[str, Any]] | None = None,
             reports: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """An incident; by default a non-sensitive 一般 accident (1 serious injury) known at 08:00."""
    body: dict[str, Any] = {
        "id": iid, "category": category, "type": type_, "title": f"测试事件{iid}", "location": "万福街87号附近",
        "occurred_at": iso(occurred), "known_at": iso(known), "drill": drill,
        "truth": list(facts) if facts is not None else [fact(occurred, **ONE_SERIOUS)],
        "reports": list(reports),
    }
    if closed is not None:
        body["closed_at"] = iso(closed)
    return body


def signal(sid: str, when: datetime | str, incident_id: str | None = "E1", source: str = "12345") -> dict[str, Any]:
    """A signal from another channel, linked to an incident unless incident_id is None."""
    body: dict[str, Any] = {"id": sid, "source": source, "at": iso(when), "summary": "市民反映现场情况"}
    if incident_id is not None:
        body["incident"] = incident_id
    return body


def timeline(*incidents: dict[str, Any], audit_at: datetime | str = AUDIT,
             signals: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """A whole `emergency-timeline/1` document."""
    return {"format": "emergency-timeline/1", "office": "长春市绿园区正阳街道办事处", "audit_at": iso(audit_at),
            "incidents": list(incidents), "signals": list(signals)}


def replay(doc: dict[str, Any]) -> dict[str, Any]:
    """Replay a copy of the document (the input is never shared with the code under test)."""
    return replay_document(RULES, copy.deepcopy(doc))


def found(doc: dict[str, Any], incident_id: str | None = "E1") -> list[dict[str, Any]]:
    """The findings of one incident (all findings when incident_id is None)."""
    return [f for f in replay(doc)["findings"] if incident_id is None or f["incident"] == incident_id]


def kinds(doc: dict[str, Any], incident_id: str = "E1") -> list[str]:
    """Sorted finding types of one incident."""
    return sorted(f["type"] for f in found(doc, incident_id))


class Brief(NamedTuple):
    """The checkable core of a finding."""

    type: str
    report: str | None
    obligation: str | None
    due_at: str | None
    minutes_late: int | None


def brief(f: dict[str, Any]) -> Brief:
    """Reduce a finding to its type, report, obligation, due time and lateness."""
    return Brief(f["type"], f["report"], f["obligation"], f["due_at"], f["minutes_late"])


def briefs(doc: dict[str, Any], incident_id: str = "E1") -> list[Brief]:
    """Sorted briefs of one incident's findings."""
    return sorted((brief(f) for f in found(doc, incident_id)), key=repr)


def late(rid: str, obligation: str, due: datetime, minutes: int) -> Brief:
    """The expected brief of a late finding."""
    return Brief("late", rid, obligation, iso(due), minutes)


def missing_obligation(obligation: str, due: datetime) -> Brief:
    """The expected brief of a due-and-never-made (漏报) finding."""
    return Brief("missing", None, obligation, iso(due), None)


def with_final(reports: list[dict[str, Any]], figures: dict[str, Any], when: datetime) -> list[dict[str, Any]]:
    """Append a complete, truthful final report RZ."""
    return [*reports, report("RZ", when, figures, kind="final")]


def is_follow_up(f: dict[str, Any]) -> bool:
    """Whether a finding is about a follow-up (续报) obligation."""
    return (f["obligation"] or "").startswith("follow_up")


# --------------------------------------------------------------------------------------------------
# Finding shape (the Findings section of the spec).
# --------------------------------------------------------------------------------------------------

LABELS = {"late": "迟报", "missing": "漏报", "false": "谎报", "concealed": "瞒报"}


def test_finding_shape_labels_rules_and_evidence() -> None:
    """Every finding has its Chinese label, a rule naming rule id and legal source, and non-empty evidence."""
    doc = timeline(
        incident("E1", reports=[report("R1", at(1, 10), ONE_SERIOUS, channel="phone", omit=["measures"],
                                       occurred=at(1, 10))]),
        incident("E2"),
        signals=[signal("S1", at(1, 9, 30), "E2")],
    )
    result = replay(doc)
    assert {f["type"] for f in result["findings"]} == {"late", "missing", "false", "concealed"}
    for f in result["findings"]:
        assert f["label"] == LABELS[f["type"]]
        assert f["rule_id"] and f["rule"].startswith(f["rule_id"]) and len(f["rule"]) > len(f["rule_id"]) + 5
        assert isinstance(f["evidence"], str) and f["evidence"].strip()
        assert f["drill"] is False
        for key in ("due_at", "submitted_at"):
            assert f[key] is None or f[key].endswith("+08:00")


def test_empty_findings_for_clean_timeline() -> None:
    """A timeline with every obligation met on time and truthful, complete content has no findings."""
    doc = timeline(incident(closed=at(1, 12), reports=with_final([report("R1", at(1, 8, 30), ONE_SERIOUS)],
                                                                  ONE_SERIOUS, at(1, 13))))
    result = replay(doc)
    assert result["findings"] == []
    assert result["summary"] == {"incidents": 1, "obligations": 3, "on_time": 3, "late": 0, "missing": 0,
                                 "false": 0, "concealed": 0}


# --------------------------------------------------------------------------------------------------
# Deadline tiers and category caps (reporting-rules.md §2 defaults; plans/reporting-rules.yaml).
# --------------------------------------------------------------------------------------------------


class Tier(NamedTuple):
    """One grading/tier case: what the incident is, and its phone and written deadlines in minutes."""

    name: str
    category: str
    type_: str
    figures: dict[str, Any]
    phone: int
    written: int
    phone_rule: str
    written_rule: str | None  # None where tier and category cap are equal (either rule id is right)


TIERS = [
    Tier("I_accident_30_deaths", "accident", "construction_accident", figs(deaths=30), 15, 30,
         "initial.phone.major", "initial.written.major"),
    Tier("II_accident_10_deaths", "accident", "construction_accident", figs(deaths=10), 15, 30,
         "initial.phone.major", "initial.written.major"),
    Tier("II_accident_50_serious", "accident", "construction_accident", figs(serious_injuries=50), 15, 30,
         "initial.phone.major", "initial.written.major"),
    Tier("II_accident_loss_50m", "accident", "construction_accident", figs(direct_loss_yuan=50_000_000), 15, 30,
         "initial.phone.major", "initial.written.major"),
    Tier("III_accident_9_deaths", "accident", "construction_accident", figs(deaths=9), 30, 60,
         "initial.phone.larger", None),
    Tier("III_accident_3_deaths", "accident", "construction_accident", figs(deaths=3), 30, 60,
         "initial.phone.larger", None),
    Tier("III_accident_2_deaths_1_missing", "accident", "construction_accident", figs(deaths=2, missing=1), 30, 60,
         "initial.phone.larger", None),
    Tier("III_accident_49_serious", "accident", "construction_accident", figs(serious_injuries=49), 30, 60,
         "initial.phone.larger", None),
    Tier("III_accident_10_serious", "accident", "construction_accident", figs(serious_injuries=10), 30, 60,
         "initial.phone.larger", None),
    Tier("III_accident_loss_10m", "accident", "construction_accident", figs(direct_loss_yuan=10_000_000), 30, 60,
         "initial.phone.larger", None),
    Tier("IV_accident_2_deaths", "accident", "construction_accident", figs(deaths=2), 30, 60,
         "initial.phone.general_serious", None),
    Tier("IV_accident_1_death", "accident", "construction_accident", figs(deaths=1), 30, 60,
         "initial.phone.general_serious", None),
    Tier("IV_accident_1_missing", "accident", "construction_accident", figs(missing=1), 30, 60,
         "initial.phone.general_serious", None),
    Tier("IV_sensitive_accident", "accident", "gas_explosion", figs(), 30, 60,
         "initial.phone.general_serious", None),
    Tier("IV_natural_1_missing", "natural_disaster", "urban_waterlogging", figs(missing=1), 30, 60,
         "initial.phone.general_serious", "initial.written.general_serious"),
    Tier("IV_sensitive_social", "social_security", "mass_incident", figs(), 30, 60,
         "initial.phone.general_serious", "initial.written.general_serious"),
    Tier("IV_social_1_death", "social_security", "public_opinion", figs(deaths=1), 30, 60,
         "initial.phone.general_serious", "initial.written.general_serious"),
    Tier("IV_sensitive_public_health", "public_health", "food_poisoning", figs(), 30, 60,
         "initial.phone.general_serious", "initial.written.general_serious"),
    Tier("IV_accident_9_serious_capped", "accident", "construction_accident", figs(serious_injuries=9), 60, 60,
         "initial.phone.general", "accident.written.initial"),
    Tier("IV_accident_loss_below_10m_capped", "accident", "construction_accident", figs(direct_loss_yuan=9_999_999),
         60, 60, "initial.phone.general", "accident.written.initial"),
    Tier("IV_other_natural", "natural_disaster", "urban_waterlogging", figs(), 60, 120,
         "initial.phone.general", "initial.written.general"),
    Tier("IV_other_social", "social_security", "public_opinion", figs(), 60, 120,
         "initial.phone.general", "initial.written.general"),
    Tier("IV_other_public_health", "public_health", "occupational_poisoning", figs(), 60, 120,
         "initial.phone.general", None),
    Tier("ungraded_public_health_60_serious", "public_health", "occupational_poisoning",
         figs(serious_injuries=60), 60, 120, "initial.phone.general", None),
    Tier("earthquake_II_50_deaths", "natural_disaster", "earthquake", figs(deaths=50), 15, 30,
         "initial.phone.major", "initial.written.major"),
    Tier("earthquake_III_49_deaths", "natural_disaster", "earthquake", figs(deaths=49), 30, 60,
         "initial.phone.larger", "initial.written.larger"),
    Tier("earthquake_III_10_deaths", "natural_disaster", "earthquake", figs(deaths=10), 30, 60,
         "initial.phone.larger", "initial.written.larger"),
    Tier("earthquake_IV_9_deaths", "natural_disaster", "earthquake", figs(deaths=9), 30, 60,
         "initial.phone.general_serious", "initial.written.general_serious"),
    Tier("landslide_II_10_deaths", "natural_disaster", "landslide", figs(deaths=10), 15, 30,
         "initial.phone.major", "initial.written.major"),
    Tier("landslide_III_loss_1m", "natural_disaster", "landslide", figs(direct_loss_yuan=1_000_000), 30, 60,
         "initial.phone.larger", "initial.written.larger"),
    Tier("landslide_IV_loss_below_1m", "natural_disaster", "landslide", figs(direct_loss_yuan=999_999), 60, 120,
         "initial.phone.general", "initial.written.general"),
    Tier("risk_exposure_3_trapped", "accident", "construction_accident", figs(trapped=3), 30, 60,
         "initial.phone.larger", None),
    Tier("no_risk_exposure_2_trapped", "accident", "construction_accident", figs(trapped=2), 60, 60,
         "initial.phone.general", "accident.written.initial"),
    Tier("risk_exposure_only_for_accidents", "natural_disaster", "urban_waterlogging", figs(trapped=5), 60, 120,
         "initial.phone.general", "initial.written.general"),
]


def tier_doc(case: Tier, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One closed incident of the tier case (closed 11:00, final 12:00) with the given initial reports."""
    return timeline(incident(category=case.category, type_=case.type_, facts=[fact(OCC, **case.figures)],
                             closed=at(1, 11), reports=with_final(reports, case.figures, at(1, 12))))


@pytest.mark.parametrize("case", TIERS, ids=lambda c: c.name)
def test_initial_reports_exactly_at_due_times_are_on_time(case: Tier) -> None:
    """D1: phone at known_at+phone minutes and written at known_at+written minutes are both on time."""
    doc = tier_doc(case, [report("R1", KNOWN + mins(case.phone), case.figures, channel="phone"),
                          report("R2", KNOWN + mins(case.written), case.figures)])
    result = replay(doc)
    assert result["findings"] == []
    assert result["summary"]["on_time"] == result["summary"]["obligations"] == 3


@pytest.mark.parametrize("case", TIERS, ids=lambda c: c.name)
def test_phone_report_one_minute_after_due_is_late(case: Tier) -> None:
    """D1/D2: the first report one minute after the phone due time is late by 1 minute under the tier's rule."""
    phone_due = KNOWN + mins(case.phone)
    if case.written > case.phone:
        doc = tier_doc(case, [report("R1", phone_due + mins(1), case.figures, channel="phone"),
                              report("R2", KNOWN + mins(case.written), case.figures)])
        expected = [late("R1", "initial/phone", phone_due, 1)]
    else:  # phone and written due together: one written report a minute late misses both
        doc = tier_doc(case, [report("R1", phone_due + mins(1), case.figures)])
        expected = sorted([late("R1", "initial/phone", phone_due, 1),
                           late("R1", "initial/written", KNOWN + mins(case.written), 1)], key=repr)
    assert briefs(doc) == expected
    phone = [f for f in found(doc) if f["obligation"] == "initial/phone"]
    assert phone[0]["rule_id"] == case.phone_rule


@pytest.mark.parametrize("case", TIERS, ids=lambda c: c.name)
def test_written_report_one_minute_after_due_is_late(case: Tier) -> None:
    """D1/D2: a written report one minute after the written due time (tier or category cap) is late by 1."""
    written_due = KNOWN + mins(case.written)
    doc = tier_doc(case, [report("R1", KNOWN, case.figures, channel="phone"),
                          report("R2", written_due + mins(1), case.figures)])
    assert briefs(doc) == [late("R2", "initial/written", written_due, 1)]
    if case.written_rule is not None:
        assert found(doc)[0]["rule_id"] == case.written_rule


def test_one_second_late_is_late() -> None:
    """D1: a report one second after its due time is late (only 'exactly at' is on time)."""
    case = TIERS[0]
    doc = tier_doc(case, [report("R1", KNOWN + mins(15) + timedelta(seconds=1), case.figures, channel="phone"),
                          report("R2", KNOWN + mins(30), case.figures)])
    result = found(doc)
    assert [(f["type"], f["report"], f["obligation"], f["due_at"]) for f in result] == [
        ("late", "R1", "initial/phone", iso(KNOWN + mins(15)))]


def test_one_second_late_reports_at_least_one_minute() -> None:
    """Findings: a report one second late carries minutes_late 1 (rounded up), never 0 for a late finding."""
    case = TIERS[0]
    doc = tier_doc(case, [report("R1", KNOWN + mins(15) + timedelta(seconds=1), case.figures, channel="phone"),
                          report("R2", KNOWN + mins(30), case.figures)])
    assert found(doc)[0]["minutes_late"] == 1


def test_one_written_report_meets_both_initial_obligations() -> None:
    """D1: a single written report before the phone due time meets the phone and the written obligation."""
    doc = timeline(incident(type_="gas_explosion", closed=at(1, 11),
                            reports=with_final([report("R1", KNOWN + mins(30), ONE_SERIOUS)], ONE_SERIOUS, at(1, 12))))
    assert found(doc) == []


def test_phone_obligation_met_by_first_report_of_any_channel() -> None:
    """D1: the phone obligation is met by the first report whatever its channel, so a late written one is late twice."""
    doc = timeline(incident(type_="gas_explosion", closed=at(1, 11),
                            reports=with_final([report("R1", KNOWN + mins(31), ONE_SERIOUS, channel="platform")],
                                               ONE_SERIOUS, at(1, 12))))
    assert briefs(doc) == sorted([late("R1", "initial/phone", KNOWN + mins(30), 1)], key=repr)


@pytest.mark.parametrize("channel", ["written", "platform", "unknown"])
def test_written_obligation_met_by_written_platform_or_unknown(channel: str) -> None:
    """D1: a `written`, `platform` or `unknown` report meets the written obligation."""
    doc = timeline(incident(reports=[report("R1", at(1, 8, 30), ONE_SERIOUS, channel="phone"),
                                     report("R2", at(1, 9), ONE_SERIOUS, channel=channel)]))
    assert found(doc) == []


def test_phone_reports_never_meet_the_written_obligation() -> None:
    """D1/D2: only phone reports were made: the written obligation is missing at its due time."""
    doc = timeline(incident(reports=[report("R1", at(1, 8, 30), ONE_SERIOUS, channel="phone"),
                                     report("R2", at(1, 8, 40), ONE_SERIOUS, channel="phone")]))
    assert briefs(doc) == [missing_obligation("initial/written", at(1, 9))]


def test_accident_written_cap_is_60_minutes() -> None:
    """Category cap: a plain 一般 accident's written report is due 60 min after known_at (tier says 120)."""
    on_time = timeline(incident(reports=[report("R1", at(1, 8, 30), ONE_SERIOUS, channel="phone"),
                                         report("R2", at(1, 9), ONE_SERIOUS)]))
    too_late = timeline(incident(reports=[report("R1", at(1, 8, 30), ONE_SERIOUS, channel="phone"),
                                          report("R2", at(1, 9, 1), ONE_SERIOUS)]))
    assert found(on_time) == []
    assert briefs(too_late) == [late("R2", "initial/written", at(1, 9), 1)]
    assert found(too_late)[0]["rule_id"] == "accident.written.initial"


def test_public_health_written_cap_is_120_minutes(tmp_path: Path) -> None:
    """Category cap: with a district tier of 180 min, public health stays at 120 min while others take 180."""
    override = tmp_path / "district.yaml"
    override.write_text("tiers:\n  - id: general\n    written:\n      minutes: 180\n", encoding="utf-8")
    rules = load_rules(override=override)

    def doc(category: str, type_: str, written_at: datetime) -> dict[str, Any]:
        return timeline(incident(category=category, type_=type_, facts=[fact(OCC, **ZERO)],
                                 reports=[report("R1", at(1, 8, 30), ZERO, channel="phone"),
                                          report("R2", written_at, ZERO)]))

    health_on_time = replay_document(rules, doc("public_health", "occupational_poisoning", at(1, 10)))
    health_late = replay_document(rules, doc("public_health", "occupational_poisoning", at(1, 10, 1)))
    natural = replay_document(rules, doc("natural_disaster", "urban_waterlogging", at(1, 11)))
    natural_late = replay_document(rules, doc("natural_disaster", "urban_waterlogging", at(1, 11, 1)))
    assert health_on_time["findings"] == []
    assert [brief(f) for f in health_late["findings"]] == [late("R2", "initial/written", at(1, 10), 1)]
    assert health_late["findings"][0]["rule_id"] == "public_health.written.initial"
    assert natural["findings"] == []
    assert [brief(f) for f in natural_late["findings"]] == [late("R2", "initial/written", at(1, 11), 1)]


def test_sensitive_flag_comes_from_event_catalogue() -> None:
    """Tiers: a sensitive type (gas_explosion) gets 30 min phone while a non-sensitive one (gas_leak) gets 60."""
    def doc(type_: str) -> dict[str, Any]:
        return timeline(incident(type_=type_, closed=at(1, 11),
                                 reports=with_final([report("R1", at(1, 8, 45), ONE_SERIOUS)], ONE_SERIOUS,
                                                    at(1, 12))))

    assert briefs(doc("gas_leak")) == []
    assert briefs(doc("gas_explosion")) == [late("R1", "initial/phone", at(1, 8, 30), 15)]


# --------------------------------------------------------------------------------------------------
# D2 / D3: due and never made; concealed; concealed and late together.
# --------------------------------------------------------------------------------------------------


def test_never_reported_is_concealed_alone() -> None:
    """D3/D4: known and never reported by audit_at (truth changing, incident closed): concealed alone, with no
    late, no missing initial obligation and no follow-up or final due."""
    doc = timeline(incident(facts=[fact(OCC, **ONE_SERIOUS), fact(at(1, 15), **TWO_SERIOUS)], closed=at(1, 16)))
    result = found(doc)
    assert [(f["type"], f["report"]) for f in result] == [("concealed", None)]


def test_never_reported_major_open_incident_has_no_follow_up_findings() -> None:
    """D3/D4: a never-reported 重大 incident open for days gets concealed alone (no cadence or final due)."""
    doc = timeline(incident(facts=[fact(OCC, **figs(deaths=10))], closed=at(5, 12)),
                   signals=[signal("S1", at(1, 9))])
    assert kinds(doc) == ["concealed"]


def test_never_reported_before_initial_deadline_is_nothing() -> None:
    """D2/D3: if the initial deadlines have not passed by audit_at, an unreported incident has no finding."""
    doc = timeline(incident(), audit_at=at(1, 8, 59))
    assert found(doc) == []


def test_signal_before_late_first_report_is_concealed_and_late() -> None:
    """D3: a signal exposed the incident before the office's first (late) report: concealed plus each late obligation."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS)]), signals=[signal("S1", at(1, 9, 30))])
    result = found(doc)
    assert sorted(brief(f) for f in result if f["type"] == "late") == sorted(
        [late("R1", "initial/phone", at(1, 9), 60), late("R1", "initial/written", at(1, 9), 60)], key=repr)
    concealed = [f for f in result if f["type"] == "concealed"]
    assert len(concealed) == 1 and concealed[0]["report"] == "R1"
    assert len(result) == 3


def test_signal_before_known_at_still_exposes() -> None:
    """D3: a signal earlier than known_at precedes the late first report: concealed and late."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS)]), signals=[signal("S1", at(1, 7, 55))])
    assert kinds(doc) == ["concealed", "late", "late"]


def test_late_without_exposure_is_late_only() -> None:
    """D3: a late first report with no signal before it is late, not concealed."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS)]))
    assert briefs(doc) == sorted([late("R1", "initial/phone", at(1, 9), 60),
                                  late("R1", "initial/written", at(1, 9), 60)], key=repr)


def test_signal_after_first_report_does_not_make_concealed() -> None:
    """D3: a signal after the office's (late) first report does not make it concealed."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS)]), signals=[signal("S1", at(1, 10, 30))])
    assert kinds(doc) == ["late", "late"]


def test_signal_about_another_incident_does_not_expose() -> None:
    """D3: a signal linked to a different incident does not expose this one."""
    doc = timeline(incident("E1", reports=[report("R1", at(1, 10), ONE_SERIOUS)]),
                   incident("E2", reports=[report("Q1", at(1, 8, 30), ONE_SERIOUS)]),
                   signals=[signal("S1", at(1, 9, 30), "E2")])
    assert kinds(doc, "E1") == ["late", "late"]
    assert kinds(doc, "E2") == []


def test_unlinked_signal_does_not_expose() -> None:
    """D3: a signal linked to no incident cannot expose a particular incident."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS)]), signals=[signal("S1", at(1, 9, 30), None)])
    assert kinds(doc) == ["late", "late"]


def test_signal_before_on_time_report_is_nothing() -> None:
    """D3: a signal before an on-time first report changes nothing."""
    doc = timeline(incident(reports=[report("R1", at(1, 8, 45), ONE_SERIOUS)]), signals=[signal("S1", at(1, 8, 10))])
    assert found(doc) == []


def test_concealed_covers_unmet_initial_written_obligation() -> None:
    """D2/D3: exposed, first reported late by phone, never in writing: concealed and late phone; the concealed
    finding covers the unmet written obligation (no separate missing)."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS, channel="phone")]),
                   signals=[signal("S1", at(1, 9, 30))])
    result = found(doc)
    assert sorted(brief(f) for f in result if f["type"] != "concealed") == [late("R1", "initial/phone", at(1, 9), 60)]
    assert [f["type"] for f in result].count("concealed") == 1
    assert len(result) == 2


def test_unexposed_phone_only_late_report_leaves_written_missing() -> None:
    """D2: without exposure, a late phone-only first report is late, and the written obligation is missing."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS, channel="phone")]))
    assert briefs(doc) == sorted([late("R1", "initial/phone", at(1, 9), 60),
                                  missing_obligation("initial/written", at(1, 9))], key=repr)


def test_unrecorded_call_counts_for_timeliness_only() -> None:
    """Field notes/D2: stated null meets the phone obligation and is not judged; written and final go missing."""
    doc = timeline(incident(facts=[fact(OCC, **figs(deaths=1))], closed=at(1, 12),
                            reports=[report("R1", at(1, 8, 20), channel="phone", content=None)]))
    assert briefs(doc) == sorted([missing_obligation("initial/written", at(1, 9)),
                                  missing_obligation("final", at(2, 12))], key=repr)


# --------------------------------------------------------------------------------------------------
# D4: final report.
# --------------------------------------------------------------------------------------------------


def closed_doc(final_at: datetime | None, audit_at: datetime = AUDIT) -> dict[str, Any]:
    """Default incident reported at 08:30, closed 12:00 on day 1, with an optional final report."""
    reports = [report("R1", at(1, 8, 30), ONE_SERIOUS)]
    if final_at is not None:
        reports = with_final(reports, ONE_SERIOUS, final_at)
    return timeline(incident(closed=at(1, 12), reports=reports), audit_at=audit_at)


def test_final_report_exactly_24h_after_closure_is_on_time() -> None:
    """D4: a final report exactly 24 h after closed_at is on time."""
    assert found(closed_doc(at(2, 12))) == []


def test_final_report_one_minute_after_24h_is_late() -> None:
    """D4: a final report 24 h + 1 min after closed_at is late by 1 minute."""
    result = found(closed_doc(at(2, 12, 1)))
    assert [brief(f) for f in result] == [late("RZ", "final", at(2, 12), 1)]
    assert result[0]["rule_id"] == "final.after_closure"


def test_final_report_never_made_is_missing() -> None:
    """D4: no final report by audit_at after its due time: one missing finding naming the final obligation."""
    assert briefs(closed_doc(None)) == [missing_obligation("final", at(2, 12))]


def test_final_not_yet_due_at_audit_is_nothing() -> None:
    """D2: a final report whose due time is after audit_at is not judged."""
    assert found(closed_doc(None, audit_at=at(2, 11, 59))) == []


def test_final_due_just_before_audit_is_missing() -> None:
    """D2: a final report due one minute before audit_at and never made is missing."""
    assert briefs(closed_doc(None, audit_at=at(2, 12, 1))) == [missing_obligation("final", at(2, 12))]


def test_closed_after_audit_means_no_final_due() -> None:
    """D4: an incident still open at audit_at (closed_at after it) owes no final report."""
    doc = timeline(incident(closed=at(3, 12), reports=[report("R1", at(1, 8, 30), ONE_SERIOUS)]), audit_at=at(3, 0))
    assert found(doc) == []


# --------------------------------------------------------------------------------------------------
# D4: cadence (12 h for 重大 and above, 24 h for 较大 and serious 一般, none for plain 一般).
# --------------------------------------------------------------------------------------------------

MAJOR = figs(deaths=10)


def major_doc(follow_ups: list[datetime], *, closed: datetime | None, final_at: datetime | None = None,
              audit_at: datetime = AUDIT) -> dict[str, Any]:
    """A 重大 accident (10 deaths): phone 08:05, written 08:10, follow-ups at the given times."""
    reports = [report("R1", at(1, 8, 5), MAJOR, channel="phone"), report("R2", at(1, 8, 10), MAJOR)]
    reports += [report(f"F{i}", when, MAJOR, kind="follow_up") for i, when in enumerate(follow_ups, 1)]
    if final_at is not None:
        reports = with_final(reports, MAJOR, final_at)
    return timeline(incident(facts=[fact(OCC, **MAJOR)], closed=closed, reports=reports), audit_at=audit_at)


def test_major_cadence_met_exactly_at_12h() -> None:
    """D4: a follow-up exactly 12 h after the latest report is on time; closing before the next due ends cadence."""
    assert found(major_doc([at(1, 20, 10)], closed=at(2, 8), final_at=at(2, 9))) == []


def test_summary_counts_only_obligations_that_fell_due() -> None:
    """D2/D4 + summary: a follow-up not due by audit_at, or due only after closure, is not an obligation."""
    closed = replay(major_doc([at(1, 20, 10)], closed=at(2, 8), final_at=at(2, 9)))["summary"]
    assert (closed["obligations"], closed["on_time"]) == (4, 4)  # phone, written, one follow-up, final
    still_open = replay(major_doc([], closed=None, audit_at=at(1, 20)))["summary"]
    assert (still_open["obligations"], still_open["on_time"]) == (2, 2)  # phone, written; cadence due 20:10


def test_major_cadence_one_minute_late() -> None:
    """D4/D2: a follow-up 12 h + 1 min after the latest report is late by 1 minute against that due time."""
    result = found(major_doc([at(1, 20, 11)], closed=at(2, 8), final_at=at(2, 9)))
    assert [(f["type"], f["report"], f["due_at"], f["minutes_late"]) for f in result] == [
        ("late", "F1", iso(at(1, 20, 10)), 1)]
    assert is_follow_up(result[0])
    assert result[0]["rule_id"] == "follow_up.cadence.major"


def test_cadence_counts_from_late_follow_up() -> None:
    """D4: after a late follow-up the next one is due 12 h after that late report."""
    on_time = found(major_doc([at(1, 21, 10), at(2, 9, 10)], closed=at(2, 12), final_at=at(2, 13)))
    assert [(f["type"], f["report"], f["due_at"], f["minutes_late"]) for f in on_time] == [
        ("late", "F1", iso(at(1, 20, 10)), 60)]
    second_late = found(major_doc([at(1, 21, 10), at(2, 9, 11)], closed=at(2, 12), final_at=at(2, 13)))
    assert sorted((f["type"], f["report"], f["due_at"], f["minutes_late"]) for f in second_late) == [
        ("late", "F1", iso(at(1, 20, 10)), 60), ("late", "F2", iso(at(2, 9, 10)), 1)]


def test_cadence_missed_dues_chain_from_previous_due_time() -> None:
    """D4: with no follow-ups at all, each missed due time starts the next: one missing finding per 12 h."""
    result = found(major_doc([], closed=None, audit_at=at(3, 3)))
    assert all(is_follow_up(f) for f in result)
    assert sorted((f["type"], f["report"], f["due_at"]) for f in result) == [
        ("missing", None, iso(at(1, 20, 10))), ("missing", None, iso(at(2, 8, 10))),
        ("missing", None, iso(at(2, 20, 10)))]


def test_cadence_stops_at_closure() -> None:
    """D4: cadence runs only while open: the dues before closed_at are missing, none after it; the final is missing."""
    result = found(major_doc([], closed=at(2, 12)))
    assert sorted((f["type"], f["obligation"] if f["obligation"] == "final" else "follow_up", f["due_at"])
                  for f in result) == [
        ("missing", "final", iso(at(3, 12))),
        ("missing", "follow_up", iso(at(1, 20, 10))), ("missing", "follow_up", iso(at(2, 8, 10)))]


def test_each_overdue_cadence_due_gets_a_finding() -> None:
    """D4: three 12 h dues pass with no report (20:10, 08:10, 20:10); a follow-up at 21:00 day 2 cannot erase two of
    them: each due time gets a late or missing finding."""
    result = found(major_doc([at(2, 21)], closed=None, audit_at=at(3, 3)))
    assert all(is_follow_up(f) and f["type"] in ("late", "missing") for f in result)
    assert sorted(f["due_at"] for f in result) == [iso(at(1, 20, 10)), iso(at(2, 8, 10)), iso(at(2, 20, 10))]


def test_cadence_counts_from_an_early_follow_up() -> None:
    """D4 (with example 09): an early follow-up restarts the 12 h clock, so the next one is due 12 h after it."""
    result = found(major_doc([at(1, 14, 10), at(2, 3)], closed=at(2, 4), final_at=at(2, 5)))
    assert [(f["type"], f["report"], f["due_at"], f["minutes_late"]) for f in result] == [
        ("late", "F2", iso(at(2, 2, 10)), 50)]
    assert is_follow_up(result[0])


DAILY = [
    ("larger_3_deaths", "accident", "construction_accident", figs(deaths=3), "follow_up.cadence.larger"),
    ("general_1_death", "accident", "construction_accident", figs(deaths=1), "follow_up.cadence.general_serious"),
    ("general_1_missing", "natural_disaster", "urban_waterlogging", figs(missing=1),
     "follow_up.cadence.general_serious"),
    ("general_sensitive", "social_security", "mass_incident", figs(), "follow_up.cadence.general_serious"),
    ("risk_exposure", "accident", "construction_accident", figs(trapped=3), "follow_up.cadence.larger"),
]


def daily_doc(category: str, type_: str, figures: dict[str, Any], follow_up: datetime) -> dict[str, Any]:
    """Initial phone 08:05 and written 08:10, one follow-up, closed 12:00 day 2, final 13:00 day 2."""
    reports = [report("R1", at(1, 8, 5), figures, channel="phone"), report("R2", at(1, 8, 10), figures),
               report("F1", follow_up, figures, kind="follow_up")]
    return timeline(incident(category=category, type_=type_, facts=[fact(OCC, **figures)], closed=at(2, 12),
                             reports=with_final(reports, figures, at(2, 13))))


@pytest.mark.parametrize(("name", "category", "type_", "figures", "rule_id"), DAILY, ids=[d[0] for d in DAILY])
def test_daily_cadence_met_at_24h(name: str, category: str, type_: str, figures: dict[str, Any],
                                  rule_id: str) -> None:
    """D4: 较大, 较大涉险 and 一般 with deaths/missing/sensitive: a follow-up exactly 24 h later is on time."""
    assert found(daily_doc(category, type_, figures, at(2, 8, 10))) == []


@pytest.mark.parametrize(("name", "category", "type_", "figures", "rule_id"), DAILY, ids=[d[0] for d in DAILY])
def test_daily_cadence_one_minute_late(name: str, category: str, type_: str, figures: dict[str, Any],
                                       rule_id: str) -> None:
    """D4: a follow-up 24 h + 1 min after the latest report is late by 1 minute under the tier's cadence rule."""
    result = found(daily_doc(category, type_, figures, at(2, 8, 11)))
    assert [(f["type"], f["report"], f["due_at"], f["minutes_late"]) for f in result] == [
        ("late", "F1", iso(at(2, 8, 10)), 1)]
    assert result[0]["rule_id"] == rule_id


@pytest.mark.parametrize(("category", "type_"), [("accident", "construction_accident"),
                                                 ("natural_disaster", "urban_waterlogging"),
                                                 ("social_security", "public_opinion")])
def test_no_cadence_for_plain_general(category: str, type_: str) -> None:
    """D4: a plain 一般 incident (no deaths/missing, not sensitive) open for days owes no follow-up."""
    doc = timeline(incident(category=category, type_=type_,
                            reports=[report("R1", at(1, 8, 20), ONE_SERIOUS)]))
    assert found(doc) == []


# --------------------------------------------------------------------------------------------------
# D4: casualty-change follow-up.
# --------------------------------------------------------------------------------------------------

CHANGE_AUDIT = at(61, 0)  # 2026-04-30: after every casualty-change window


def change_doc(change: datetime | str, follow_up: datetime | str | None, *, type_: str = "construction_accident",
               audit_at: datetime = CHANGE_AUDIT, follow_up_content: Any = _FULL,
               follow_up_channel: str = "written") -> dict[str, Any]:
    """A plain 一般 accident reported at 08:30 whose serious injuries rise from 1 to 2 at `change`."""
    reports = [report("R1", at(1, 8, 30), ONE_SERIOUS)]
    if follow_up is not None:
        reports.append(report("F1", follow_up, TWO_SERIOUS, kind="follow_up", content=follow_up_content,
                              channel=follow_up_channel))
    return timeline(incident(type_=type_, facts=[fact(OCC, **ONE_SERIOUS), fact(change, **TWO_SERIOUS)],
                             reports=reports), audit_at=audit_at)


def test_casualty_change_follow_up_due_at_midnight() -> None:
    """D4: a change at 15:00 makes a follow-up due by 24:00 that day; a report exactly then is on time."""
    assert found(change_doc(at(1, 15), at(2, 0))) == []


def test_casualty_change_follow_up_one_minute_after_midnight_is_late() -> None:
    """D4: the follow-up at 00:01 the next day is late by 1 minute against the 24:00 due time."""
    result = found(change_doc(at(1, 15), at(2, 0, 1)))
    assert [(f["type"], f["report"], f["due_at"], f["minutes_late"]) for f in result] == [
        ("late", "F1", iso(at(2, 0)), 1)]
    assert is_follow_up(result[0]) and result[0]["rule_id"] == "follow_up.casualty_change"


def test_casualty_change_follow_up_never_made_is_missing() -> None:
    """D4: no report after the change: one missing follow-up due at 24:00 that day."""
    result = found(change_doc(at(1, 15), None))
    assert [(f["type"], f["report"], f["due_at"]) for f in result] == [("missing", None, iso(at(2, 0)))]
    assert is_follow_up(result[0])


@pytest.mark.parametrize(("change", "due"), [
    (at(1, 22, 0), at(2, 0, 0)),
    (at(1, 22, 30), at(2, 0, 30)),
    (at(1, 23, 0), at(2, 1, 0)),
    (at(1, 23, 59), at(2, 1, 59)),
    (at(1, 21, 59), at(2, 0, 0)),
], ids=["22h00", "22h30", "23h00", "23h59", "21h59"])
def test_casualty_change_due_never_less_than_two_hours(change: datetime, due: datetime) -> None:
    """D4: the follow-up is due at the later of 24:00 that day and the change + 2 h (both sides checked)."""
    assert found(change_doc(change, due)) == []
    result = found(change_doc(change, due + mins(1)))
    assert [(f["type"], f["due_at"], f["minutes_late"]) for f in result] == [("late", iso(due), 1)]


def test_casualty_change_day_is_asia_shanghai() -> None:
    """D4: 'that day' is the Asia/Shanghai day: a change at 17:00 UTC (01:00 next day in Beijing) is due 24:00 of day 2."""
    result = found(change_doc("2026-03-01T17:00:00+00:00", None))
    assert [(f["type"], f["due_at"]) for f in result] == [("missing", "2026-03-03T00:00:00+08:00")]


def test_any_report_after_change_meets_follow_up() -> None:
    """D4: any report after the change meets it, even an unrecorded phone call."""
    assert found(change_doc(at(1, 15), at(1, 16), follow_up_content=None, follow_up_channel="phone")) == []


def test_change_before_first_report_needs_no_follow_up() -> None:
    """D4: a change before any report is covered by the (late) initial report; no follow-up is due for it."""
    doc = timeline(incident(facts=[fact(OCC, **ONE_SERIOUS), fact(at(1, 8, 30), **TWO_SERIOUS)],
                            reports=[report("R1", at(1, 10), TWO_SERIOUS)]))
    assert briefs(doc) == sorted([late("R1", "initial/phone", at(1, 9), 60),
                                  late("R1", "initial/written", at(1, 9), 60)], key=repr)


def test_two_changes_one_follow_up_after_both() -> None:
    """D4: one report after two changes meets the follow-ups of both."""
    doc = timeline(incident(facts=[fact(OCC, **ONE_SERIOUS), fact(at(1, 15), **TWO_SERIOUS),
                                   fact(at(1, 16), **{**ZERO, "serious_injuries": 3})],
                            reports=[report("R1", at(1, 8, 30), ONE_SERIOUS),
                                     report("F1", at(1, 17), {**ZERO, "serious_injuries": 3}, kind="follow_up")]),
                   audit_at=at(5, 0))
    assert found(doc) == []


@pytest.mark.parametrize(("type_", "days_in", "days_out"), [
    ("construction_accident", 29, 31), ("gas_leak", 29, 31), ("fire", 6, 8), ("road_traffic", 6, 8),
])
def test_casualty_change_window(type_: str, days_in: int, days_out: int) -> None:
    """D4: a change inside the window (30 days; 7 for fire and road_traffic) makes a follow-up due; outside it does not."""
    inside = found(change_doc(at(1 + days_in, 12), None, type_=type_))
    assert [(f["type"], f["due_at"]) for f in inside] == [("missing", iso(at(2 + days_in, 0)))]
    assert found(change_doc(at(1 + days_out, 12), None, type_=type_)) == []


# --------------------------------------------------------------------------------------------------
# D7: grade, upgrades, 较大涉险.
# --------------------------------------------------------------------------------------------------


def test_grade_is_set_by_truth_as_of_known_at() -> None:
    """D7: later truth (3 deaths at 12:00) does not shorten deadlines already met under the grade at known_at."""
    three = figs(deaths=3, serious_injuries=1)
    doc = timeline(incident(facts=[fact(OCC, **ONE_SERIOUS), fact(at(1, 12), **three)], closed=at(1, 20),
                            reports=with_final([report("R1", at(1, 8, 59), ONE_SERIOUS),
                                                report("F1", at(1, 13, 30), three, kind="follow_up")],
                                               three, at(1, 21))))
    assert found(doc) == []


def test_upgrade_before_initial_report_brings_deadlines_forward() -> None:
    """D7: 10 deaths verified at 08:20 make phone due 08:35 and written due 08:50 (from that as_of)."""
    ten = figs(deaths=10, serious_injuries=1)

    def doc(first: datetime) -> dict[str, Any]:
        return timeline(incident(facts=[fact(OCC, **ONE_SERIOUS), fact(at(1, 8, 20), **ten)], closed=at(1, 12),
                                 reports=with_final([report("R1", first, ten)], ten, at(1, 13))))

    assert found(doc(at(1, 8, 35))) == []
    result = found(doc(at(1, 8, 51)))
    assert sorted(brief(f) for f in result) == sorted([late("R1", "initial/phone", at(1, 8, 35), 16),
                                                      late("R1", "initial/written", at(1, 8, 50), 1)], key=repr)
    assert {f["obligation"]: f["rule_id"] for f in result}["initial/phone"] == "initial.phone.major"


def test_upgrade_after_phone_shortens_written_only() -> None:
    """D7: a landslide phoned in at 08:30 turns 重大 at 09:00: written due 09:30, the met phone is not re-opened."""
    ten = figs(deaths=10)

    def doc(written: datetime) -> dict[str, Any]:
        return timeline(incident(category="natural_disaster", type_="landslide",
                                 facts=[fact(OCC, **ZERO), fact(at(1, 9), **ten)], closed=at(1, 12),
                                 reports=with_final([report("R1", at(1, 8, 30), ZERO, channel="phone"),
                                                     report("R2", written, ten)], ten, at(1, 13))))

    assert found(doc(at(1, 9, 30))) == []
    assert briefs(doc(at(1, 9, 31))) == [late("R2", "initial/written", at(1, 9, 30), 1)]


def test_upgrade_after_initial_met_does_not_reopen_and_brings_new_cadence() -> None:
    """D7/D4: 10 deaths after the initial reports: nothing re-opened, but the 12 h cadence now runs from the follow-up."""
    ten = figs(deaths=10, serious_injuries=1)

    def doc(extra: list[dict[str, Any]]) -> dict[str, Any]:
        reports = [report("R1", at(1, 8, 30), ONE_SERIOUS), report("F1", at(1, 10, 30), ten, kind="follow_up"),
                   *extra]
        return timeline(incident(facts=[fact(OCC, **ONE_SERIOUS), fact(at(1, 10), **ten)], closed=at(1, 23),
                                 reports=with_final(reports, ten, at(1, 23, 30))))

    assert found(doc([report("F2", at(1, 22, 30), ten, kind="follow_up")])) == []
    result = found(doc([report("F2", at(1, 22, 31), ten, kind="follow_up")]))
    assert [(f["type"], f["report"], f["due_at"], f["minutes_late"]) for f in result] == [
        ("late", "F2", iso(at(1, 22, 30)), 1)]
    assert is_follow_up(result[0])


def test_risk_exposure_later_takes_larger_phone_deadline() -> None:
    """D7: 3 trapped verified at 08:20 make the accident 较大涉险: phone due 08:50 under the 较大 rule."""
    trapped = figs(trapped=3, serious_injuries=1)
    doc = timeline(incident(facts=[fact(OCC, **ONE_SERIOUS), fact(at(1, 8, 20), **trapped)], closed=at(1, 11),
                            reports=with_final([report("R1", at(1, 8, 51), trapped)], trapped, at(1, 12))))
    result = found(doc)
    assert [brief(f) for f in result] == [late("R1", "initial/phone", at(1, 8, 50), 1)]
    assert result[0]["rule_id"] == "initial.phone.larger"


# --------------------------------------------------------------------------------------------------
# D5: false statements.
# --------------------------------------------------------------------------------------------------


def false_doc(truth_figures: dict[str, Any], stated_figures: dict[str, Any], *, type_: str = "construction_accident",
              category: str = "accident", final_figures: dict[str, Any] | None = None,
              **stated_extra: Any) -> dict[str, Any]:
    """One incident reported by a single written report at 08:20, closed 12:00, final at 13:00 (truthful unless
    final_figures is given)."""
    final = truth_figures if final_figures is None else final_figures
    return timeline(incident(category=category, type_=type_, facts=[fact(OCC, **truth_figures)], closed=at(1, 12),
                             reports=with_final([report("R1", at(1, 8, 20), stated_figures, **stated_extra)],
                                                final, at(1, 13))))


def false_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The false findings of incident E1."""
    return [f for f in found(doc) if f["type"] == "false"]


@pytest.mark.parametrize("figure", ["deaths", "missing", "trapped", "serious_injuries"])
def test_understated_casualty_figure_is_false(figure: str) -> None:
    """D5: stating fewer deaths, missing, trapped or seriously injured than the truth is false (谎报)."""
    result = found(false_doc(figs(**{figure: 2}), figs(**{figure: 1})))
    assert [(f["type"], f["report"]) for f in result] == [("false", "R1")]
    assert result[0]["rule_id"] == "false.casualties"


@pytest.mark.parametrize("figure", ["deaths", "missing", "trapped", "serious_injuries", "injuries"])
def test_exact_or_overstated_figures_are_not_false(figure: str) -> None:
    """D5: stating the true figure, or more, is not false."""
    assert found(false_doc(figs(**{figure: 2}), figs(**{figure: 2}))) == []
    # the final repeats the overstated figure: going back to the truth would be a lowering (tested elsewhere)
    assert found(false_doc(figs(**{figure: 2}), figs(**{figure: 3}), final_figures=figs(**{figure: 3}))) == []


def test_understated_minor_injuries_are_not_false() -> None:
    """D5: minor injuries are not among the figures whose understatement is false."""
    assert found(false_doc(figs(injuries=5), figs(injuries=3))) == []


def test_figure_truth_does_not_know_is_not_judged_false() -> None:
    """D5: a figure the truth leaves null cannot be understated."""
    truth_figures = {"serious_injuries": 1, "deaths": None}
    assert found(false_doc(truth_figures, {"serious_injuries": 1, "deaths": 0})) == []


def test_false_compares_with_truth_as_of_submitted_at() -> None:
    """D5: the truth entry with as_of equal to submitted_at counts; one a minute later does not."""
    one = figs(deaths=1)

    def doc(first: datetime) -> dict[str, Any]:
        return timeline(incident(facts=[fact(OCC, **ZERO), fact(at(1, 8, 20), **one)], closed=at(1, 12),
                                 reports=with_final([report("R1", first, ZERO),
                                                     report("F1", at(1, 9), one, kind="follow_up")],
                                                    one, at(1, 13))))

    assert [(f["type"], f["report"]) for f in found(doc(at(1, 8, 20)))] == [("false", "R1")]
    assert found(doc(at(1, 8, 19))) == []


@pytest.mark.parametrize("field", ["occurred_at", "known_at"])
def test_time_statement_tolerance(field: str) -> None:
    """D5: a stated occurred_at/known_at later than the truth by exactly 60 min is fine; by 61 min it is false."""
    true_time = OCC if field == "occurred_at" else KNOWN
    key = "occurred" if field == "occurred_at" else "known"
    exact: dict[str, Any] = {key: true_time + mins(60)}
    beyond: dict[str, Any] = {key: true_time + mins(61)}
    assert found(false_doc(ONE_SERIOUS, ONE_SERIOUS, **exact)) == []
    result = found(false_doc(ONE_SERIOUS, ONE_SERIOUS, **beyond))
    assert [(f["type"], f["report"], f["rule_id"]) for f in result] == [("false", "R1", "false.time_statement")]


@pytest.mark.parametrize("field", ["occurred_at", "known_at"])
def test_earlier_stated_time_is_not_false(field: str) -> None:
    """D5: a stated time earlier than the truth (even by hours) is not false."""
    key = "occurred" if field == "occurred_at" else "known"
    true_time = OCC if field == "occurred_at" else KNOWN
    earlier: dict[str, Any] = {key: true_time - mins(180)}
    assert found(false_doc(ONE_SERIOUS, ONE_SERIOUS, **earlier)) == []


def test_time_statement_in_another_offset_is_compared_as_an_instant() -> None:
    """D5: a stated occurred_at in UTC that equals the true instant is not false."""
    assert found(false_doc(ONE_SERIOUS, ONE_SERIOUS, occurred="2026-02-28T23:50:00+00:00")) == []


@pytest.mark.parametrize(("category", "type_", "truth_figures", "stated_severity", "is_false"), [
    ("accident", "construction_accident", figs(deaths=3), "IV", True),
    ("accident", "construction_accident", figs(deaths=3), "III", False),
    ("accident", "construction_accident", figs(deaths=3), "II", False),
    ("accident", "construction_accident", figs(serious_injuries=50), "III", True),
    ("accident", "construction_accident", figs(serious_injuries=50), "II", False),
    ("accident", "construction_accident", figs(deaths=30), "II", True),
    ("accident", "construction_accident", figs(deaths=30), "I", False),
    ("accident", "construction_accident", figs(direct_loss_yuan=10_000_000), "IV", True),
    ("accident", "construction_accident", figs(deaths=2), "IV", False),
    ("natural_disaster", "earthquake", figs(deaths=10), "IV", True),
    ("natural_disaster", "earthquake", figs(deaths=10), "III", False),
    ("natural_disaster", "landslide", figs(deaths=2), "IV", False),
], ids=["acc3d_IV", "acc3d_III", "acc3d_II", "acc50s_III", "acc50s_II", "acc30d_II", "acc30d_I", "acc10m_IV",
        "acc2d_IV", "eq10d_IV", "eq10d_III", "land2d_IV"])
def test_severity_stated_lower_than_truth_supports(category: str, type_: str, truth_figures: dict[str, Any],
                                                    stated_severity: str, is_false: bool) -> None:
    """D5: a stated severity lower than the grade the truth supports is false; equal or higher is not."""
    doc = false_doc(truth_figures, truth_figures, category=category, type_=type_, severity=stated_severity)
    doc["incidents"][0]["reports"][0]["submitted_at"] = iso(at(1, 8, 10))  # within every tier's phone deadline
    result = found(doc)
    if is_false:
        assert [(f["type"], f["report"], f["rule_id"]) for f in result] == [("false", "R1", "false.severity")]
    else:
        assert result == []


def test_severity_judged_against_truth_at_submission() -> None:
    """D5: IV was right before 3 deaths were verified; stating IV after that is false."""
    one, three = figs(deaths=1), figs(deaths=3)

    def doc(follow_up_severity: str) -> dict[str, Any]:
        return timeline(incident(facts=[fact(OCC, **one), fact(at(1, 10), **three)], closed=at(1, 12),
                                 reports=with_final([report("R1", at(1, 8, 20), one, severity="IV"),
                                                     report("F1", at(1, 10, 30), three, kind="follow_up",
                                                            severity=follow_up_severity)], three, at(1, 13))))

    assert found(doc("III")) == []
    assert [(f["type"], f["report"], f["rule_id"]) for f in found(doc("IV"))] == [("false", "F1", "false.severity")]


def lowering_doc(first: dict[str, Any], second: dict[str, Any], truth_after: dict[str, Any],
                 note: str | None) -> dict[str, Any]:
    """Initial R1 at 08:20 states `first`; truth changes at 10:00; follow-up F1 at 10:30 states `second`."""
    return timeline(incident(facts=[fact(OCC, **first), fact(at(1, 10), **truth_after)],
                             reports=[report("R1", at(1, 8, 20), first),
                                      report("F1", at(1, 10, 30), second, kind="follow_up", note=note)]),
                    audit_at=at(2, 8))


def test_lowered_figure_without_correction_note_is_false() -> None:
    """D5: a later report lowering deaths from 2 to 1 without a correction_note is false, naming that report."""
    result = found(lowering_doc(figs(deaths=2), figs(deaths=1), figs(deaths=1), None))
    assert [(f["type"], f["report"], f["rule_id"]) for f in result] == [
        ("false", "F1", "false.lowered_without_correction")]


def test_lowered_figure_with_correction_note_is_fine() -> None:
    """D5: the same lowering with a correction_note is not false."""
    assert found(lowering_doc(figs(deaths=2), figs(deaths=1), figs(deaths=1), "经核实，1人系重复统计")) == []


def test_raised_figure_needs_no_correction_note() -> None:
    """D5: a later report raising a figure needs no correction_note."""
    assert found(lowering_doc(figs(deaths=1), figs(deaths=2), figs(deaths=2), None)) == []


def test_lowered_minor_injuries_without_note_is_false() -> None:
    """D5 (rules data): lowering minor injuries without a note is false under the lowering rule only."""
    doc = timeline(incident(facts=[fact(OCC, **figs(injuries=5))],
                            reports=[report("R1", at(1, 8, 20), figs(injuries=5)),
                                     report("F1", at(1, 10, 30), figs(injuries=3), kind="follow_up")]),
                   audit_at=at(2, 8))
    assert [(f["type"], f["report"], f["rule_id"]) for f in found(doc)] == [
        ("false", "F1", "false.lowered_without_correction")]


def test_unrecorded_report_is_not_judged_false() -> None:
    """Field notes: stated null is never judged false, whatever the truth."""
    doc = timeline(incident(facts=[fact(OCC, **figs(deaths=2))], closed=at(1, 12),
                            reports=with_final([report("R1", at(1, 8, 20), channel="phone", content=None),
                                                report("R2", at(1, 8, 50), figs(deaths=2))],
                                               figs(deaths=2), at(1, 13))))
    assert found(doc) == []


def test_not_on_record_fields_are_not_judged_false() -> None:
    """Field notes: a figure listed in not_on_record is not judged (nor required)."""
    others = {k: v for k, v in ZERO.items() if k != "deaths"}
    content = statement(others, omit=["deaths"], not_on_record=["deaths"])
    doc = timeline(incident(facts=[fact(OCC, **figs(deaths=2))], closed=at(1, 12),
                            reports=with_final([report("R1", at(1, 8, 20), content=content)],
                                               figs(deaths=2), at(1, 13))))
    assert found(doc) == []


# --------------------------------------------------------------------------------------------------
# D6: missing elements.
# --------------------------------------------------------------------------------------------------


def elements_doc(content: Any, truth_entries: list[dict[str, Any]] | None = None, *, kind: str = "initial",
                 channel: str = "written") -> dict[str, Any]:
    """One incident whose report R1 at 08:20 has the given content; when R1 is not initial, W1 meets the initials."""
    reports = [report("R1", at(1, 8, 20), kind=kind, channel=channel, content=content)]
    if kind != "initial":
        reports = [report("W1", at(1, 8, 10), ONE_SERIOUS), *reports]
        reports[1]["submitted_at"] = iso(at(1, 8, 20)) if kind == "follow_up" else iso(at(1, 13))
    return timeline(incident(facts=truth_entries, closed=at(1, 12) if kind == "final" else None, reports=reports),
                    audit_at=at(3, 0))


def element_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Missing-element findings (missing findings that name a report)."""
    return [f for f in found(doc) if f["type"] == "missing" and f["report"] is not None]


@pytest.mark.parametrize("element", ["occurred_at", "location", "summary", "measures"])
def test_each_required_field_missing_is_one_finding(element: str) -> None:
    """D6: an initial report without one required field gets one missing finding listing it."""
    result = found(elements_doc(statement(ONE_SERIOUS, omit=[element])))
    assert [(f["type"], f["report"], sorted(f["elements"])) for f in result] == [("missing", "R1", [element])]
    assert result[0]["rule_id"] == "missing.elements.initial"


def test_stated_null_field_counts_as_left_out() -> None:
    """Field notes/D6: a field stated as null is a field the report did not say."""
    result = found(elements_doc(statement(ONE_SERIOUS, measures=None)))
    assert [(f["type"], f["report"], f["elements"]) for f in result] == [("missing", "R1", ["measures"])]


def test_one_finding_lists_every_missing_element() -> None:
    """D6: one missing finding per report, listing all lacking elements (fields and known figures)."""
    content = statement({"injuries": 0}, omit=["location", "summary", "measures"])
    result = found(elements_doc(content))
    assert len(result) == 1
    assert result[0]["type"] == "missing" and result[0]["report"] == "R1"
    assert sorted(result[0]["elements"]) == sorted(
        ["location", "summary", "measures", "deaths", "missing", "trapped", "serious_injuries"])


@pytest.mark.parametrize("figure", ["deaths", "missing", "trapped", "serious_injuries", "injuries"])
def test_known_figure_left_out_is_missing(figure: str) -> None:
    """D6: each casualty figure the truth knows (even 0) must be stated in an initial report."""
    result = found(elements_doc(statement(ONE_SERIOUS, omit=[figure])))
    assert [(f["type"], f["report"], f["elements"]) for f in result] == [("missing", "R1", [figure])]


def test_figure_unknown_to_truth_may_be_left_out() -> None:
    """D6: figures the truth does not know yet (null or absent) may be left out (先报概况，随即补报)."""
    truth_entries = [fact(OCC, serious_injuries=1, deaths=None)]
    assert found(elements_doc(statement({"serious_injuries": 1}), truth_entries)) == []


def test_figure_known_only_after_submission_may_be_left_out() -> None:
    """D6: a figure first verified after submitted_at is not required of that report."""
    doc = timeline(incident(facts=[fact(OCC, serious_injuries=1), fact(at(1, 8, 21), serious_injuries=1, deaths=0)],
                            reports=[report("R1", at(1, 8, 20), {"serious_injuries": 1}),
                                     report("F1", at(1, 9), {"serious_injuries": 1, "deaths": 0}, kind="follow_up")]))
    assert found(doc) == []


def test_direct_loss_is_not_a_required_element() -> None:
    """D6 (rules data): direct_loss_yuan is not among the required figures of an initial report."""
    truth_entries = [fact(OCC, **ONE_SERIOUS, direct_loss_yuan=50_000)]
    assert found(elements_doc(statement(ONE_SERIOUS), truth_entries)) == []


def test_phone_initial_report_is_judged_for_elements() -> None:
    """D6: required elements are per report kind, so a phone initial report lacking measures is missing it."""
    doc = timeline(incident(reports=[report("R1", at(1, 8, 10), ONE_SERIOUS, channel="phone", omit=["measures"]),
                                     report("R2", at(1, 8, 50), ONE_SERIOUS)]))
    assert [(f["type"], f["report"], f["elements"]) for f in found(doc)] == [("missing", "R1", ["measures"])]


def test_each_incomplete_report_gets_its_own_finding() -> None:
    """D6: two incomplete initial reports give two missing findings, one per report."""
    doc = timeline(incident(reports=[report("R1", at(1, 8, 10), ONE_SERIOUS, channel="phone", omit=["measures"]),
                                     report("R2", at(1, 8, 50), ONE_SERIOUS, omit=["location", "measures"])]))
    result = sorted((f["report"], sorted(f["elements"])) for f in found(doc) if f["type"] == "missing")
    assert result == [("R1", ["measures"]), ("R2", ["location", "measures"])]


def test_unrecorded_report_not_judged_for_elements() -> None:
    """Field notes: stated null is not judged for omissions."""
    doc = timeline(incident(reports=[report("R1", at(1, 8, 10), channel="phone", content=None),
                                     report("R2", at(1, 8, 50), channel="unknown", content=None)]))
    assert found(doc) == []


def test_not_on_record_fields_are_not_required() -> None:
    """Field notes: fields listed in not_on_record are not judged for omission."""
    content = statement({"injuries": 0}, omit=["measures", "location"],
                        not_on_record=["measures", "location", "deaths", "missing", "trapped", "serious_injuries"])
    assert found(elements_doc(content)) == []


@pytest.mark.parametrize("kind", ["follow_up", "final"])
def test_follow_up_and_final_have_no_required_elements(kind: str) -> None:
    """D6 (rules data): follow-up and final reports have no required elements by default."""
    assert element_findings(elements_doc({}, kind=kind)) == []


# --------------------------------------------------------------------------------------------------
# Drills, summary, audit_at.
# --------------------------------------------------------------------------------------------------


def late_incident(iid: str, drill: bool) -> dict[str, Any]:
    """An incident reported 60 min late, in writing, with no final due."""
    return incident(iid, drill=drill, reports=[report(f"{iid}-R1", at(1, 10), ONE_SERIOUS)])


def test_drill_is_audited_with_drill_flag() -> None:
    """Field notes: a drill is replayed and its findings reported, marked drill: true."""
    result = found(timeline(late_incident("D1", True)), "D1")
    assert sorted(f["type"] for f in result) == ["late", "late"]
    assert all(f["drill"] is True for f in result)


def test_drill_excluded_from_summary() -> None:
    """Field notes: a drill never counts in the summary statistics."""
    real = replay(timeline(late_incident("E1", False)))
    mixed = replay(timeline(late_incident("E1", False), late_incident("D1", True),
                            incident("D2", drill=True)))
    assert mixed["summary"] == real["summary"]
    assert real["summary"]["incidents"] == 1 and real["summary"]["late"] == 2


def test_summary_counts_match_non_drill_findings() -> None:
    """Findings: summary counts each type of finding and every obligation once (drills left out)."""
    doc = timeline(
        incident("E1", closed=at(1, 12), reports=[report("R1", at(1, 9, 10), ONE_SERIOUS, channel="phone")]),
        incident("E2", reports=[report("Q1", at(1, 8, 30), figs(serious_injuries=0, injuries=0), omit=["measures"])]),
        incident("E3"),
        late_incident("D1", True),
    )
    result = replay(doc)
    counted = Counter(f["type"] for f in result["findings"] if not f["drill"])
    summary = result["summary"]
    assert summary["incidents"] == 3
    for key in ("late", "missing", "false", "concealed"):
        assert summary[key] == counted[key], key
    # E1: phone late, written missing, final missing; E2: both initials on time
    assert (summary["late"], summary["missing"], summary["false"], summary["concealed"]) == (1, 3, 1, 1)
    assert summary["on_time"] == 2


def test_reports_after_audit_at_are_ignored() -> None:
    """Audit scope: a report after audit_at does not exist for the audit: never reported means concealed alone."""
    doc = timeline(incident(reports=[report("R1", at(3, 1), ONE_SERIOUS)]), audit_at=at(3, 0))
    assert [(f["type"], f["report"]) for f in found(doc)] == [("concealed", None)]


def test_written_report_after_audit_at_leaves_obligation_missing() -> None:
    """Audit scope: a written report after audit_at does not meet the written obligation (missing, not late)."""
    doc = timeline(incident(reports=[report("R1", at(1, 8, 30), ONE_SERIOUS, channel="phone"),
                                     report("R2", at(3, 1), ONE_SERIOUS)]), audit_at=at(3, 0))
    assert briefs(doc) == [missing_obligation("initial/written", at(1, 9))]


def test_truth_after_audit_at_is_ignored() -> None:
    """Audit scope: truth verified after audit_at changes nothing (no upgrade, no follow-up, no falsehood)."""
    base = timeline(incident(reports=[report("R1", at(1, 8, 30), ONE_SERIOUS)]), audit_at=at(3, 0))
    extended = copy.deepcopy(base)
    extended["incidents"][0]["truth"].append(fact(at(3, 0, 1), **figs(deaths=40)))
    extended["incidents"][0]["reports"].append(report("F1", at(3, 1), ONE_SERIOUS, kind="follow_up"))
    assert replay(extended) == replay(base)
    assert found(base) == []


def test_signal_after_audit_at_is_ignored() -> None:
    """Audit scope: a signal after audit_at cannot expose an incident reported late before audit_at."""
    doc = timeline(incident(reports=[report("R1", at(1, 10), ONE_SERIOUS)]), audit_at=at(3, 0),
                   signals=[signal("S1", at(3, 1))])
    assert kinds(doc) == ["late", "late"]


# --------------------------------------------------------------------------------------------------
# Bad input.
# --------------------------------------------------------------------------------------------------


def valid_doc() -> dict[str, Any]:
    """A valid, clean document exercising every record kind."""
    return timeline(incident(closed=at(1, 12),
                             reports=with_final([report("R1", at(1, 8, 30), ONE_SERIOUS)], ONE_SERIOUS, at(1, 13))),
                    signals=[signal("S1", at(1, 8, 15))])


def _inc(doc: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = doc["incidents"][0]
    return body


def _rep(doc: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = doc["incidents"][0]["reports"][0]
    return body


BAD_INPUTS = [
    ("occurred_at_without_offset", lambda d: _inc(d).update(occurred_at="2026-03-01T07:50:00"), ["E1", "occurred_at"]),
    ("known_at_without_offset", lambda d: _inc(d).update(known_at="2026-03-01T08:00:00"), ["E1", "known_at"]),
    ("closed_at_without_offset", lambda d: _inc(d).update(closed_at="2026-03-01T12:00:00"), ["E1", "closed_at"]),
    ("truth_as_of_without_offset", lambda d: _inc(d)["truth"][0].update(as_of="2026-03-01T07:50:00"),
     ["E1", "as_of"]),
    ("submitted_at_without_offset", lambda d: _rep(d).update(submitted_at="2026-03-01T08:30:00"),
     ["R1", "submitted_at"]),
    ("stated_time_without_offset", lambda d: _rep(d)["stated"].update(occurred_at="2026-03-01T07:50:00"),
     ["R1", "occurred_at"]),
    ("audit_at_without_offset", lambda d: d.update(audit_at="2026-03-10T00:00:00"), ["audit_at"]),
    ("signal_at_without_offset", lambda d: d["signals"][0].update(at="2026-03-01T08:15:00"), ["S1", "at"]),
    ("unknown_type", lambda d: _inc(d).update(type="alien_invasion"), ["E1", "type"]),
    ("type_of_other_category", lambda d: _inc(d).update(category="natural_disaster", type="gas_explosion"),
     ["E1", "type"]),
    ("unknown_category", lambda d: _inc(d).update(category="weather"), ["E1", "category"]),
    ("report_before_occurred_at", lambda d: _rep(d).update(submitted_at=iso(at(1, 7, 49))), ["R1", "submitted_at"]),
    ("truth_before_occurred_at", lambda d: _inc(d)["truth"][0].update(as_of=iso(at(1, 7, 49))), ["E1", "as_of"]),
    ("negative_truth_deaths", lambda d: _inc(d)["truth"][0].update(deaths=-1), ["E1", "deaths"]),
    ("fractional_truth_injuries", lambda d: _inc(d)["truth"][0].update(injuries=1.5), ["E1", "injuries"]),
    ("negative_truth_loss", lambda d: _inc(d)["truth"][0].update(direct_loss_yuan=-5), ["E1", "direct_loss_yuan"]),
    ("negative_stated_missing", lambda d: _rep(d)["stated"].update(missing=-2), ["R1", "missing"]),
    ("fractional_stated_deaths", lambda d: _rep(d)["stated"].update(deaths=0.5), ["R1", "deaths"]),
    ("unknown_report_kind", lambda d: _rep(d).update(kind="interim"), ["R1", "kind"]),
    ("unknown_channel", lambda d: _rep(d).update(channel="fax"), ["R1", "channel"]),
]


def test_valid_doc_for_bad_input_tests_is_valid() -> None:
    """The base of the bad-input tests replays cleanly."""
    assert replay(valid_doc())["findings"] == []


@pytest.mark.parametrize(("name", "mutate", "words"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_input_error_naming_record_and_field(name: str, mutate: Any, words: list[str]) -> None:
    """Field notes: bad input raises InputError whose message names the incident/report and the field."""
    doc = valid_doc()
    mutate(doc)
    with pytest.raises(InputError) as caught:
        replay_document(RULES, doc)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_malformed_json_raises_input_error(tmp_path: Path) -> None:
    """Findings: a malformed JSON file is an InputError naming the file and where it breaks."""
    from emergency.timelines import load_document

    path = tmp_path / "broken.json"
    path.write_text('{"format": "emergency-timeline/1", "incidents": [', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_document(path)
    assert "broken.json" in str(caught.value) and "line" in str(caught.value)


def _console_script() -> str:
    script = Path(sys.executable).with_name("emergency")
    if not script.exists():
        pytest.skip("emergency console script not installed")
    return str(script)


def _run_cli(tmp_path: Path, doc_text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "timeline.json"
    path.write_text(doc_text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMERGENCY_")}
    env["EMERGENCY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'emergency.db'}"
    return subprocess.run([_console_script(), "audit", "replay", str(path), "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_malformed_json_exits_1_without_traceback(tmp_path: Path) -> None:
    """Findings: malformed JSON exits 1 with a message and never a Python traceback."""
    done = _run_cli(tmp_path, "{bad json")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "timeline.json" in done.stderr + done.stdout


def test_cli_time_without_offset_exits_1_naming_incident_and_field(tmp_path: Path) -> None:
    """Findings: a time without offset exits 1 with a message naming the incident and the field."""
    doc = valid_doc()
    _inc(doc)["occurred_at"] = "2026-03-01T07:50:00"
    done = _run_cli(tmp_path, json.dumps(doc, ensure_ascii=False))
    assert done.returncode == 1
    text = done.stderr + done.stdout
    assert "Traceback" not in text and "E1" in text and "occurred_at" in text


def test_cli_findings_exit_0(tmp_path: Path) -> None:
    """Findings: a judgeable file exits 0 even with findings, printing the findings document."""
    doc = timeline(late_incident("E1", False))
    done = _run_cli(tmp_path, json.dumps(doc, ensure_ascii=False))
    assert done.returncode == 0
    out = json.loads(done.stdout)
    assert out["format"] == "emergency-findings/1"
    assert sorted(f["type"] for f in out["findings"]) == ["late", "late"]


# --------------------------------------------------------------------------------------------------
# Property tests.
# --------------------------------------------------------------------------------------------------

GEN_TYPES = [
    ("accident", "construction_accident"), ("accident", "gas_explosion"), ("accident", "fire"),
    ("accident", "road_traffic"), ("natural_disaster", "urban_waterlogging"), ("natural_disaster", "earthquake"),
    ("natural_disaster", "landslide"), ("public_health", "food_poisoning"), ("public_health", "occupational_poisoning"),
    ("social_security", "mass_incident"), ("social_security", "public_opinion"),
]
CASUALTY_FIELDS = ["deaths", "missing", "trapped", "serious_injuries", "injuries"]
GEN_START = at(1, 0)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def truthful(figures: dict[str, Any], occurred: datetime, known: datetime) -> dict[str, Any]:
    """A complete statement of the given figures and the true times."""
    return statement(dict(figures), occurred=occurred, known=known)


@st.composite
def clean_incident(draw: st.DrawFn, iid: str) -> tuple[dict[str, Any], datetime, bool]:
    """An incident whose every obligation is met on time with complete, truthful content.

    Returns the incident, the time of its last report, and whether it is closed (with a final report)."""
    category, type_ = draw(st.sampled_from(GEN_TYPES))
    occurred = GEN_START + mins(draw(st.integers(0, 600)))
    known = occurred + mins(draw(st.integers(0, 120)))
    current: dict[str, Any] = {f: draw(st.integers(0, 12 if f == "deaths" else 4 if f in ("missing", "trapped")
                                                   else 60 if f == "serious_injuries" else 20))
                               for f in CASUALTY_FIELDS}
    current["direct_loss_yuan"] = draw(st.one_of(st.none(), st.integers(0, 60_000_000)))
    truth = [fact(occurred, **current)]
    reports: list[dict[str, Any]] = []
    n = 0

    def add(when: datetime, kind: str, channel: str) -> None:
        nonlocal n
        n += 1
        reports.append(report(f"{iid}-R{n}", when, kind=kind, channel=channel,
                              content=truthful(current, occurred, known)))

    last = known + mins(draw(st.integers(0, 10)))
    if draw(st.booleans()):
        add(last, "initial", "phone")
        last += mins(draw(st.integers(1, 5)))
    add(last, "initial", draw(st.sampled_from(["written", "platform", "unknown"])))
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):  # the truth rises, then a follow-up within 2 h
            change = last + mins(draw(st.integers(1, 480)))
            bumped = {f: current[f] + draw(st.integers(0, 3)) for f in CASUALTY_FIELDS}
            if bumped == {f: current[f] for f in CASUALTY_FIELDS}:
                bumped["injuries"] += 1
            current = {**current, **bumped}
            truth.append(fact(change, **current))
            last = change + mins(draw(st.integers(1, 110)))
        else:
            last += mins(draw(st.integers(1, 660)))
        add(last, "follow_up", draw(st.sampled_from(["written", "platform", "phone", "unknown"])))
    closed = draw(st.booleans())
    body = incident(iid, category=category, type_=type_, occurred=occurred, known=known,
                    drill=draw(st.booleans()), facts=truth, reports=reports)
    if closed:
        closed_at = last + mins(draw(st.integers(1, 660)))
        body["closed_at"] = iso(closed_at)
        last = closed_at + mins(draw(st.integers(0, 1380)))
        n += 1
        body["reports"].append(report(f"{iid}-R{n}", last, kind="final", channel="written",
                                      content=truthful(current, occurred, known)))
    return body, last, closed


@st.composite
def clean_timelines(draw: st.DrawFn) -> dict[str, Any]:
    """A document of 1-3 incidents where every obligation is met on time, truthfully and completely."""
    parts = [draw(clean_incident(f"E{i}")) for i in range(1, draw(st.integers(1, 3)) + 1)]
    audit_at = max(last for _, last, _ in parts) + mins(draw(st.integers(1, 600)))
    for body, last, closed in parts:
        if closed:
            continue
        truth_now = {k: v for k, v in body["truth"][-1].items() if k != "as_of"}
        occurred, known = datetime.fromisoformat(body["occurred_at"]), datetime.fromisoformat(body["known_at"])
        n = len(body["reports"])
        while audit_at - last > mins(660):  # keep an open incident's follow-ups under 11 h apart
            last += mins(660)
            n += 1
            body["reports"].append(report(f"{body['id']}-R{n}", last, kind="follow_up",
                                          content=truthful(truth_now, occurred, known)))
    signals = [signal(f"S{i}", GEN_START + mins(draw(st.integers(0, 3000))), draw(st.sampled_from(
        [None, *[b["id"] for b, _, _ in parts]]))) for i in range(draw(st.integers(0, 2)))]
    return timeline(*[b for b, _, _ in parts], audit_at=audit_at, signals=signals)


@PROPERTY_SETTINGS
@given(clean_timelines())
def test_property_all_obligations_met_truthfully_gives_no_findings(doc: dict[str, Any]) -> None:
    """Property: every obligation met on time with complete, truthful content yields no findings."""
    result = replay(doc)
    assert result["findings"] == []
    assert result["summary"]["on_time"] == result["summary"]["obligations"]


@st.composite
def stated_content(draw: st.DrawFn, truth_figures: dict[str, Any], occurred: datetime,
                   known: datetime) -> dict[str, Any] | None:
    """A possibly incomplete, possibly untrue statement (or an unrecorded one)."""
    if draw(st.integers(0, 7)) == 0:
        return None
    body: dict[str, Any] = {}
    for key, value in (("occurred_at", occurred), ("known_at", known)):
        choice = draw(st.sampled_from(["true", "shifted", "absent"]))
        if choice == "true":
            body[key] = iso(value)
        elif choice == "shifted":
            body[key] = iso(value + mins(draw(st.integers(-120, 180))))
    for text_key, text in TEXT.items():
        if draw(st.integers(0, 4)):
            body[text_key] = text
    for f in CASUALTY_FIELDS:
        true_value = truth_figures.get(f)
        choice = draw(st.sampled_from(["true", "true", "less", "more", "absent", "null"]))
        if choice == "true" and true_value is not None:
            body[f] = true_value
        elif choice == "less" and true_value:
            body[f] = draw(st.integers(0, true_value - 1))
        elif choice == "more":
            body[f] = (true_value or 0) + draw(st.integers(1, 3))
        elif choice == "null":
            body[f] = None
    if draw(st.booleans()):
        body["severity"] = draw(st.sampled_from(["I", "II", "III", "IV"]))
    if draw(st.integers(0, 5)) == 0:
        body["not_on_record"] = draw(st.lists(st.sampled_from([*CASUALTY_FIELDS, "measures", "location"]),
                                              unique=True, max_size=3))
    return body


@st.composite
def short_incident_case(draw: st.DrawFn) -> dict[str, Any]:
    """A single-truth incident closed within 11 h of known_at (so no cadence or casualty follow-up can fall due),
    with initial reports before closure, optional final reports after it, every report carrying a correction note."""
    category, type_ = draw(st.sampled_from(GEN_TYPES))
    occurred = GEN_START + mins(draw(st.integers(0, 600)))
    known = occurred + mins(draw(st.integers(0, 120)))
    closed = known + mins(draw(st.integers(30, 660)))
    truth_figures: dict[str, Any] = {f: draw(st.one_of(st.none(), st.integers(0, 12))) for f in CASUALTY_FIELDS}
    truth_figures["direct_loss_yuan"] = draw(st.one_of(st.none(), st.integers(0, 60_000_000)))
    span = int((closed - known).total_seconds() // 60)
    initial_offsets = draw(st.lists(st.integers(0, span - 1), min_size=1, max_size=3, unique=True))
    final_offsets = draw(st.lists(st.integers(0, 2880), max_size=2, unique=True))
    reports = []
    for i, offset in enumerate(initial_offsets, 1):
        reports.append(report(f"R{i}", known + mins(offset), kind="initial",
                              channel=draw(st.sampled_from(["phone", "written", "platform", "unknown"])),
                              content=draw(stated_content(truth_figures, occurred, known)), note="更正说明"))
    for i, offset in enumerate(final_offsets, 1):
        reports.append(report(f"Z{i}", closed + mins(offset), kind="final", channel="written",
                              content=draw(stated_content(truth_figures, occurred, known)), note="更正说明"))
    body = incident("E1", category=category, type_=type_, occurred=occurred, known=known, closed=closed,
                    facts=[fact(occurred, **truth_figures)], reports=reports)
    signals = [signal(f"S{i}", occurred + mins(draw(st.integers(0, 2000))), "E1")
               for i in range(draw(st.integers(0, 2)))]
    return timeline(body, audit_at=closed + timedelta(hours=72), signals=signals)


def _content_key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["incident"], f["type"], f["report"], f["obligation"], f["due_at"], f["rule_id"],
            tuple(sorted(f.get("elements") or [])))


@PROPERTY_SETTINGS
@given(short_incident_case(), st.data())
def test_property_moving_a_report_later_never_removes_late(doc: dict[str, Any], data: st.DataObject) -> None:
    """Property: delaying one report keeps every late obligation late, keeps false/missing findings, keeps concealed."""
    body = doc["incidents"][0]
    closed = datetime.fromisoformat(body["closed_at"])
    audit_at = datetime.fromisoformat(doc["audit_at"])
    index = data.draw(st.integers(0, len(body["reports"]) - 1))
    moved = body["reports"][index]
    when = datetime.fromisoformat(moved["submitted_at"])
    limit = (closed if moved["kind"] == "initial" else audit_at) - when
    max_delay = int(limit.total_seconds() // 60) - 1
    assume(max_delay >= 1)
    new_time = when + mins(data.draw(st.integers(1, max_delay)))
    assume(all(r["submitted_at"] != iso(new_time) for r in body["reports"]))
    later = copy.deepcopy(doc)
    later["incidents"][0]["reports"][index]["submitted_at"] = iso(new_time)

    before, after = replay(doc)["findings"], replay(later)["findings"]
    late_before = {(f["incident"], f["obligation"], f["due_at"]) for f in before if f["type"] == "late"}
    late_after = {(f["incident"], f["obligation"], f["due_at"]) for f in after if f["type"] == "late"}
    assert late_before <= late_after
    concealed_after = any(f["type"] == "concealed" for f in after)

    def kept(f: dict[str, Any]) -> bool:
        # Decision 2: once the delay makes the incident concealed, 瞒报 covers its unmet initial obligations.
        return not (concealed_after and f["type"] == "missing" and str(f["obligation"]).startswith("initial/"))

    for kind in ("false", "missing"):
        assert Counter(_content_key(f) for f in before if f["type"] == kind and kept(f)) == \
            Counter(_content_key(f) for f in after if f["type"] == kind), kind
    if any(f["type"] == "concealed" for f in before):
        assert concealed_after
    assert {f["type"] for f in after} - {f["type"] for f in before} <= {"late", "concealed"}


@st.composite
def messy_timelines(draw: st.DrawFn) -> dict[str, Any]:
    """Arbitrary valid documents with faults of every kind (late, missing, false, concealed)."""
    incidents = []
    signals = []
    for i in range(1, draw(st.integers(1, 2)) + 1):
        iid = f"E{i}"
        category, type_ = draw(st.sampled_from(GEN_TYPES))
        occurred = GEN_START + mins(draw(st.integers(0, 600)))
        known = occurred + mins(draw(st.integers(0, 120)))
        truth_offsets = sorted(draw(st.lists(st.integers(0, 4000), min_size=1, max_size=4, unique=True)))
        truth = []
        for offset in truth_offsets:
            entry = {f: draw(st.one_of(st.none(), st.integers(0, 15))) for f in CASUALTY_FIELDS}
            truth.append(fact(occurred + mins(offset), **entry))
        report_offsets = draw(st.lists(st.integers(0, 6000), max_size=6, unique=True))
        reports = []
        for j, offset in enumerate(report_offsets, 1):
            figures_then = {k: v for k, v in truth[-1].items() if k != "as_of"}
            reports.append(report(f"{iid}-R{j}", occurred + mins(offset),
                                  kind=draw(st.sampled_from(["initial", "initial", "follow_up", "final"])),
                                  channel=draw(st.sampled_from(["phone", "written", "platform", "unknown"])),
                                  content=draw(stated_content(figures_then, occurred, known)),
                                  note=draw(st.sampled_from([None, "更正说明"]))))
        closed = known + mins(draw(st.integers(60, 5000))) if draw(st.booleans()) else None
        incidents.append(incident(iid, category=category, type_=type_, occurred=occurred, known=known,
                                  closed=closed, drill=draw(st.booleans()), facts=truth, reports=reports))
        for k in range(draw(st.integers(0, 2))):
            signals.append(signal(f"{iid}-S{k}", occurred + mins(draw(st.integers(0, 3000))), iid))
    audit_at = GEN_START + mins(draw(st.integers(3000, 12000)))
    return timeline(*incidents, audit_at=audit_at, signals=signals)


def _canonical(result: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    return sorted(json.dumps(f, sort_keys=True, ensure_ascii=False) for f in result["findings"]), result["summary"]


@PROPERTY_SETTINGS
@given(messy_timelines(), st.randoms(use_true_random=False))
def test_property_findings_do_not_depend_on_report_order(doc: dict[str, Any], rnd: Any) -> None:
    """Property: shuffling each incident's reports list never changes the findings or the summary."""
    shuffled = copy.deepcopy(doc)
    for body in shuffled["incidents"]:
        rnd.shuffle(body["reports"])
    assert _canonical(replay(shuffled)) == _canonical(replay(doc))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_timelines(), st.randoms(use_true_random=False))
def test_property_findings_do_not_depend_on_truth_signal_or_incident_order(doc: dict[str, Any], rnd: Any) -> None:
    """Property: shuffling truth entries, signals and incidents never changes the findings or the summary."""
    shuffled = copy.deepcopy(doc)
    for body in shuffled["incidents"]:
        rnd.shuffle(body["truth"])
    rnd.shuffle(shuffled["signals"])
    rnd.shuffle(shuffled["incidents"])
    assert _canonical(replay(shuffled)) == _canonical(replay(doc))
