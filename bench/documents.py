"""Benchmark document rendering: docs/s per template through render_document, beside a bare docxtpl render.

    python -m bench.documents --json      # {"report_initial": docs_per_s, …, "floor": {"report_initial": …, …}}

For each template, in the same run and on the same realistic context, it times
1. `emergency.reporting.documents.render_document(template, ctx, out)`: the context check, the strict Jinja
   environment, the atomic write (temporary file + os.replace);
2. the floor: a bare `DocxTemplate(path).render(ctx); save(out)`, docxtpl's own defaults.
Each of --repeat rounds renders --count documents one way and then the other; the result is the median round.
Contexts come from the contexts module: the README's gas explosion for the three reports, and the audit of
examples/zhengyang-2026-03.json for the monthly report.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from docxtpl import DocxTemplate

from emergency.domain.audits import audit_timeline
from emergency.domain.enums import Category, ReportKind
from emergency.domain.incidents import Incident
from emergency.plans.loader import load_rules
from emergency.reporting.contexts import monthly_timeliness_context, report_context
from emergency.reporting.documents import DEFAULT_TEMPLATES, render_document
from emergency.timelines import read_timeline

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "zhengyang-2026-03.json"
CST = timezone(timedelta(hours=8))
OFFICE = "长春市绿园区正阳街道办事处"
TEMPLATES = ("report_initial", "report_follow_up", "report_final", "monthly_timeliness")


def report_contexts() -> dict[str, dict[str, object]]:
    """Contexts of the three report templates for the README's gas explosion."""
    incident = Incident(
        id="2026-0001", category=Category.ACCIDENT, type="gas_explosion", title="万福街餐馆燃气爆炸",
        location="万福街87号", occurred_at=datetime(2026, 3, 1, 8, 10, tzinfo=CST),
        known_at=datetime(2026, 3, 1, 8, 20, tzinfo=CST), closed_at=datetime(2026, 3, 1, 13, tzinfo=CST),
        drill=False, truth=(), reports=())
    stated: dict[str, object] = {
        "occurred_at": "2026-03-01T08:10:00+08:00", "known_at": "2026-03-01T08:20:00+08:00", "location": "万福街87号",
        "severity": "IV", "summary": "万福街87号一餐馆后厨液化气罐泄漏引发爆炸，造成门窗损毁、部分外墙受损。",
        "measures": "已疏散周边群众120余人，消防、燃气、公安、卫健部门到场处置，伤员已送医救治。",
        "deaths": 0, "missing": 0, "serious_injuries": 1, "injuries": 2,
    }
    kinds = {"report_initial": ReportKind.INITIAL, "report_follow_up": ReportKind.FOLLOW_UP,
             "report_final": ReportKind.FINAL}
    return {
        name: report_context(office=OFFICE, incident=incident, kind=kind, sequence=2, stated=stated,
                             changes=["重伤人数由1人增至2人。", "现场明火已于9时30分扑灭。"], signer="张伟",
                             signed_at=datetime(2026, 3, 1, 8, 40, tzinfo=CST), urgency="特急",
                             document_number="正阳街呈〔2026〕5号", recipient="绿园区应急管理局", drill=False)
        for name, kind in kinds.items()
    }


def monthly_context() -> dict[str, object]:
    """Context of the monthly report over the sample month's audit."""
    rules = load_rules()
    timeline = read_timeline(rules, EXAMPLE)
    result = audit_timeline(rules, timeline)
    units = {"2026-0001": "正阳社区", "2026-0002": "正阳社区", "2026-0003": "宝丰社区"}
    return monthly_timeliness_context(office=timeline.office, month="2026-03", result=result, units=units,
                                      document_number="正阳街通〔2026〕3号")


def docs_per_second(render: Callable[[], object], count: int) -> float:
    """Render *count* documents and return how many per second."""
    start = time.perf_counter()
    for _ in range(count):
        render()
    return count / (time.perf_counter() - start)


def measure(count: int, repeat: int, templates_dir: Path = DEFAULT_TEMPLATES) -> dict[str, dict[str, float]]:
    """Return {template: {"render_document": docs/s, "bare": docs/s}}, medians of *repeat* rounds."""
    contexts = {**report_contexts(), "monthly_timeliness": monthly_context()}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as work_name:
        work = Path(work_name)
        for name in TEMPLATES:
            ctx, path = contexts[name], templates_dir / f"{name}.docx"
            ours_out, bare_out = work / f"{name}.docx", work / f"{name}-bare.docx"

            def ours(name: str = name, ctx: dict[str, object] = ctx, out: Path = ours_out) -> object:
                return render_document(name, ctx, out, templates_dir)

            def bare(path: Path = path, ctx: dict[str, object] = ctx, out: Path = bare_out) -> object:
                template = DocxTemplate(path)
                template.render(ctx)
                template.save(out)
                return out

            for _ in range(3):  # warm-up: imports, caches, the file system
                ours()
                bare()
            rounds: dict[str, list[float]] = {"render_document": [], "bare": []}
            for _ in range(repeat):
                rounds["render_document"].append(docs_per_second(ours, count))
                rounds["bare"].append(docs_per_second(bare, count))
            results[name] = {way: statistics.median(values) for way, values in rounds.items()}
    return results


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100, help="documents per round and way (default 100)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the median is reported (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = measure(args.count, args.repeat)
    if args.json:
        out: dict[str, object] = {name: round(r["render_document"], 1) for name, r in results.items()}
        out["floor"] = {name: round(r["bare"], 1) for name, r in results.items()}
        print(json.dumps(out))
        return
    print(f"Python {platform.python_version()}, {args.count} documents × {args.repeat} rounds, median docs/s")
    print(f"{'template':<22}{'render_document':>16}{'bare docxtpl':>14}{'ratio':>8}")
    for name, r in results.items():
        print(f"{name:<22}{r['render_document']:>16.1f}{r['bare']:>14.1f}{r['render_document'] / r['bare']:>8.2f}")


if __name__ == "__main__":
    main()
