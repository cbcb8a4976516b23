"""Test data and helpers shared by the integration tests: the worked examples, a bigger timeline, row counts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.session import unit_of_work
from emergency.plans.rules import ReportingRules
from emergency.services.audits import ImportCounts, import_timeline
from emergency.timelines import parse_aware

ROOT = Path(__file__).resolve().parents[2]
OFFICE = "长春市绿园区正阳街道办事处"
TABLES = ("offices", "incidents", "facts", "reports", "signals")


def examples_dir() -> Path | None:
    """Return the spec's worked examples folder: shared/ beside the project (as in CI), or /work/shared."""
    for candidate in (ROOT.parent / "shared" / "spec" / "examples", Path("/work/shared/spec/examples")):
        if candidate.is_dir():
            return candidate
    return None


def example_files() -> list[Path]:
    """Return every worked example file, or none when shared/ is not beside the project."""
    folder = examples_dir()
    return sorted(folder.glob("*.json")) if folder else []


def load_example(path: Path) -> dict[str, Any]:
    """Return an example as a timeline document, without its `note` and `expected_types` keys."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("note", None)
    doc.pop("expected_types", None)
    return doc


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    """Write *doc* as UTF-8 JSON and return the path."""
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def count_rows(engine: Engine) -> dict[str, int]:
    """Return the number of rows of every table of the reporting core."""
    with engine.connect() as conn:
        return {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) for table in TABLES}


def import_document(sessions: sessionmaker[Session], rules: ReportingRules, doc: dict[str, Any],
                    now: str = "2026-04-01T00:00:00+08:00") -> ImportCounts:
    """Import a timeline document through the service, in one unit of work."""
    with unit_of_work(sessions) as session:
        return import_timeline(session, rules=rules, raw=copy.deepcopy(doc), origin="test", now=parse_aware(now))


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """Return a findings document with its findings in a canonical order (databases order incidents by time)."""
    out = dict(document)
    out["findings"] = sorted(document["findings"], key=lambda f: json.dumps(f, sort_keys=True, ensure_ascii=False))
    return out


def _t(day: int, clock: str, offset: str = "+08:00") -> str:
    return f"2026-03-{day:02d}T{clock}:00{offset}"


def _stated(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"location": "正阳街道", "summary": "情况概述", "measures": "已组织处置"}
    base.update(fields)
    return base


def big_timeline() -> dict[str, Any]:
    """A month of one office: six incidents of every category, two drills, corrections, unrecorded calls,
    partly recorded statements, a graded-by-hand incident, linked and unlinked signals, and times written
    with several UTC offsets. It is meant to produce every finding type somewhere."""
    to = "绿园区应急管理局"
    return {
        "format": "emergency-timeline/1",
        "office": OFFICE,
        "audit_at": "2026-04-01T00:00:00+08:00",
        "incidents": [
            {   # Reported on time, a death verified later, follow-up and final: the well-run case.
                "id": "E1", "category": "accident", "type": "gas_explosion", "title": "万福街某餐馆燃气爆炸",
                "location": "万福街87号", "occurred_at": "2026-03-01T00:10:00Z", "known_at": _t(1, "08:20"),
                "closed_at": _t(2, "20:00"), "drill": False,
                "truth": [
                    {"as_of": _t(1, "08:30"), "deaths": 0, "missing": 0, "serious_injuries": 1, "injuries": 2,
                     "direct_loss_yuan": None},
                    {"as_of": _t(1, "15:00"), "deaths": 1, "missing": 0, "serious_injuries": 1, "injuries": 2,
                     "direct_loss_yuan": 1200000.5},
                ],
                "reports": [
                    {"id": "R1", "kind": "initial", "channel": "phone", "to": to, "submitted_at": _t(1, "08:40"),
                     "stated": None, "correction_note": None},
                    {"id": "R2", "kind": "initial", "channel": "written", "to": to,
                     "submitted_at": "2026-03-01T10:10:00+09:00",
                     "stated": _stated(occurred_at=_t(1, "08:10"), known_at=_t(1, "08:20"), deaths=0, missing=0,
                                       serious_injuries=1, injuries=2, location="万福街87号"),
                     "correction_note": None},
                    {"id": "R3", "kind": "follow_up", "channel": "platform", "to": to, "submitted_at": _t(1, "23:30"),
                     "stated": _stated(deaths=1, missing=0, serious_injuries=1, injuries=2,
                                       direct_loss_yuan=1200000.5),
                     "correction_note": None},
                    {"id": "RZ", "kind": "final", "channel": "written", "to": to, "submitted_at": _t(3, "09:00"),
                     "stated": _stated(deaths=1, missing=0, serious_injuries=1, injuries=2), "correction_note": None},
                ],
            },
            {   # Written report late and understating deaths; a later report lowers injuries with a note.
                "id": "E2", "category": "accident", "type": "fire", "title": "某小区住宅火灾",
                "location": "青年路某小区5栋", "occurred_at": _t(5, "21:00"), "known_at": _t(5, "21:10"),
                "closed_at": _t(6, "06:00"), "drill": False,
                "truth": [
                    {"as_of": _t(5, "21:30"), "deaths": 2, "missing": 0, "serious_injuries": 0, "injuries": 3},
                    {"as_of": _t(6, "02:00"), "deaths": 2, "missing": 0, "serious_injuries": 0, "injuries": 1,
                     "direct_loss_yuan": 35000},
                ],
                "reports": [
                    {"id": "R1", "kind": "initial", "channel": "phone", "to": to, "submitted_at": _t(5, "21:35"),
                     "stated": _stated(occurred_at=_t(5, "21:00"), deaths=1, injuries=3), "correction_note": None},
                    {"id": "R2", "kind": "initial", "channel": "written", "to": to, "submitted_at": _t(5, "23:55"),
                     "stated": _stated(occurred_at=_t(5, "21:00"), deaths=2, missing=0, serious_injuries=0, injuries=3),
                     "correction_note": None},
                    {"id": "R3", "kind": "follow_up", "channel": "written", "to": to, "submitted_at": _t(6, "03:00"),
                     "stated": _stated(deaths=2, missing=0, serious_injuries=0, injuries=1),
                     "correction_note": "两名轻伤者经医院复查未受伤，更正受伤人数", "corrects": "R2"},
                ],
            },
            {   # Never reported although 110 knew: concealed.
                "id": "E3", "category": "accident", "type": "road_traffic", "title": "皓月大路货车侧翻",
                "location": "皓月大路与普阳街交汇处", "occurred_at": _t(9, "06:40"), "known_at": _t(9, "07:00"),
                "closed_at": None, "drill": False,
                "truth": [{"as_of": _t(9, "07:00"), "deaths": 0, "missing": 0, "serious_injuries": 2, "injuries": 1}],
                "reports": [],
            },
            {   # A drill with a late written report: findings, but never in the statistics.
                "id": "E4", "category": "public_health", "type": "food_poisoning", "title": "学校食堂食物中毒演练",
                "location": "正阳小学", "occurred_at": _t(12, "11:30"), "known_at": _t(12, "11:45"),
                "closed_at": _t(12, "16:00"), "drill": True,
                "truth": [{"as_of": _t(12, "12:00"), "deaths": 0, "serious_injuries": 0, "injuries": 12}],
                "reports": [
                    {"id": "R1", "kind": "initial", "channel": "phone", "to": to, "submitted_at": _t(12, "12:00"),
                     "stated": _stated(occurred_at=_t(12, "11:30"), deaths=0, serious_injuries=0, injuries=12),
                     "correction_note": None},
                    {"id": "R2", "kind": "initial", "channel": "written", "to": to, "submitted_at": _t(12, "14:00"),
                     "stated": _stated(occurred_at=_t(12, "11:30"), deaths=0, serious_injuries=0, injuries=12),
                     "correction_note": None},
                    {"id": "RZ", "kind": "final", "channel": "written", "to": to, "submitted_at": _t(12, "18:00"),
                     "stated": _stated(deaths=0, serious_injuries=0, injuries=12), "correction_note": None},
                ],
            },
            {   # Graded by hand, still open; the initial report leaves out measures and its place is not on record.
                "id": "E5", "category": "natural_disaster", "type": "flood", "title": "新竹路地下通道积水被困",
                "location": "新竹路地下通道", "occurred_at": "2026-03-15T23:50:00-01:00", "known_at": _t(16, "09:05"),
                "closed_at": None, "drill": False, "severity": "III", "severity_reason": "区防指研判按较大事件处置",
                "truth": [{"as_of": _t(16, "09:05"), "deaths": 0, "missing": 0, "trapped": 4, "injuries": 0}],
                "reports": [
                    {"id": "R1", "kind": "initial", "channel": "unknown", "to": to, "submitted_at": _t(16, "09:25"),
                     "stated": {"occurred_at": _t(16, "08:50"), "location": "新竹路", "summary": "地下通道积水，车辆被困",
                                "deaths": 0, "missing": 0, "trapped": 4, "not_on_record": ["location"]},
                     "correction_note": None},
                ],
            },
            {   # Exposed by the media before the office said anything, then reported: concealed and late.
                "id": "E6", "category": "social_security", "type": "crowd_crush", "title": "商场促销活动拥挤踩踏",
                "location": "欧亚商都", "occurred_at": _t(20, "19:00"), "known_at": _t(20, "19:05"),
                "closed_at": _t(20, "23:00"), "drill": False,
                "truth": [{"as_of": _t(20, "19:30"), "deaths": 0, "missing": 0, "serious_injuries": 0, "injuries": 6}],
                "reports": [
                    {"id": "R1", "kind": "initial", "channel": "platform", "to": to, "submitted_at": _t(20, "21:00"),
                     "stated": _stated(occurred_at=_t(20, "19:00"), deaths=0, missing=0, serious_injuries=0,
                                       injuries=6),
                     "correction_note": None},
                ],
            },
            {   # A second drill, reported on time by phone only: the written and final reports never come.
                "id": "E7", "category": "accident", "type": "elevator_accident", "title": "电梯困人应急演练",
                "location": "正阳街道办公楼", "occurred_at": _t(25, "10:00"), "known_at": _t(25, "10:00"),
                "closed_at": _t(25, "10:40"), "drill": True,
                "truth": [{"as_of": _t(25, "10:05"), "deaths": 0, "trapped": 3, "injuries": 0}],
                "reports": [
                    {"id": "R1", "kind": "initial", "channel": "phone", "to": to, "submitted_at": _t(25, "10:10"),
                     "stated": None},
                ],
            },
        ],
        "signals": [
            {"id": "S1", "source": "grid", "at": _t(1, "08:15"), "incident": "E1", "summary": "网格员报告餐馆爆炸"},
            {"id": "S2", "source": "110", "at": _t(9, "06:45"), "incident": "E3", "summary": "110接报货车侧翻"},
            {"id": "S3", "source": "media", "at": "2026-03-20T11:30:00Z", "incident": "E6", "summary": "短视频平台出现踩踏视频"},
            {"id": "S4", "source": "12345", "at": _t(22, "14:00"), "incident": None, "summary": "市民反映路灯不亮"},
            {"id": "S5", "source": "hospital", "at": _t(5, "22:10"), "incident": "E2", "summary": "医院收治火灾伤员"},
        ],
    }
