"""A day's inspection results from the grid app's export (CSV, XLSX or JSON): every row checked, then all stored.

Columns (headings from plans/hazards.yaml `result_columns`; the first of each is what we write in examples):
任务编号 or 风险点编号 (+ 排查周期), 检查人, 检查时间, 检查项目, 检查结果, and for a finding 隐患描述, 隐患等级, 隐患类别,
整改措施, 整改责任人, 整改期限, 隐患位置, 责任单位; 现场照片 and 备注. Several rows may name the same inspection: one row
per hazard found. A JSON file holds a list of results (or {"results": [...]}) in the shape `inspection record
--file` takes. Nothing is stored when any row is bad, unless skip_bad: then the good inspections are stored and the
bad rows listed. A result already recorded the same way (same inspector and time) is left alone, so importing the
same file twice stores it once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from emergency.clock import CN_TZ
from emergency.db.models import Office
from emergency.domain.enums import InspectionResult
from emergency.errors import EmergencyError, InputError
from emergency.plans.hazards import RESULT_FIELDS, HazardPlan
from emergency.plans.roster import normalise_heading
from emergency.services.hazards import (
    FindingIn,
    HazardSummary,
    Paperwork,
    PreparedResult,
    ResultIn,
    find_inspection,
    prepare_result,
    store_result,
)

# CSV (UTF-8 or GBK) and XLSX are read as the duty roster and the source ledger are.
from emergency.services.roster import Row, _read_tables, _text, parse_roster_date
from emergency.timelines import load_document, parse_aware

MAX_REPORTED = 20
HEADER_SEARCH_ROWS = 10
_SPLIT_ITEMS = re.compile(r"[、;；,，\n]+")
_SPLIT_PHOTOS = re.compile(r"[;；,，\n]+")
_LOCAL_TIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*[T ]?\s*(\d{1,2})[:：时](\d{1,2})"
                         r"(?:[:：分](\d{1,2})秒?)?分?$")


@dataclass(frozen=True, slots=True)
class ResultProblem:
    """One thing wrong with a results file: its row (or JSON entry) and column (or field) as the office sees them."""

    row: int | None
    column: str | None
    why: str
    entry: bool = False

    def __str__(self) -> str:
        where = [f"{'entry' if self.entry else 'row'} {self.row}"] if self.row is not None else []
        if self.column is not None:
            where.append(f"{'field' if self.entry else 'column'} {self.column}")
        return f"{', '.join(where)}: {self.why}" if where else self.why


class ResultsError(InputError):
    """A results file with problems: every one is kept, the first MAX_REPORTED are named in the message."""

    def __init__(self, path: str, problems: Sequence[ResultProblem]) -> None:
        self.problems = tuple(problems)
        named = "; ".join(str(p) for p in self.problems[:MAX_REPORTED])
        if len(self.problems) > MAX_REPORTED:
            named += f"; … and {len(self.problems) - MAX_REPORTED} more"
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(path, None, f"{count}, nothing imported (use --skip-bad to import the good rows): {named}")


@dataclass(frozen=True, slots=True)
class ResultsImport:
    """What one import stored, and the rows it skipped (only with skip_bad)."""

    path: str
    results: int
    passed: int
    with_findings: int
    unchanged: int
    hazards: tuple[HazardSummary, ...]
    skipped: tuple[ResultProblem, ...]


@dataclass
class _Group:
    """The rows (or entry) naming one inspection."""

    rows: list[int]
    first: dict[str, Any]
    finding_rows: list[int] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)


# --- cells -------------------------------------------------------------------------------------------------------


def parse_local_time(value: object) -> datetime:
    """Parse a 检查时间 as exports write it: an aware ISO time, or a local one (2026-11-26 09:30, Excel cells)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=CN_TZ)
    if isinstance(value, date):
        raise ValueError(f"{value.isoformat()} has no time of day")
    text = _text(value)
    if not text:
        raise ValueError("empty")
    match = _LOCAL_TIME.match(text)
    if match is not None:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(y, mo, d, h, mi, s, tzinfo=CN_TZ)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a time: {exc}") from None
    try:
        return parse_aware(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time (write e.g. 2026-11-26 09:30)") from None


def _deadline_cell(value: object) -> date | None:
    if _text(value) == "":
        return None
    return parse_roster_date(value)


def _int_cell(value: object) -> int | None:
    text = _text(value)
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a task number")
    return int(text)


def _optional(value: object) -> str | None:
    text = re.sub(r"[ \t]+", " ", _text(value))
    return text or None


def _split(pattern: re.Pattern[str]) -> Callable[[object], list[str]]:
    def parse(value: object) -> list[str]:
        return [part.strip() for part in pattern.split(_text(value)) if part.strip()]

    return parse


# --- reading -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Header:
    row: int
    index: int
    columns: dict[str, tuple[int, str]]


def _find_header(plan: HazardPlan, rows: list[Row]) -> tuple[_Header | None, list[ResultProblem]]:
    lookup = {normalise_heading(h): f for f in RESULT_FIELDS for h in plan.result_columns.headings(f)}
    for index, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, list[tuple[int, str]]] = {}
        for col, cell in enumerate(cells):
            heading = cell.strip() if isinstance(cell, str) else ""
            name = lookup.get(normalise_heading(heading)) if heading else None
            if name is not None:
                found.setdefault(name, []).append((col, heading))
        if len(found) < 3:
            continue
        problems = [ResultProblem(number, None, f"columns {' and '.join(h for _, h in found[f])} are the same column "
                                                f"({f})") for f in RESULT_FIELDS if len(found.get(f, [])) > 1]
        problems += [ResultProblem(number, None, f"no column {plan.result_columns.headings(f)[0]} ({f})")
                     for f in ("by", "at", "result") if f not in found]
        if "inspection" not in found and "source" not in found:
            problems.append(ResultProblem(number, None, f"no column {plan.result_columns.inspection[0]} or "
                                                        f"{plan.result_columns.source[0]}: name each inspection"))
        return _Header(number, index, {f: found[f][0] for f in found}), problems
    return None, []


