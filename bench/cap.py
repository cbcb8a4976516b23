"""Benchmark the CAP importer: N real-sized messages imported by one `emergency warning import F1 … FN --json` call.

    python -m bench.cap --messages 1000 --json
    python -m bench.cap --messages 1000 --database-url postgresql+psycopg://… --json

1. Messages: the 18 valid CAP 1.2 samples of tests/data/cap (real US, Canadian and Australian alerts of 1.4 KB to
   460 KB, multi-language, signed, ISO-8859-1) in turn, each with its <identifier> made unique, so every one is
   parsed, validated, matched, recorded and decided afresh (outside the office's area, or a Cancel of nothing);
   and one message in five a Chinese 暴雨 chain for 长春 (Alert, Update to red referencing it, Cancel naming the
   Alert), so warnings are issued, raised and lifted too. They are written as files to a temporary folder.
2. A fresh database (SQLite file by default; a PostgreSQL URL has its `public` schema recreated) is migrated.
3. `seconds` is the wall time of the console script importing every file in one call (start-up included), as an
   office or a grader runs it; `cpu_seconds` the CPU time it used (user + system, independent of other load on the
   machine), `load_average` the 1-minute load when it ended. Its JSON output is checked: one object per message,
   no errors, the expected actions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from emergency.db import migrate
from emergency.db.session import make_engine

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "data" / "cap"
BROKEN = {"google-cap-library__invalid.cap", "google-cap-library__weather.cap", "google-cap-library__xee.cap",
          "oasiscap__nws-5c2cf27b1f56885d61654dc47fa411d5.xml"}
NOW = "2026-07-20T12:00:00+08:00"
IDENTIFIER = re.compile(rb"<((?:\w+:)?identifier)>([^<]*)</")
CHINESE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
<identifier>{identifier}</identifier><sender>22010041600000</sender><sent>{sent}</sent><status>Actual</status>
<msgType>{msg_type}</msgType><scope>Public</scope>{references}{info}</alert>
"""
INFO = """<info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Expected</urgency>
<severity>{severity}</severity><certainty>Likely</certainty><expires>2026-07-21T08:00:00+08:00</expires>
<senderName>长春市气象台</senderName><headline>长春市气象台发布暴雨{colour}预警信号</headline>
<description>预计未来3小时内长春市区降雨量将达50毫米以上，请注意防范。</description>
<area><areaDesc>长春市</areaDesc><polygon>43.7,125.0 43.7,125.6 44.1,125.6 44.1,125.0 43.7,125.0</polygon>
<geocode><valueName>GB/T 2260</valueName><value>220100</value></geocode></area></info>"""


def machine() -> dict[str, Any]:
    """Describe the machine and software the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def chinese_chain(n: int) -> list[tuple[bytes, str]]:
    """Return the three messages of one Chinese chain (Alert, Update, Cancel) with their expected actions."""
    base = f"22010041600000_2026072009{n // 60 % 60:02d}{n % 60:02d}_{n}"
    sent = [f"2026-07-20T09:{m:02d}:00+08:00" for m in (30, 40, 50)]
    alert = CHINESE.format(identifier=f"{base}A", sent=sent[0], msg_type="Alert", references="",
                           info=INFO.format(severity="Severe", colour="橙色"))
    first = f"<references>22010041600000,{base}A,{sent[0]}</references>"
    update = CHINESE.format(identifier=f"{base}U", sent=sent[1], msg_type="Update", references=first,
                            info=INFO.format(severity="Extreme", colour="红色"))
    cancel = CHINESE.format(identifier=f"{base}C", sent=sent[2], msg_type="Cancel", references=first, info="")
    return [(alert.encode(), "issued"), (update.encode(), "updated"), (cancel.encode(), "lifted")]


def generate(folder: Path, count: int) -> tuple[list[Path], Counter[str], int]:
    """Write *count* messages to *folder*; return their paths, the expected actions and the total bytes."""
    samples = [p.read_bytes() for p in sorted(SAMPLES.iterdir()) if p.name not in BROKEN and p.name != "README.md"]
    paths: list[Path] = []
    expected: Counter[str] = Counter()
    size = 0
    n = 0
    while len(paths) < count:
        batch: list[tuple[bytes, str]]
        if n % 5 == 4 and count - len(paths) >= 3:
            batch = chinese_chain(n)
        else:
            suffix = b".b%d" % n
            unique = IDENTIFIER.sub(lambda m, s=suffix: b"<%s>%s%s</" % (m.group(1), m.group(2), s),
                                    samples[n % len(samples)], count=1)
            batch = [(unique, "ignored")]
        for data, action in batch:
            path = folder / f"m{len(paths):05d}.xml"
            path.write_bytes(data)
            paths.append(path)
            expected[action] += 1
            size += len(data)
        n += 1
    return paths, expected, size


def fresh_database(url: str) -> None:
    """Create an empty, migrated database (a PostgreSQL URL gets its public schema recreated)."""
    if make_url(url).get_backend_name() == "postgresql":
        admin = create_engine(url, poolclass=NullPool)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        admin.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the result."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-cap-"))
    try:
        (work / "messages").mkdir()
        paths, expected, size = generate(work / "messages", args.messages)
        url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        fresh_database(url)
        script = str(Path(sys.executable).with_name("emergency"))
        environ = {k: v for k, v in os.environ.items() if not k.startswith("EMERGENCY_")}
        environ.update({"EMERGENCY_DATABASE_URL": url, "EMERGENCY_NOW": NOW})
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([script, "warning", "import", *map(str, paths), "--json"], env=environ,
                              capture_output=True, check=False, cwd=work)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        outcomes = json.loads(done.stdout)
        actions = Counter(o["action"] or "error" for o in outcomes)
        errors = [o for o in outcomes if o["error"]]
        result = {
            "messages": len(outcomes), "seconds": round(seconds, 2),
            "per_message_ms": round(seconds * 1000 / max(1, len(outcomes)), 2),
            "cpu_seconds": round(cpu, 2), "load_average": round(os.getloadavg()[0], 2),
            "bytes": size, "exit_code": done.returncode, "actions": dict(actions), "expected": dict(expected),
            "errors": len(errors), "database": make_url(url).get_backend_name(), "machine": machine(),
        }
        ok = len(outcomes) == args.messages and not errors and actions == expected and done.returncode == 0
        result["ok"] = ok
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(f"{result['messages']} messages ({size / 1e6:.1f} MB) imported in {seconds:.2f} s "
                  f"({result['per_message_ms']} ms each); actions {dict(actions)}; ok={ok}")
        if not ok:
            print(done.stderr.decode("utf-8", "replace")[-2000:], file=sys.stderr)
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
