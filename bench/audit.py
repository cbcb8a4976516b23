"""Benchmark the audit: `emergency audit replay` on a synthetic province-year, against a naive per-incident ORM audit.

    python -m bench.audit --incidents 100000 --json

1. A seeded generator writes an `emergency-timeline/1` file incident by incident (never one giant string):
   incidents over 2026 across the event catalogue, about five reports each, one to three truth entries,
   signals, and a mix of outcomes (mostly on time; some late, missing, false and concealed).
2. `emergency audit replay FILE --json` runs as a child process: wall seconds and the child's peak RSS.
3. The same data goes into a fresh SQLite database (Core executemany; loading is not timed as part of the
   baseline), which is then audited the naive way: per incident, lazy ORM loads of its facts and its reports,
   a query for its signals, `to_domain` and `audit_incident`. For large runs the baseline audits an evenly
   spaced sample and is extrapolated linearly (`baseline_extrapolated_from`).

`generate_timeline(path, incidents, seed)` is usable on its own (tests can build small timelines with it).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from emergency.domain.enums import Category, Severity
from emergency.domain.grading import grade
from emergency.domain.incidents import Figures
from emergency.plans.loader import load_rules
from emergency.plans.rules import ReportingRules

CN = timezone(timedelta(hours=8))
YEAR_START = datetime(2026, 1, 1, tzinfo=CN)
YEAR_MINUTES = 365 * 24 * 60
AUDIT_AT = datetime(2027, 1, 15, tzinfo=CN)
OFFICE = "吉林省（合成基准数据：2026年全省突发事件报送）"
HOUR = 60
DAY = 24 * HOUR

# Relative frequency of each catalogue type (percent-ish); a catalogue type not named here is rare.
TYPE_WEIGHTS: dict[str, float] = {
    "road_traffic": 30, "fire": 18, "gas_leak": 4, "construction_accident": 3, "elevator_accident": 2.5,
    "pipeline_burst": 2.5, "power_outage": 2, "water_supply_interruption": 2, "heating_interruption": 2,
    "special_equipment": 1, "environmental_pollution": 0.8, "gas_explosion": 0.8, "confined_space_poisoning": 0.5,
    "explosion": 0.4, "building_collapse": 0.4, "hazardous_chemical_leak": 0.4, "rail_traffic": 0.3,
    "fireworks_explosion": 0.2, "hazardous_chemical_explosion": 0.1,
    "urban_waterlogging": 3, "rainstorm": 2, "blizzard": 1.5, "strong_wind": 1.5, "road_icing": 1.5,
    "cold_wave": 0.8, "dense_fog": 0.5, "flood": 0.5, "hail": 0.4, "landslide": 0.4, "forest_fire": 0.4,
    "lightning": 0.3, "grassland_fire": 0.3,
    "food_poisoning": 1.5, "infectious_disease": 1, "occupational_poisoning": 0.3, "animal_epidemic": 0.3,
    "public_opinion": 2.5, "mass_incident": 1, "major_criminal_case": 0.6, "campus_incident": 0.6,
}
RARE_WEIGHT = 0.05

# Probability that an incident of the type kills someone (default for types not named).
LETHALITY: dict[str, float] = {
    "road_traffic": 0.07, "fire": 0.03, "gas_explosion": 0.25, "explosion": 0.2, "building_collapse": 0.3,
    "construction_accident": 0.2, "confined_space_poisoning": 0.5, "hazardous_chemical_explosion": 0.4,
    "fireworks_explosion": 0.3, "elevator_accident": 0.05, "rail_traffic": 0.1, "special_equipment": 0.1,
    "mine_explosion": 0.5, "mine_fire": 0.3, "mine_flooding": 0.4, "coal_gas_outburst": 0.5, "roof_fall": 0.4,
    "mine_haulage": 0.3, "tailings_dam_failure": 0.3, "landslide": 0.15, "debris_flow": 0.2, "rockfall": 0.1,
    "flood": 0.1, "earthquake": 0.2, "forest_fire": 0.03, "lightning": 0.1, "crowd_crush": 0.3,
    "major_criminal_case": 0.3, "terrorist_attack": 0.5, "food_poisoning": 0.01, "occupational_poisoning": 0.1,
    "infectious_disease": 0.02,
}
DEFAULT_LETHALITY = 0.005
INJURY: dict[str, float] = {
    "road_traffic": 0.65, "fire": 0.25, "gas_explosion": 0.8, "explosion": 0.7, "building_collapse": 0.6,
    "construction_accident": 0.7, "elevator_accident": 0.4, "food_poisoning": 1.0, "occupational_poisoning": 1.0,
    "crowd_crush": 0.9, "mass_incident": 0.2, "major_criminal_case": 0.6, "campus_incident": 0.4,
}
DEFAULT_INJURY = 0.1
MISSING_TYPES = frozenset({"flood", "landslide", "debris_flow", "building_collapse", "mine_flooding", "earthquake",
                           "tailings_dam_failure", "explosion", "gas_explosion", "hazardous_chemical_explosion"})
TRAPPED_TYPES = frozenset({"building_collapse", "confined_space_poisoning", "construction_accident", "elevator_accident",
                           "mine_explosion", "mine_flooding", "roof_fall", "earthquake", "landslide"})

# Outcomes, with their share of incidents.
OUTCOMES: tuple[tuple[str, float], ...] = (
    ("on_time", 0.791),
    ("late_written", 0.06),        # phone on time, written initial report after its deadline
    ("late_phone", 0.03),          # first report late, no other channel exposed it first
    ("late_final", 0.02),
    ("missing_final", 0.03),
    ("missing_follow_up", 0.02),   # a death in hospital after the final report, never reported
    ("missing_element", 0.02),     # written initial report leaves out measures or location
    ("false_deaths", 0.015),       # initial reports understate deaths (谎报)
    ("false_time", 0.004),         # written initial states a later occurrence time
    ("concealed_exposed", 0.01),   # first report only after 12345/media exposed it
    ("concealed_never", 0.005),    # never reported
    ("drill", 0.005),
)
OUTCOME_NAMES = tuple(name for name, _ in OUTCOMES)
OUTCOME_CUM = tuple(itertools.accumulate(share for _, share in OUTCOMES))

CITIES = ("长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市", "延边州")
DISTRICTS = ("朝阳区", "南关区", "宽城区", "二道区", "绿园区", "船营区", "龙潭区", "铁西区", "东昌区", "浑江区", "宁江区",
             "洮北区", "延吉市", "珲春市", "公主岭市", "九台区", "双阳区", "桦甸市", "梅河口市", "敦化市")
STREETS = ("人民大街", "解放大路", "自由大路", "亚泰大街", "西安大路", "卫星路", "南湖大路", "重庆路", "青年路", "繁荣路",
           "普阳街", "春城大街", "长江路", "黄河路", "吉林大路", "东盛大街", "临河街", "开运街", "延安大街", "景阳大路")
MEASURES = ("已组织人员赶赴现场处置", "消防救援力量已到场，已疏散周边群众", "已设置警戒区域，伤员已送医救治",
            "已通知相关部门联合处置，现场秩序稳定", "已启动街道应急预案，安排专人值守", "已关闭阀门并组织抢修")
RECIPIENTS = ("区应急管理局", "区政府总值班室", "市应急管理局")
LINKAGE_SOURCES = ("110", "119", "120", "grid", "police")
EXPOSING_SOURCES = ("12345", "media", "grid", "higher_authority", "public", "hospital")


def iso(minute: int) -> str:
    """Return the time *minute* minutes after 2026-01-01 00:00 Asia/Shanghai, ISO 8601 with +08:00."""
    return (YEAR_START + timedelta(minutes=minute)).isoformat()


@dataclass(slots=True)
class GeneratedIncident:
    """One incident in the timeline's JSON shape, with the signals linked to it."""

    doc: dict[str, Any]
    signals: list[dict[str, Any]]
    outcome: str