def _table_rows(plan: HazardPlan, path: Path) -> tuple[list[tuple[int, dict[str, Any], dict[str, str]]],
                                                       list[ResultProblem]]:
    """Return each non-empty row as (row number, parsed cells by field, headings by field), and the problems."""
    tables = _read_tables(path)
    header = None
    rows: list[Row] = []
    for candidate in tables:
        header, header_problems = _find_header(plan, candidate)
        if header is not None:
            rows = candidate
            if header_problems:
                raise ResultsError(str(path), header_problems)
            break
    if header is None:
        wanted = ", ".join(plan.result_columns.headings(f)[0] for f in ("inspection", "by", "at", "result"))
        raise InputError(str(path), None, f"no heading row with the columns {wanted} in its first "
                                          f"{HEADER_SEARCH_ROWS} rows")
    parsers: dict[str, Callable[[object], object]] = {
        "inspection": _int_cell, "source": _optional, "period": _optional, "by": _optional, "at": parse_local_time,
        "items": _split(_SPLIT_ITEMS), "result": _optional, "description": _optional, "grade": _optional,
        "category": _optional, "measures": _optional, "responsible_person": _optional, "deadline": _deadline_cell,
        "location": _optional, "owner_unit": _optional, "photos": _split(_SPLIT_PHOTOS), "note": _optional,
    }
    headings = {f: heading for f, (_col, heading) in header.columns.items()}
    out: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    problems: list[ResultProblem] = []
    for number, cells in rows[header.index + 1:]:
        if all(_text(c) == "" for c in cells):
            continue
        parsed: dict[str, Any] = {}
        bad = False
        for name, (col, heading) in header.columns.items():
            raw = cells[col] if col < len(cells) else None
            try:
                parsed[name] = parsers[name](raw)
            except ValueError as exc:
                problems.append(ResultProblem(number, heading, str(exc)))
                bad = True
        if not bad:
            out.append((number, parsed, headings))
    return out, problems


# --- grouping rows into results ----------------------------------------------------------------------------------


def _result_word(plan: HazardPlan, text: str | None) -> InspectionResult:
    if text is None:
        raise ValueError("empty")
    result = plan.result_of(text)
    if result is None:
        raise ValueError(f"{text!r} is not a result ({'/'.join(plan.result_words.passed[:2])} or "
                         f"{'/'.join(plan.result_words.finding[:2])})")
    return result


_FINDING_FIELDS = ("description", "grade", "category", "measures", "responsible_person", "deadline", "location",
                   "owner_unit")


def _groups_from_table(session: Session, office: Office, plan: HazardPlan, path: Path, now: datetime,
                       problems: list[ResultProblem]) -> tuple[dict[int, _Group], dict[str, str]]:
    rows, row_problems = _table_rows(plan, path)
    problems += row_problems
    groups: dict[int, _Group] = {}
    headings: dict[str, str] = {}
    for number, cells, names in rows:
        headings = names
        try:
            result = _result_word(plan, cells.get("result"))
        except ValueError as exc:
            problems.append(ResultProblem(number, names.get("result"), str(exc)))
            continue
        at = cells.get("at")
        try:
            inspection = find_inspection(session, office=office, inspection=cells.get("inspection"),
                                         source=cells.get("source"), period=cells.get("period"),
                                         at=at if isinstance(at, datetime) else now, record=f"row {number}")
        except EmergencyError as exc:
            column = getattr(exc, "field", None) or ("inspection" if cells.get("inspection") else "source")
            why = getattr(exc, "why", None) or str(exc).removeprefix(f"row {number}: ")
            problems.append(ResultProblem(number, names.get(column, column), why))
            continue
        group = groups.get(inspection.id)
        if group is None:
            group = groups[inspection.id] = _Group(rows=[number], first={**cells, "result": result})
        else:
            first = group.rows[0]
            clash = next((f for f in ("by", "at") if cells.get(f) != group.first.get(f)), None)
            if clash is None and result != group.first["result"]:
                clash = "result"
            if clash is not None:
                problems.append(ResultProblem(number, names.get(clash, clash), f"differs from row {first}, which names "
                                                                               f"the same inspection ({inspection.id})"))
                continue
            group.rows.append(number)
        group.items += [i for i in cells.get("items", []) if i not in group.items]
        group.photos += [p for p in cells.get("photos", []) if p not in group.photos]
        if result is InspectionResult.FINDING:
            group.finding_rows.append(number)
            group.findings.append({f: cells[f] for f in _FINDING_FIELDS if cells.get(f) is not None})
    return groups, headings


