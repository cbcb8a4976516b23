"""The monitoring and feed poll flows as real Prefect runs against a real HTTP server on 127.0.0.1, and their schedules."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

from emergency.clock import CN_TZ
from emergency.db.models import CapMessageRow, MonitoringReadingRow, WarningRow
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.receiver import Receiver
from flows._runtime import runtime
from flows.deployments import build_deployments
from flows.feed_flow import feed_poll
from flows.monitoring_flow import monitoring_poll
from tests.warning_support import cap_bytes

pytestmark = pytest.mark.usefixtures("prefect_harness")

AS_OF = datetime(2026, 7, 20, 10, 0, tzinfo=CN_TZ)
POINT = """  - code: {code}
    name: {code}积水监测
    kind: water_level
    unit: m
    url: {url}
    location: 万福街铁路桥下
    community: ZY02
    grid: ZY02-01
    warning_type: waterlogging
    source: test
    thresholds:
      - {{level: yellow, raise_at: 0.25, clear_below: 0.20, source: 地方做法}}
      - {{level: red, raise_at: 0.50, clear_below: 0.45, source: 地方做法}}
"""


@pytest.fixture
def plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, office_env: tuple[Path, Receiver],
          httpserver: HTTPServer) -> Path:
    """A copy of plans/ whose monitoring points and feed are served by the test's HTTP server."""
    folder = tmp_path / "plans"
    shutil.copytree(DEFAULT_PLANS_DIR, folder)
    (folder / "monitoring.yaml").write_text(
        "source: test\npoints:\n" + POINT.format(code="W1", url=httpserver.url_for("/w1"))
        + POINT.format(code="W2", url=httpserver.url_for("/down")), encoding="utf-8")
    (folder / "feeds.yaml").write_text(
        f"source: test\nfeeds:\n  - {{name: 长春, url: '{httpserver.url_for('/cap.xml')}', source: test}}\n",
        encoding="utf-8")
    monkeypatch.setenv("EMERGENCY_PLANS_DIR", str(folder))
    runtime.cache_clear()
    return folder


def test_monitoring_flow_issues_reports_failures_and_polls_conditionally(plans: Path, httpserver: HTTPServer) -> None:
    """W1 at 0.30 m issues yellow while W2's 500 is reported; the next run sends W1's ETag and the 304 changes
    nothing; the deployment polls every 2 minutes."""
    httpserver.expect_request("/w1", headers={"If-None-Match": '"a"'}).respond_with_data("", status=304)
    httpserver.expect_request("/w1").respond_with_json({"value": 0.30, "at": "2026-07-20T09:58:00+08:00"},
                                                        headers={"ETag": '"a"'})
    httpserver.expect_request("/down").respond_with_data("down", status=500)
    first = monitoring_poll(as_of=AS_OF)
    assert (first["points"], first["fetched"], first["failed"], first["readings"]) == (2, 1, 1, 1)
    [change] = first["changes"]
    assert (change["code"], change["action"], change["level"]) == ("W1", "issued", "yellow")
    assert "HTTP 500" in next(r["error"] for r in first["results"] if r["code"] == "W2")
    second = monitoring_poll(as_of=AS_OF + timedelta(minutes=2))
    assert (second["not_modified"], second["failed"], second["changes"]) == (1, 1, [])
    with runtime().sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(MonitoringReadingRow)) == 1
        [warning] = session.scalars(select(WarningRow)).all()
        assert (warning.origin, warning.level, warning.status) == ("monitoring", "yellow", "active")
    [deployment] = [d for d in build_deployments() if d.name == "monitoring"]
    [schedule] = deployment.schedules
    assert schedule.schedule.interval == timedelta(minutes=2)  # type: ignore[union-attr]


def test_feed_flow_imports_once_and_polls_conditionally(plans: Path, httpserver: HTTPServer) -> None:
    """The feed's message is imported once; the next run sends Last-Modified and the 304 imports nothing; the
    deployment polls every 5 minutes."""
    modified = "Mon, 20 Jul 2026 01:30:00 GMT"
    httpserver.expect_request("/cap.xml", headers={"If-Modified-Since": modified}).respond_with_data("", status=304)
    httpserver.expect_request("/cap.xml").respond_with_data(cap_bytes("CC-1"), headers={"Last-Modified": modified})
    first = feed_poll(as_of=AS_OF)
    assert (first["feeds"], first["fetched"], first["new"], first["errors"]) == (1, 1, 1, 0)
    assert first["results"][0]["outcomes"][0]["action"] == "issued"
    second = feed_poll(as_of=AS_OF + timedelta(minutes=5))
    assert (second["not_modified"], second["new"]) == (1, 0)
    with runtime().sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(CapMessageRow)) == 1
    [deployment] = [d for d in build_deployments() if d.name == "feeds"]
    [schedule] = deployment.schedules
    assert schedule.schedule.interval == timedelta(minutes=5)  # type: ignore[union-attr]
