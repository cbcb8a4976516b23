"""`emergency supplies …` and `emergency run supplies` as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.integration.support import ROOT

NOW = "2026-11-30T09:00:00+08:00"
EXAMPLE = ROOT / "examples" / "supplies-zhengyang.csv"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL is covered in-process


def test_import_move_and_refusals_are_one_line_and_store_nothing(cli: CliRunner, tmp_path: Path) -> None:
    """A bad row or an issue beyond stock: exit 1, one line naming the record and field, nothing stored."""
    assert cli("init").code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("仓库,物资编码,物资名称,单位,数量\n正阳街道应急物资储备库,sandbag,沙袋,条,100\n"
                   "正阳街道应急物资储备库,sandbag,沙袋,条,一百\n", encoding="utf-8")
    refused = cli("supplies", "import", bad, now=NOW)
    assert refused.code == 1 and refused.stderr.strip().count("\n") == 0
    assert "row 3, column 数量: '一百' is not a number" in refused.stderr and "Traceback" not in refused.stderr
    assert json.loads(cli("supplies", "stock", "--json", now=NOW).stdout) == []

    imported = cli("supplies", "import", EXAMPLE, "--by", "郑红", now=NOW)
    assert imported.code == 0, imported
    assert "43 received, 0 already imported" in imported.stdout
    assert cli("incident", "open", "--category", "natural_disaster", "--type", "flood", "--title", "万福街积水",
               "--location", "万福街", "--occurred-at", "2026-11-30T07:00:00+08:00", now=NOW).code == 0
    too_many = cli("supplies", "move", "--kind", "issue", "--item", "沙袋", "--store", "储备库", "--quantity", "2000",
                   "--incident", "2026-0001", "--by", "郑红", now=NOW)
    assert too_many.code == 1 and too_many.stderr.strip().count("\n") == 0
    assert ("issue of sandbag (沙袋) at ZY-CK01, field quantity: 2000 条 asked but only 1500 条 in stock"
            in too_many.stderr)
    issued = cli("supplies", "move", "--kind", "issue", "--item", "沙袋", "--store", "储备库", "--quantity", "500",
                 "--incident", "2026-0001", "--by", "郑红", "--json", now=NOW)
    assert issued.code == 0, issued
    assert json.loads(issued.stdout)["store_stock"] == "1000"
    stock = json.loads(cli("supplies", "stock", "--store", "ZY-CK01", "--json", now=NOW).stdout)
    assert {b["quantity"] for b in stock if b["item"] == "sandbag"} == {"1000"}
    check = json.loads(cli("supplies", "check", "--json", now=NOW).stdout)
    sandbag = next(i for i in check["shortfalls"] if i["item"] == "sandbag")
    assert (sandbag["on_hand"], sandbag["minimum"], sandbag["shortfall"]) == ("1000", "2000", "1000")
    assert sandbag["minimum_set_by"] == ["正阳街道防汛应急预案（2026.1）"]


@pytest.mark.slow
def test_stocktake_then_the_weekly_run(cli: CliRunner) -> None:
    """A stocktake sheet adjusts the book; `emergency run supplies` queues the week's notice."""
    assert cli("init").code == 0
    assert cli("supplies", "import", EXAMPLE, "--by", "郑红", now=NOW).code == 0
    counted = cli("supplies", "stocktake", ROOT / "examples" / "supplies-stocktake-zhengyang.csv", "--by", "郑红",
                  now=NOW)
    assert counted.code == 0, counted
    assert "4 line(s), 2 adjustment(s)" in counted.stdout
    assert "woven_bag (编织袋) batch FX-2505: book 3000, counted 2980 条 → adjusted -20" in counted.stdout
    first = cli("run", "supplies", "--param", f"as_of={NOW}", now=NOW)
    assert first.code == 0, first
    assert json.loads(first.stdout)["notices"] == 1
    rows = [line for line in cli("outbox", "list", now=NOW).stdout.splitlines() if re.match(r"^│\s*\d+\s*│", line)]
    assert len(rows) == 1 and "notice" in rows[0]