def _result_in(group: _Group, inspection: int) -> dict[str, Any]:
    first = group.first
    return {"inspection": inspection, "by": first.get("by") or "", "at": first.get("at"), "items": group.items,
            "result": first["result"], "findings": group.findings, "photos": group.photos, "note": first.get("note")}


def _problem_of(exc: EmergencyError, group: _Group, headings: dict[str, str]) -> ResultProblem:
    """Place an error about a result on its row and column: a finding's field on that finding's row."""
    name = getattr(exc, "field", None)
    why = getattr(exc, "why", None) or str(exc)
    row = group.rows[0]
    column = None
    if name:
        match = re.match(r"^findings\[(\d+)\]\.?(\w*)", name)
        if match is not None:
            row = group.finding_rows[int(match.group(1))]
            name = match.group(2) or "description"
        name = re.sub(r"\[\d+\]$", "", name)
        column = headings.get(name, name)
    return ResultProblem(row, column, why)


def _json_entries(path: Path) -> list[Any]:
    data = load_document(path)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    if not isinstance(data, list):
        raise InputError(str(path), None, 'must hold a list of results, or {"results": [...]}')
    return data


def _validation_problem(entry: int, exc: ValidationError) -> ResultProblem:
    error = exc.errors()[0]
    name = ".".join(str(p) for p in error["loc"]) or None
    why = "is required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        why = "is not a known field"
    return ResultProblem(entry, name, why, entry=True)


def import_results(session: Session, *, office: Office, plan: HazardPlan, path: Path, now: datetime,
                   paperwork: Paperwork, skip_bad: bool = False) -> ResultsImport:
    """Check every row of a results file, then store every inspection's result (all or nothing without skip_bad)."""
    problems: list[ResultProblem] = []
    prepared: list[PreparedResult] = []
    base = path.resolve().parent
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        for n, raw in enumerate(_json_entries(path), start=1):
            try:
                data = ResultIn.model_validate(raw)
                prepared.append(prepare_result(session, office=office, plan=plan, data=data, now=now,
                                               photos_base=base))
            except ValidationError as exc:
                problems.append(_validation_problem(n, exc))
            except EmergencyError as exc:
                problems.append(ResultProblem(n, getattr(exc, "field", None), getattr(exc, "why", None) or str(exc),
                                              entry=True))
    else:
        groups, headings = _groups_from_table(session, office, plan, path, now, problems)
        for inspection, group in groups.items():
            try:
                try:
                    data = ResultIn.model_validate(_result_in(group, inspection))
                except ValidationError as exc:
                    error = exc.errors()[0]
                    loc = [str(p) for p in error["loc"]]
                    name = f"findings[{loc[1]}].{loc[2]}" if loc[:1] == ["findings"] and len(loc) > 2 else loc[0]
                    why = "is empty" if error["type"] in ("missing", "string_too_short") else error["msg"]
                    raise InputError(f"inspection {inspection}", name, why) from None
                prepared.append(prepare_result(session, office=office, plan=plan, data=data, now=now,
                                               photos_base=base))
            except EmergencyError as exc:
                problems.append(_problem_of(exc, group, headings))
    problems.sort(key=lambda p: (p.row or 0))
    if problems and not skip_bad:
        raise ResultsError(str(path), problems)
    if not prepared and not problems:
        raise InputError(str(path), None, "holds no results")
    hazards: list[HazardSummary] = []
    passed = with_findings = unchanged = 0
    for item in prepared:
        stored = store_result(session, office=office, plan=plan, prepared=item, now=now, paperwork=paperwork)
        if stored.unchanged:
            unchanged += 1
            continue
        hazards += stored.hazards
        if stored.result == InspectionResult.PASSED.value:
            passed += 1
        else:
            with_findings += 1
    return ResultsImport(str(path), len(prepared), passed, with_findings, unchanged, tuple(hazards), tuple(problems))


__all__ = ["FindingIn", "ResultProblem", "ResultsError", "ResultsImport", "import_results", "parse_local_time"]
