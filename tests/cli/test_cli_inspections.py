"""`emergency hazard-source import/list` and `emergency run inspection` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.integration.support import ROOT

NOW = "2026-11-26T07:00:00+08:00"
HEADER = "编号,名称,类型,风险等级,社区,网格,责任单位,联系人,联系电话,位置\n"


def test_a_bad_row_is_one_line_naming_row_and_column_and_nothing_is_stored(cli: CliRunner, tmp_path: Path) -> None:
    """One bad cell: exit 1, one line naming the row and the column, no traceback, nothing stored; --skip-bad
    stores the good row and names the bad one."""
    assert cli("init").code == 0
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + "F1,某燃气用户,燃气,重大,正阳社区,第一网格,某单位,张三,13900000001,正阳街1号\n"
                             "F2,某商铺,沿街商铺,紫色,正阳社区,第一网格,某单位,李四,13900000002,正阳街2号\n",
                    encoding="utf-8")
    bad = cli("hazard-source", "import", path, now=NOW)
    assert bad.code == 1
    assert bad.stderr.strip().count("\n") == 0
    assert "row 3, column 风险等级: '紫色' is not a risk level" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
    assert json.loads(cli("hazard-source", "list", "--json").stdout) == []

    skipped = cli("hazard-source", "import", path, "--skip-bad", now=NOW)
    assert skipped.code == 0, skipped
    assert "1 new" in skipped.stdout and "skipped 1 bad row" in skipped.stdout
    assert "row 3, column 风险等级" in skipped.stderr
    assert [s["code"] for s in json.loads(cli("hazard-source", "list", "--json").stdout)] == ["F1"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a Prefect run costs ~12 s; PG is covered in-process
def test_import_the_example_then_run_planning(cli: CliRunner) -> None:
    """The example ledger imports; `emergency run inspection` creates the due inspections and notices the leaders."""
    assert cli("init").code == 0
    imported = cli("hazard-source", "import", ROOT / "examples" / "hazard-sources-zhengyang.xlsx", now=NOW)
    assert imported.code == 0, imported
    assert "16 new" in imported.stdout
    listed = cli("hazard-source", "list", "--community", "万福社区")
    assert "万福街铁路桥下低洼路段" in listed.stdout and "重大风险（红）" in listed.stdout
    first = cli("run", "inspection", "--param", f"as_of={NOW}", now=NOW)
    assert first.code == 0, first
    result = json.loads(first.stdout)
    assert result["created"] == result["due"] > 0 and result["notices"] == 5
