"""plans/monitoring.yaml and plans/feeds.yaml: the shipped files load, a bad file names file, field and why; the JSON a
point answers is read in each documented shape and refused with the reason otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from emergency.adapters.monitoring_http import PollError, parse_readings, poll
from emergency.clock import CN_TZ
from emergency.domain.enums import MonitoringKind, WarningLevel
from emergency.errors import RulesError
from emergency.plans.feeds import load_feed_plan
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.monitoring import load_monitoring_plan

POINT = """source: test
points:
  - code: P1
    name: 测试点
    kind: water_level
    unit: m
    url: http://127.0.0.1:1/p1
    community: ZY02
    grid: ZY02-01
    warning_type: waterlogging
    source: test
    thresholds:
      - {level: yellow, raise_at: 0.30, clear_below: 0.25, source: 地方做法}
      - {level: red, raise_at: 0.50, clear_below: 0.45, source: 地方做法}
"""


def load(tmp_path: Path, text: str) -> object:
    """Load a points file written from *text*."""
    path = tmp_path / "points.yaml"
    path.write_text(text, encoding="utf-8")
    return load_monitoring_plan(DEFAULT_PLANS_DIR, file=path)


def test_the_shipped_plans_load_with_a_source_for_every_threshold() -> None:
    """plans/monitoring.yaml: water level and gas points of 正阳街道, every threshold cited; plans/feeds.yaml loads."""
    plan = load_monitoring_plan(DEFAULT_PLANS_DIR)
    assert {p.kind for p in plan.points} == {MonitoringKind.WATER_LEVEL, MonitoringKind.GAS_CONCENTRATION}
    assert all(t.source.strip() for p in plan.points for t in p.thresholds)
    gas = plan.point("GAS-WF-001")
    assert gas is not None and gas.unit == "%LEL"
    yellow = gas.threshold(WarningLevel.YELLOW)
    assert yellow is not None and yellow.raise_at == 20 and "GB/T 50493-2019" in yellow.source
    water = plan.point("WL-WF-001")
    assert water is not None and "GB 51222-2017" in (water.threshold(WarningLevel.BLUE) or yellow).source
    assert load_feed_plan(DEFAULT_PLANS_DIR).feeds  # a placeholder feed, inactive until the district gives the URL


def test_a_missing_plan_means_no_points_or_feeds(tmp_path: Path) -> None:
    """An office without plans/monitoring.yaml or plans/feeds.yaml polls nothing."""
    assert load_feed_plan(tmp_path).feeds == ()


@pytest.mark.parametrize(("change", "field", "why"), [
    (("clear_below: 0.25", "clear_below: 0.30"), "points[P1]", "must be below raise_at"),
    (("raise_at: 0.50, clear_below: 0.45", "raise_at: 0.28, clear_below: 0.26"), "points[P1]",
     "raise_at must be above yellow's"),
    (("grid: ZY02-01", "grid: ZY01-01"), "points[P1].grid", "belongs to ZY01, not ZY02"),
    (("grid: ZY02-01", "grid: XX-99"), "points[P1].grid", "not a grid of street.yaml"),
    (("warning_type: waterlogging", "warning_type: tsunami"), "points[P1].warning_type", "not a type"),
    (("warning_type: waterlogging", "warning_type: frost"), "points[P1].thresholds", "霜冻 has no red level"),
    (("url: http://127.0.0.1:1/p1", "url: ftp://host/p1"), "points[P1].url", "not an http(s) URL"),
    (("kind: water_level", "kind: noise"), "points[P1].kind", "Input should be"),
    ((", source: 地方做法}", "}"), "points[P1].thresholds[0].source", "Field required"),
])
def test_a_bad_points_file_names_file_field_and_why(tmp_path: Path, change: tuple[str, str], field: str,
                                                   why: str) -> None:
    """Each defect fails loading with RulesError(file, field, why)."""
    with pytest.raises(RulesError) as caught:
        load(tmp_path, POINT.replace(*change, 1))
    assert caught.value.path.endswith("points.yaml")
    assert caught.value.field == field
    assert why in caught.value.why


def test_duplicate_codes_are_refused(tmp_path: Path) -> None:
    """Two points with one code: refused."""
    text = POINT + POINT.split("points:\n", 1)[1]
    with pytest.raises(RulesError, match="point codes must be unique: P1"):
        load(tmp_path, text)


def test_readings_in_every_documented_shape() -> None:
    """One object, a list, or {"readings": [...]}; a BOM is accepted; other keys are kept as raw."""
    one = parse_readings(b'{"value": 0.32, "at": "2026-07-01T08:00:00+08:00", "battery": 87}', unit="m")
    assert [(r.at.astimezone(CN_TZ).hour, r.value, r.raw["battery"]) for r in one] == [(8, 0.32, 87)]
    listed = parse_readings('\ufeff[{"value": 1, "at": "2026-07-01T00:00:00Z"}]'.encode(), unit="m")
    assert listed[0].value == 1.0 and listed[0].at.utcoffset() is not None
    wrapped = parse_readings(b'{"readings": []}', unit="m")
    assert wrapped == ()


@pytest.mark.parametrize(("body", "why"), [
    (b"not json", "not JSON"),
    (b'{"value": "0.3", "at": "2026-07-01T08:00:00+08:00"}', "is not a finite number"),
    (b'{"value": true, "at": "2026-07-01T08:00:00+08:00"}', "is not a finite number"),
    (b'{"value": NaN, "at": "2026-07-01T08:00:00+08:00"}', "is not a finite number"),
    (b'{"value": 0.3}', "is not an ISO 8601 time"),
    (b'{"value": 0.3, "at": "yesterday"}', "is not an ISO 8601 time"),
    (b'{"value": 0.3, "at": "2026-07-01T08:00:00"}', "has no UTC offset"),
    (b'[{"value": 0.3, "at": "2026-07-01T08:00:00+08:00"}, 5]', "reading 2: expected an object"),
    (b'{"value": 30, "at": "2026-07-01T08:00:00+08:00", "unit": "cm"}', "not the point's unit 'm'"),
])
def test_a_bad_answer_is_refused_with_the_reason(body: bytes, why: str) -> None:
    """Anything but readings in the documented shape is refused whole."""
    with pytest.raises(PollError, match=why):
        parse_readings(body, unit="m", where="P1")


def test_only_http_urls_are_polled() -> None:
    """A file: URL is refused before any request."""
    with pytest.raises(PollError, match="only http and https"):
        poll(requests.Session(), "file:///etc/passwd", unit="m")