@dataclass(slots=True)
class GenerationStats:
    """What a generated timeline holds."""

    incidents: int = 0
    reports: int = 0
    truth_entries: int = 0
    signals: int = 0
    drills: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    file_bytes: int = 0


@dataclass(slots=True)
class _Report:
    """A report being planned: when, what kind, which channel, and why it is made (phone, written, change …)."""

    at: int
    kind: str
    channel: str
    role: str = ""


class TimelineGenerator:
    """A deterministic (seeded) stream of incidents and signals for one synthetic province-year."""

    def __init__(self, incidents: int, seed: int = 1, rules: ReportingRules | None = None) -> None:
        if incidents < 0:
            raise ValueError("incidents must be >= 0")
        self.count = incidents
        self.seed = seed
        self.rules = rules or load_rules()
        self.types = [(t.code, t.category.value, t.name_zh, t.sensitive) for t in self.rules.event_types]
        self.type_cum = list(itertools.accumulate(TYPE_WEIGHTS.get(code, RARE_WEIGHT) for code, *_ in self.types))
        days = self.rules.casualty_change.window_days_by_type
        self.window_minutes = {code: int(days.get(code, self.rules.casualty_change.window_days) * DAY)
                               for code, *_ in self.types}

    # -- the stream -------------------------------------------------------------------------------------------

    def incidents(self) -> Iterator[GeneratedIncident]:
        """Yield every incident in order of occurrence; the same seed always gives the same stream."""
        rng = random.Random(self.seed)
        hour_weights = (2, 1, 1, 1, 1, 2, 4, 7, 8, 8, 8, 7, 7, 7, 7, 8, 9, 10, 9, 8, 6, 5, 4, 3)
        hour_cum = list(itertools.accumulate(hour_weights))
        starts = sorted(
            rng.randrange(365) * DAY + bisect.bisect_right(hour_cum, rng.random() * hour_cum[-1]) * HOUR
            + rng.randrange(HOUR)
            for _ in range(self.count)
        )
        for number, occurred in enumerate(starts, start=1):
            yield self._incident(rng, number, occurred)

    def unlinked_signals(self) -> list[dict[str, Any]]:
        """Signals that name no incident (about 2 % of the incident count)."""
        rng = random.Random(self.seed * 7919 + 17)
        out = []
        for n in range(self.count // 50):
            at = rng.randrange(YEAR_MINUTES)
            out.append({"id": f"SX{n + 1:06d}", "source": rng.choice(EXPOSING_SOURCES + LINKAGE_SOURCES), "at": iso(at),
                        "incident": None, "summary": f"群众反映{rng.choice(STREETS)}附近情况，经核查未构成突发事件"})
        return out

    # -- one incident -----------------------------------------------------------------------------------------

    def _incident(self, rng: random.Random, number: int, occurred: int) -> GeneratedIncident:
        code, category, name_zh, sensitive = self.types[bisect.bisect_right(self.type_cum, rng.random() * self.type_cum[-1])]
        outcome = OUTCOME_NAMES[min(bisect.bisect_right(OUTCOME_CUM, rng.random() * OUTCOME_CUM[-1]), len(OUTCOMES) - 1)]
        ident = f"E{number:06d}"
        street = rng.choice(STREETS)
        place = f"{rng.choice(CITIES)}{rng.choice(DISTRICTS)}{street}{rng.randint(1, 999)}号附近"
        title = f"{street}{name_zh}"
        known = occurred + min(3 + int(rng.expovariate(1 / 20)), 240)

        figures = self._casualties(rng, code)
        if outcome == "false_deaths" and figures["deaths"] == 0:
            figures["deaths"] = rng.randint(1, 2)
        truth: list[tuple[int, dict[str, Any]]] = [(occurred + rng.randint(0, known - occurred), figures)]
        severity = self._grade(category, code, figures)
        major = severity.rank >= Severity.II.rank
        serious_case = sensitive or figures["deaths"] > 0 or figures["missing"] > 0 or severity.rank >= Severity.III.rank

        # Initial reports.
        if major:
            phone, written = known + rng.randint(5, 14), known + rng.randint(16, 29)
        else:
            phone = known + rng.randint(5, 28)
            written = max(phone + 5, known + rng.randint(20, 58))
        if outcome == "late_written":
            written = known + rng.randint(125, 400)
        elif outcome == "late_phone":
            phone = known + rng.randint(65, 240)
            written = phone + rng.randint(10, 60)
        elif outcome == "concealed_exposed":
            phone = known + rng.randint(180, 720)
            written = phone + rng.randint(10, 60)

        if major:
            duration = rng.randint(2 * DAY, 6 * DAY)
        elif serious_case:
            duration = rng.randint(6 * HOUR, 3 * DAY)
        else:
            duration = rng.randint(HOUR, 12 * HOUR)
        closed = max(known + duration, written + rng.randint(30, 180))

        # Truth: a change while the response goes on, and sometimes a death in hospital after the final report.
        if rng.random() < (0.8 if serious_case or figures["serious_injuries"] > 0 else 0.25):
            at = written + rng.randint(30, max(31, min(closed - written, DAY)))
            truth.append((at, self._evolve(rng, code, truth[-1][1], during=True)))
        final = closed + rng.randint(HOUR, 20 * HOUR)
        late_change = rng.random() < 0.05 or outcome == "missing_follow_up"
        window_end = occurred + self.window_minutes[code]
        if late_change:
            at = final + rng.randint(2 * HOUR, 48 * HOUR)
            if at < window_end - HOUR:
                truth.append((at, self._evolve(rng, code, truth[-1][1], during=False)))
            elif outcome == "missing_follow_up":
                outcome = "missing_final"
        if outcome == "late_final":
            final = closed + rng.randint(25 * HOUR, 72 * HOUR)

        reports: list[_Report] = []
        if outcome != "concealed_never":
            reports.append(_Report(phone, "initial", "phone", role="phone"))
            reports.append(_Report(written, "initial", "platform" if rng.random() < 0.3 else "written", role="written"))
            for at, _ in truth[1:]:
                if outcome == "missing_follow_up" and at > final:
                    continue
                reports.append(_Report(at + rng.randint(30, 90), "follow_up", "written", role="change"))
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3))):
                if closed - written > 60:
                    reports.append(_Report(rng.randint(written + 30, closed), "follow_up",
                                           rng.choice(("written", "platform", "phone", "unknown")), role="progress"))
            if outcome != "missing_final":
                reports.append(_Report(final, "final", "platform" if rng.random() < 0.3 else "written", role="final"))
            if serious_case or any(f["deaths"] or f["missing"] or f.get("trapped") for _, f in truth):
                reports += self._cadence_fill(rng, sorted(r.at for r in reports), closed)
        reports.sort(key=lambda r: r.at)

        drill = outcome == "drill"
        doc: dict[str, Any] = {
            "id": ident, "category": category, "type": code,
            "title": f"【演练】{title}" if drill else title, "location": place,
            "occurred_at": iso(occurred), "known_at": iso(known), "closed_at": iso(closed), "drill": drill,
            "truth": [{"as_of": iso(at), **self._figures_json(f)} for at, f in truth],
            "reports": self._reports_json(rng, reports, truth, outcome, category, code, place, title, occurred, known),
        }
        signals: list[dict[str, Any]] = []
        first = reports[0].at if reports else None
        if outcome == "concealed_exposed":
            assert first is not None
            at = known + rng.randint(90, max(91, first - known - 10))
            signals.append(self._signal(rng, ident, number, 1, rng.choice(EXPOSING_SOURCES), at, "市民反映", title))
        elif outcome == "concealed_never":
            if rng.random() < 0.6:
                at = known + rng.randint(2 * HOUR, 48 * HOUR)
                signals.append(self._signal(rng, ident, number, 1, rng.choice(EXPOSING_SOURCES), at, "网络反映", title))
        elif rng.random() < 0.2:
            if outcome == "late_phone":
                assert first is not None
                at = first + rng.randint(HOUR, DAY)  # learned of it after the (late) report: not an exposure
            else:
                at = occurred + rng.randint(0, known - occurred)  # the linkage call that told the office
            signals.append(self._signal(rng, ident, number, 1, rng.choice(LINKAGE_SOURCES), at, "联动通报", title))
        return GeneratedIncident(doc, signals, outcome)

    def _signal(self, rng: random.Random, ident: str, number: int, n: int, source: str, at: int, what: str,
                title: str) -> dict[str, Any]:
        return {"id": f"S{number:06d}-{n}", "source": source, "at": iso(at), "incident": ident, "summary": f"{what}：{title}"}

    def _grade(self, category: str, code: str, figures: dict[str, Any]) -> Severity:
        loss = figures.get("direct_loss_yuan")
        return grade(self.rules, Category(category), code, Figures(
            figures["deaths"], figures["missing"], figures.get("trapped"), figures["serious_injuries"],
            figures["injuries"], Decimal(loss) if loss is not None else None))

    @staticmethod
    def _casualties(rng: random.Random, code: str) -> dict[str, Any]:
        deaths = missing = serious = injuries = 0
        trapped: int | None = None
        if rng.random() < LETHALITY.get(code, DEFAULT_LETHALITY):
            r = rng.random()
            deaths = 1 if r < 0.70 else 2 if r < 0.90 else rng.randint(3, 9) if r < 0.995 else rng.randint(10, 29)
            if code in MISSING_TYPES and rng.random() < 0.3:
                missing = rng.randint(1, 3)
        if rng.random() < INJURY.get(code, DEFAULT_INJURY):
            if code in ("food_poisoning", "occupational_poisoning"):
                injuries, serious = rng.randint(3, 60), rng.choice((0, 0, 0, 1, 2, 3))
            else:
                injuries, serious = rng.randint(1, 6), rng.choice((0, 0, 0, 1, 1, 2))
            if deaths >= 3:
                serious += rng.randint(0, deaths)
        if code in TRAPPED_TYPES:
            trapped = rng.randint(1, 4) if rng.random() < 0.5 else 0
        return {"deaths": deaths, "missing": missing, "trapped": trapped, "serious_injuries": serious,
                "injuries": injuries, "direct_loss_yuan": None}

    @staticmethod
    def _evolve(rng: random.Random, code: str, before: dict[str, Any], *, during: bool) -> dict[str, Any]:
        after = dict(before)
        if after["missing"] and rng.random() < 0.7:
            after["missing"] -= 1
            after["deaths"] += 1
        elif after["serious_injuries"] and (not during or rng.random() < 0.3):
            after["serious_injuries"] -= 1
            after["deaths"] += 1
        elif not during:
            after["deaths"] += 1
            if after["injuries"]:
                after["injuries"] -= 1
        elif rng.random() < 0.5:
            after["injuries"] += rng.randint(1, 3)
        else:
            after["serious_injuries"] += 1
        if after.get("trapped"):
            after["trapped"] = 0  # everyone got out
        if during and rng.random() < 0.6:
            after["direct_loss_yuan"] = rng.randint(10, 5000) * 1000
        return after

    @staticmethod
    def _cadence_fill(rng: random.Random, times: list[int], closed: int) -> list[_Report]:
        """Follow-ups so that no gap while the incident is open exceeds 10 h (every cadence is 12 h or more)."""
        out: list[_Report] = []
        anchor = times[0]
        for at in [*times[1:], None]:
            limit = closed if at is None else min(at, closed)
            while limit - anchor > 10 * HOUR:
                anchor += rng.randint(8 * HOUR, 10 * HOUR)
                out.append(_Report(anchor, "follow_up", "written", role="cadence"))
            if at is not None:
                anchor = max(anchor, at)
        return out

    @staticmethod
    def _figures_json(figures: dict[str, Any]) -> dict[str, Any]:
        return {name: figures[name] for name in ("deaths", "missing", "trapped", "serious_injuries", "injuries",
                                                 "direct_loss_yuan")}

    def _reports_json(self, rng: random.Random, reports: list[_Report], truth: list[tuple[int, dict[str, Any]]],
                      outcome: str, category: str, code: str, place: str, title: str, occurred: int,
                      known: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        said: dict[str, int] = {}
        to = rng.choice(RECIPIENTS)
        truth_times = [at for at, _ in truth]
        for n, report in enumerate(reports, start=1):
            index = bisect.bisect_right(truth_times, report.at) - 1
            figures = dict(truth[index][1]) if index >= 0 else None
            stated: dict[str, Any] | None
            note: str | None = None
            if report.role == "phone" and rng.random() < 0.4:
                stated = None  # an unrecorded phone call: counts for timeliness only
            else:
                stated = {}
                if report.kind == "initial" or report.role == "final":
                    stated.update(occurred_at=iso(occurred), location=place, summary=f"{title}，现场情况已初步查明",
                                  measures=rng.choice(MEASURES))
                    if report.channel != "phone":
                        stated["known_at"] = iso(known)
                else:
                    stated["summary"] = f"续报：{title}处置进展"
                if figures is not None:
                    if outcome == "false_deaths" and report.kind == "initial":
                        figures["deaths"] = max(0, figures["deaths"] - rng.randint(1, 2))
                    for name, value in self._figures_json(figures).items():
                        if value is not None:
                            stated[name] = value
                    if report.kind != "initial" or report.channel != "phone":
                        stated["severity"] = self._grade(category, code, truth[index][1]).value
                    lowered = [name for name, value in stated.items() if name in said and isinstance(value, int)
                               and value < said[name]]
                    if lowered:
                        note = "经核实更正：" + "、".join(lowered)
                    said.update({k: v for k, v in stated.items() if k in figures and isinstance(v, int)})
                if report.role == "written":
                    if outcome == "missing_element":
                        stated.pop(rng.choice(("measures", "location")))
                    elif outcome == "false_time":
                        stated["occurred_at"] = iso(occurred + rng.randint(90, 240))
            out.append({"id": f"R{n}", "kind": report.kind, "channel": report.channel, "to": to,
                        "submitted_at": iso(report.at), "stated": stated, "correction_note": note})
        return out


# -- writing the file --------------------------------------------------------------------------------------------


def write_timeline(out: TextIO, generator: TimelineGenerator) -> GenerationStats:
    """Stream the whole timeline to *out*, one incident per line; return what it holds."""
    stats = GenerationStats()
    dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    header = {"format": "emergency-timeline/1", "office": OFFICE, "audit_at": AUDIT_AT.isoformat()}
    out.write(dump(header)[:-1] + ',\n"incidents":[\n')
    signals: list[str] = []
    for n, item in enumerate(generator.incidents()):
        out.write(("," if n else "") + dump(item.doc) + "\n")
        stats.incidents += 1
        stats.reports += len(item.doc["reports"])
        stats.truth_entries += len(item.doc["truth"])
        stats.drills += item.doc["drill"]
        stats.outcomes[item.outcome] += 1
        signals.extend(dump(s) for s in item.signals)
    signals.extend(dump(s) for s in generator.unlinked_signals())
    out.write('],\n"signals":[\n')
    for n, text in enumerate(signals):
        out.write(("," if n else "") + text + "\n")
    out.write("]}\n")
    stats.signals = len(signals)
    return stats


def generate_file(path: Path, incidents: int, seed: int = 1, rules: ReportingRules | None = None) -> GenerationStats:
    """Write a synthetic timeline of *incidents* incidents to *path*; return its statistics."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        stats = write_timeline(out, TimelineGenerator(incidents, seed, rules))
    stats.file_bytes = path.stat().st_size
    return stats


def generate_timeline(path: Path, incidents: int, seed: int = 1) -> tuple[int, int]:
    """Write a synthetic `emergency-timeline/1` file; return (incidents, reports)."""
    stats = generate_file(path, incidents, seed)
    return stats.incidents, stats.reports


# -- timing the replay -----------------------------------------------------------------------------------------


def emergency_command() -> list[str]:
    """Return the command that runs the `emergency` CLI of this interpreter's environment."""
    script = Path(sys.executable).parent / "emergency"
    if script.exists():
        return [str(script)]
    found = shutil.which("emergency")
    if found:
        return [found]
    return [sys.executable, "-c", "from emergency.cli import main; main()"]


@dataclass(slots=True)
class ReplayRun:
    """One timed run of `emergency audit replay FILE --json`."""

    seconds: float
    peak_rss_mib: float
    document: dict[str, Any]


def time_replay(path: Path, workdir: Path) -> ReplayRun:
    """Run the replay as a child process; return wall time, the children's peak RSS and the parsed output."""
    output = workdir / "findings.json"
    with output.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.run([*emergency_command(), "audit", "replay", str(path), "--json"], stdout=sink,
                              stderr=subprocess.PIPE, check=False, cwd=workdir)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"emergency audit replay exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    with output.open("rb") as f:
        document = json.load(f)
    return ReplayRun(seconds, peak_kib / 1024, document)


# -- the naive baseline ----------------------------------------------------------------------------------------


def _aware(text: str) -> datetime:
    return datetime.fromisoformat(text)


def load_database(url: str, generator: TimelineGenerator, *, batch: int = 2000) -> None:
    """Create the schema in a fresh database and bulk-insert the generated timeline (Core executemany)."""
    from sqlalchemy import insert

    from emergency.db.migrate import upgrade
    from emergency.db.models import FactRow, IncidentRow, Office, ReportRow, SignalRow
    from emergency.db.session import make_engine

    engine = make_engine(url)
    upgrade(engine)
    recorded = AUDIT_AT
    incidents: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    seq = 0
    with engine.begin() as conn:
        conn.execute(insert(Office), [{"id": 1, "name": OFFICE}])

        def flush() -> None:
            for model, rows in ((IncidentRow, incidents), (FactRow, facts), (ReportRow, reports), (SignalRow, signals)):
                if rows:
                    conn.execute(insert(model), rows)
                    rows.clear()

        for number, item in enumerate(generator.incidents(), start=1):
            doc = item.doc
            ids[doc["id"]] = number
            incidents.append({
                "id": number, "office_id": 1, "ref": doc["id"], "category": doc["category"], "type": doc["type"],
                "title": doc["title"], "location": doc["location"], "occurred_at": _aware(doc["occurred_at"]),
                "known_at": _aware(doc["known_at"]), "closed_at": _aware(doc["closed_at"]), "drill": doc["drill"],
                "severity_override": None, "severity_reason": None, "created_at": recorded})
            for t in doc["truth"]:
                facts.append({"incident_id": number, "as_of": _aware(t["as_of"]), "deaths": t["deaths"],
                              "missing": t["missing"], "trapped": t["trapped"], "serious_injuries": t["serious_injuries"],
                              "injuries": t["injuries"], "direct_loss_yuan": t["direct_loss_yuan"], "recorded_at": recorded})
            for r in doc["reports"]:
                seq += 1
                reports.append({
                    "office_id": 1, "incident_id": number, "ref": r["id"], "kind": r["kind"], "channel": r["channel"],
                    "recipient": r["to"], "submitted_at": _aware(r["submitted_at"]), "stated": r["stated"],
                    "correction_note": r["correction_note"], "corrects_ref": None, "chain_seq": seq,
                    "prev_hash": "0" * 64, "content_hash": f"{seq:064x}", "recorded_at": recorded})
            for s in item.signals:
                signals.append({"office_id": 1, "incident_id": number, "ref": s["id"], "source": s["source"],
                                "at": _aware(s["at"]), "summary": s["summary"], "recorded_at": recorded})
            if number % batch == 0:
                flush()
        for s in generator.unlinked_signals():
            signals.append({"office_id": 1, "incident_id": None, "ref": s["id"], "source": s["source"],
                            "at": _aware(s["at"]), "summary": s["summary"], "recorded_at": recorded})
        flush()
    engine.dispose()


@dataclass(slots=True)
class BaselineRun:
    """The naive per-incident audit of (a sample of) the database."""

    seconds: float
    audited: int
    queries: int
    findings: Counter[tuple[str, str]]


def naive_audit(url: str, rules: ReportingRules, *, step: int) -> BaselineRun:
    """Audit every *step*-th incident the naive way: lazy ORM loads and one audit per incident; time it."""
    from sqlalchemy import event, select

    from emergency.db.models import IncidentRow
    from emergency.db.session import make_engine, make_session_factory
    from emergency.domain.audits import AuditResult, IncidentAudit, audit_incident, summarize
    from emergency.services.incidents import signals_of, to_domain
    from emergency.timelines import findings_document

    engine = make_engine(url)
    queries = 0

    def count(*_: Any) -> None:
        nonlocal queries
        queries += 1

    event.listen(engine, "before_cursor_execute", count)
    factory = make_session_factory(engine)
    start = time.perf_counter()
    with factory() as session:
        query = select(IncidentRow).order_by(IncidentRow.id)
        if step > 1:
            query = query.where((IncidentRow.id - 1) % step == 0)
        audits: list[IncidentAudit] = []
        for row in session.scalars(query):
            # to_domain reads row.facts and row.reports: one lazy SELECT each; signals_of is a third.
            audits.append(audit_incident(rules, to_domain(row), signals_of(session, incident=row), AUDIT_AT))
        result = AuditResult(office=OFFICE, audit_at=AUDIT_AT, incidents=tuple(audits), summary=summarize(audits))
        text = json.dumps(findings_document(result), ensure_ascii=False, indent=2)
    seconds = time.perf_counter() - start
    engine.dispose()
    assert text
    found = Counter((f.incident, f.type.value) for f in result.findings)
    return BaselineRun(seconds, len(audits), queries, found)


# -- the whole benchmark ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Return nproc, the CPU model and the memory of this machine."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_gib, 1), "python": platform.python_version()}


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """Generate, replay, load the baseline database, audit it naively; return the results."""
    rules = load_rules()
    keep = args.workdir is not None
    workdir = Path(args.workdir) if keep else Path(tempfile.mkdtemp(prefix="bench-audit-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        path = workdir / f"timeline-{args.incidents}-seed{args.seed}.json"
        console.log(f"generating {args.incidents} incidents (seed {args.seed}) into {path}")
        start = time.perf_counter()
        stats = generate_file(path, args.incidents, args.seed, rules)
        generate_seconds = time.perf_counter() - start
        console.log(f"wrote {stats.file_bytes / 2**20:.0f} MiB: {stats.reports} reports, {stats.truth_entries} truth entries, "
                    f"{stats.signals} signals in {generate_seconds:.1f} s")

        runs: list[float] = []
        for n in range(args.repeat):
            console.log(f"timing `emergency audit replay FILE --json` (run {n + 1} of {args.repeat}) …")
            replay = time_replay(path, workdir)
            runs.append(replay.seconds)
            console.log(f"replay: {replay.seconds:.2f} s, peak RSS so far {replay.peak_rss_mib:.0f} MiB, "
                        f"{len(replay.document['findings'])} findings")
        seconds = statistics.median(runs)
        document = replay.document
        summary = document["summary"]
        if document.get("format") != "emergency-findings/1":
            raise RuntimeError(f"replay printed format {document.get('format')!r}, not emergency-findings/1")
        if summary["incidents"] != stats.incidents - stats.drills:  # drills are never counted
            raise RuntimeError(f"replay counted {summary['incidents']} incidents, expected {stats.incidents - stats.drills}")
        by_type = Counter(f["type"] for f in document["findings"])

        result: dict[str, Any] = {
            "incidents": stats.incidents, "reports": stats.reports,
            "seconds": round(seconds, 3), "peak_rss_mib": round(replay.peak_rss_mib, 1),
            "baseline_seconds": None, "seconds_runs": [round(r, 3) for r in runs],
            "truth_entries": stats.truth_entries, "signals": stats.signals, "drills": stats.drills,
            "file_mib": round(stats.file_bytes / 2**20, 1), "generate_seconds": round(generate_seconds, 2),
            "findings": len(document["findings"]),
            "findings_by_type": dict(sorted(by_type.items())), "summary": summary,
            "outcomes_generated": dict(sorted(stats.outcomes.items())), "seed": args.seed, "machine": machine(),
        }
        if not args.no_baseline:
            db = workdir / "baseline.sqlite"
            db.unlink(missing_ok=True)
            url = f"sqlite:///{db}"
            console.log(f"loading the same data into {db} (Core executemany) …")
            start = time.perf_counter()
            load_database(url, TimelineGenerator(args.incidents, args.seed, rules))
            result["baseline_load_seconds"] = round(time.perf_counter() - start, 2)
            sample = args.baseline_sample
            step = max(1, -(-stats.incidents // sample)) if sample and stats.incidents > sample else 1
            console.log(f"naive per-incident ORM audit of every {step}. incident …")
            base = naive_audit(url, rules, step=step)
            scale = stats.incidents / base.audited if base.audited else 1.0
            audited_ids = {f"E{n:06d}" for n in range(1, stats.incidents + 1, step)}
            replay_found = Counter((f["incident"], f["type"]) for f in document["findings"]
                                   if f["incident"] in audited_ids)
            result.update({
                "baseline_seconds": round(base.seconds * scale, 2),
                "baseline_measured_seconds": round(base.seconds, 3),
                "baseline_incidents_audited": base.audited,
                "baseline_extrapolated_from": base.audited if step > 1 else None,
                "baseline_queries": base.queries,
                "baseline_agrees_with_replay": replay_found == base.findings,
                "speedup": round(base.seconds * scale / seconds, 1) if seconds else None,
            })
            console.log(f"baseline: {base.seconds:.2f} s for {base.audited} incidents ({base.queries} queries)"
                        + (f", extrapolated to {base.seconds * scale:.1f} s" if step > 1 else ""))
        return result
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run the benchmark, print the result."""
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=100_000, help="incidents in the synthetic year (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--baseline-sample", type=int, default=10_000,
                        help="audit at most this many incidents naively and extrapolate linearly (default 10000; 0 = all)")
    parser.add_argument("--repeat", type=int, default=1, help="time the replay this many times; report the median")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive database baseline")
    parser.add_argument("--workdir", help="keep the timeline, findings and database here (default: a temp dir, removed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.incidents < 0 or args.repeat < 1 or args.baseline_sample < 0:
        parser.error("--incidents and --baseline-sample must be >= 0, --repeat >= 1")
    console = Console(stderr=True, quiet=args.quiet, highlight=False)
    result = run(args, console)
    if args.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    line = (f"{result['incidents']} incidents, {result['reports']} reports: replay {result['seconds']:.2f} s, "
            f"peak RSS {result['peak_rss_mib']:.0f} MiB")
    if result["baseline_seconds"] is not None:
        extrapolated = result.get("baseline_extrapolated_from")
        line += f"; naive ORM baseline {result['baseline_seconds']:.1f} s"
        line += f" (extrapolated from {extrapolated} incidents)" if extrapolated else ""
        line += f"; baseline/replay {result['speedup']}x" if result.get("speedup") else ""
    print(line)


if __name__ == "__main__":
    main()
