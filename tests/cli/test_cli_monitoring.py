"""`emergency monitoring points` and `emergency run monitoring` as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from emergency.plans.loader import DEFAULT_PLANS_DIR
from tests.conftest import CliRunner

NOW = "2026-07-20T10:00:00+08:00"


def test_points_lists_the_plan_and_a_bad_plan_is_one_line(cli: CliRunner, tmp_path: Path) -> None:
    """The shipped points are listed with their thresholds; a threshold without hysteresis fails with file, field
    and why on one line, exit 1, no traceback."""
    assert cli("init").code == 0
    listed = cli("monitoring", "points", "--json", now=NOW)
    assert listed.code == 0, listed
    points = {p["code"]: p for p in json.loads(listed.stdout)}
    assert set(points) == {"WL-WF-001", "WL-WF-002", "GAS-WF-001", "GAS-ZY-001"}
    assert points["GAS-WF-001"]["community"] == "万福社区" and points["GAS-WF-001"]["last_polled_at"] is None
    assert [t["raise_at"] for t in points["WL-WF-001"]["thresholds"]] == [0.15, 0.25, 0.4, 0.5]

    plans = tmp_path / "plans"
    shutil.copytree(DEFAULT_PLANS_DIR, plans)
    text = (plans / "monitoring.yaml").read_text(encoding="utf-8")
    (plans / "monitoring.yaml").write_text(text.replace("clear_below: 0.20", "clear_below: 0.25", 1), encoding="utf-8")
    bad = cli("monitoring", "points", env={"EMERGENCY_PLANS_DIR": str(plans)})
    assert bad.code == 1
    assert "Traceback" not in bad.stdout + bad.stderr
    [line] = bad.stderr.strip().splitlines()
    assert "monitoring.yaml" in line and "points[WL-WF-001]" in line and "clear_below (0.25) must be below" in line


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a Prefect run costs ~12 s; PG is covered in-process
def test_run_monitoring_issues_a_warning_the_list_shows(cli: CliRunner, tmp_path: Path,
                                                        httpserver: HTTPServer) -> None:
    """`emergency run monitoring` polls the points once: the gas point at 42 %LEL issues orange, the others (not
    served) are reported; `monitoring points` then shows the reading, the warning and the errors."""
    plans = tmp_path / "plans"
    shutil.copytree(DEFAULT_PLANS_DIR, plans)
    text = (plans / "monitoring.yaml").read_text(encoding="utf-8")
    text = text.replace("http://iot.zhengyang.example/api/points/GAS-WF-001/latest", httpserver.url_for("/gas"))
    (plans / "monitoring.yaml").write_text(text.replace("http://iot.zhengyang.example", httpserver.url_for("/none")),
                                           encoding="utf-8")
    httpserver.expect_request("/gas").respond_with_json({"value": 42, "at": "2026-07-20T09:59:00+08:00",
                                                         "unit": "%LEL"})
    env = {"EMERGENCY_PLANS_DIR": str(plans)}
    assert cli("init").code == 0
    ran = cli("run", "monitoring", "--param", f"as_of={NOW}", now=NOW, env=env)
    assert ran.code == 0, ran
    result = json.loads(ran.stdout)
    assert (result["points"], result["fetched"], result["failed"]) == (4, 1, 3)
    assert [(c["code"], c["action"], c["level"]) for c in result["changes"]] == [("GAS-WF-001", "issued", "orange")]
    listed = {p["code"]: p for p in json.loads(cli("monitoring", "points", "--json", env=env).stdout)}
    assert (listed["GAS-WF-001"]["last_value"], listed["GAS-WF-001"]["level"]) == (42, "orange")
    assert "HTTP 500" in listed["WL-WF-001"]["last_error"]
    shown = cli("warning", "show", str(listed["GAS-WF-001"]["warning_id"]), "--json", env=env)
    assert shown.code == 0, shown
    assert json.loads(shown.stdout)["origin"] == "monitoring"
