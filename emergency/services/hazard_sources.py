"""The hazard-source register (危险源/风险点台账): import the ledger an office keeps (CSV or XLSX), and list it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.db.models import CommunityRow, GridRow, HazardSourceRow, Office
from emergency.domain.enums import RiskLevel
from emergency.errors import InputError
from emergency.labels import RISK_LEVEL_COLOURS, RISK_LEVEL_LABELS, SOURCE_ACTIVE_WORDS, SOURCE_INACTIVE_WORDS
from emergency.plans.inspections import (
    COLUMN_FIELDS,
    REQUIRED_COLUMNS,
    InspectionPlan,
    load_inspection_plan,
    risk_level_of,
)
from emergency.plans.roster import normalise_heading

# The ledger is read exactly as the duty roster is (CSV in UTF-8 or GBK, XLSX with merged cells and title rows),
# and bad cells are reported the same way: by row number as the office sees it and the heading as written.
from emergency.services.roster import Header, Row, RowProblem, _name, _phone, _read_tables, _text, find_header

MAX_REPORTED = 20
"""At most this many problems are named in one error (all of them stay on LedgerError.problems)."""

HEADER_SEARCH_ROWS = 10
CODE_MAX, NAME_MAX, UNIT_MAX, CONTACT_MAX = 64, 200, 200, 64
_CODE = re.compile(r"^[^\s]+(?: [^\s]+)*$")


class LedgerError(InputError):
    """A ledger file with problems: every one is kept, the first MAX_REPORTED are named in the message."""

    def __init__(self, path: str, problems: Sequence[RowProblem]) -> None:
        self.problems = tuple(problems)
        named = "; ".join(str(p) for p in self.problems[:MAX_REPORTED])
        if len(self.problems) > MAX_REPORTED:
            named += f"; … and {len(self.problems) - MAX_REPORTED} more"
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__(path, None, f"{count}, nothing imported (use --skip-bad to import the good rows): {named}")


@dataclass(frozen=True, slots=True)
class _Entry:
    """One valid row of the ledger."""

    row: int
    code: str
    name: str
    source_type: str
    risk_level: str
    community_id: int
    grid_id: int
    owner_unit: str
    contact: str
    phone: str
    location: str
    active: bool

    def values(self) -> dict[str, object]:
        """Return the stored fields."""
        return {"name": self.name, "source_type": self.source_type, "risk_level": self.risk_level,
                "community_id": self.community_id, "grid_id": self.grid_id, "owner_unit": self.owner_unit,
                "contact": self.contact, "phone": self.phone, "location": self.location, "active": self.active}


@dataclass(frozen=True, slots=True)
class LedgerImport:
    """What one import stored, and the rows it skipped (only with skip_bad)."""

    path: str
    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: tuple[RowProblem, ...]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A source of the register as people read it."""

    code: str
    name: str
    source_type: str
    risk_level: str
    community: str
    grid: str | None
    leader: str | None
    owner_unit: str
    contact: str
    phone: str
    location: str
    active: bool


@dataclass(frozen=True, slots=True)
class _Organisation:
    """The office's communities and grids, found by code or name."""

    communities: dict[str, int]
    grids: dict[int, dict[str, int]]
    names: dict[int, str]


def _organisation(session: Session, office: Office) -> _Organisation:
    communities: dict[str, int] = {}
    names: dict[int, str] = {}
    for community in session.scalars(select(CommunityRow).where(CommunityRow.office_id == office.id)):
        communities[normalise_heading(community.code)] = community.id
        communities[normalise_heading(community.name)] = community.id
        names[community.id] = community.name
    grids: dict[int, dict[str, int]] = {}
    rows = session.scalars(select(GridRow).join(CommunityRow).where(CommunityRow.office_id == office.id))
    for grid in rows:
        found = grids.setdefault(grid.community_id, {})
        # A ledger may write the grid's code, its full name, or the name without its community (第一网格).
        for text in (grid.code, grid.name, grid.name.removeprefix(names[grid.community_id])):
            if text:
                found[normalise_heading(text)] = grid.id
    return _Organisation(communities, grids, names)


def _required(limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = re.sub(r"\s+", " ", _text(value))
        if not text:
            raise ValueError("empty")
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text

    return parse


def _optional(limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = re.sub(r"\s+", " ", _text(value))
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text

    return parse


def _code(value: object) -> str:
    text = _required(CODE_MAX)(value)
    if not _CODE.match(text):
        raise ValueError(f"{text!r} is not a ledger code")
    return text


def _level_names() -> str:
    return "/".join(RISK_LEVEL_LABELS[level].removesuffix("风险") for level in RiskLevel) + " or " + "/".join(
        RISK_LEVEL_COLOURS[level] for level in RiskLevel)


def _active(value: object) -> bool:
    text = normalise_heading(_text(value))
    if not text or text in {normalise_heading(w) for w in SOURCE_ACTIVE_WORDS}:
        return True
    if text in {normalise_heading(w) for w in SOURCE_INACTIVE_WORDS}:
        return False
    raise ValueError(f"{_text(value)!r} is not a status ({'/'.join(SOURCE_ACTIVE_WORDS[:2])} or "
                     f"{'/'.join(SOURCE_INACTIVE_WORDS[:2])})")


def _find_header(plan: InspectionPlan, rows: list[Row]) -> Header | None:
    return find_header(rows, plan.columns.headings, COLUMN_FIELDS, required=REQUIRED_COLUMNS, min_found=3)


def _parse_rows(plan: InspectionPlan, organisation: _Organisation, rows: list[Row],
                header: Header) -> tuple[list[_Entry], list[RowProblem]]:
    entries: list[_Entry] = []
    problems: list[RowProblem] = []
    types = "、".join(kind.name for kind in plan.source_types)

    def source_type(value: object) -> str:
        text = _required(NAME_MAX)(value)
        kind = plan.source_type(text)
        if kind is None:
            raise ValueError(f"{text!r} is not a type of plans/inspections.yaml ({types})")
        return kind.key

    def risk_level(value: object) -> str:
        text = _required(NAME_MAX)(value)
        level = risk_level_of(text)
        if level is None:
            raise ValueError(f"{text!r} is not a risk level ({_level_names()})")
        return level.value

    def community(value: object) -> int:
        text = _required(NAME_MAX)(value)
        found = organisation.communities.get(normalise_heading(text))
        if found is None:
            known = "、".join(organisation.names.values()) or "none: load plans/street.yaml"
            raise ValueError(f"{text!r} is not a community of the street ({known})")
        return found

    parsers: dict[str, Callable[[object], object]] = {
        "code": _code, "name": _required(NAME_MAX), "source_type": source_type, "risk_level": risk_level,
        "community": community, "grid": _required(NAME_MAX), "owner_unit": _optional(UNIT_MAX),
        "contact": lambda v: _name(v) if _text(v) else "", "phone": lambda v: _phone(v) if _text(v) else "",
        "location": _optional(1000), "status": _active,
    }
    first_row: dict[str, int] = {}
    for number, cells in rows[header.index + 1:]:
        if all(_text(c) == "" for c in cells):
            continue
        parsed: dict[str, object] = {}
        row_problems: list[RowProblem] = []
        for field in COLUMN_FIELDS:
            column = header.columns.get(field)
            raw = cells[column[0]] if column is not None and column[0] < len(cells) else None
            try:
                parsed[field] = parsers[field](raw)
            except ValueError as exc:
                row_problems.append(RowProblem(number, column[1] if column else field, str(exc)))
        if "community" in parsed and "grid" in parsed:
            grid_text = str(parsed["grid"])
            community_id = int(str(parsed["community"]))
            grid_id = organisation.grids.get(community_id, {}).get(normalise_heading(grid_text))
            if grid_id is None:
                row_problems.append(RowProblem(number, header.columns["grid"][1], f"{grid_text!r} is not a grid of "
                                               f"{organisation.names[community_id]}"))
            parsed["grid"] = grid_id
        if "code" in parsed and not row_problems:
            code = str(parsed["code"])
            if code in first_row:
                row_problems.append(RowProblem(number, header.columns["code"][1],
                                               f"code {code} is already given in row {first_row[code]}"))
            else:
                first_row[code] = number
        if row_problems:
            problems += row_problems
            continue
        entries.append(_Entry(
            row=number, code=str(parsed["code"]), name=str(parsed["name"]), source_type=str(parsed["source_type"]),
            risk_level=str(parsed["risk_level"]), community_id=int(str(parsed["community"])),
            grid_id=int(str(parsed["grid"])), owner_unit=str(parsed["owner_unit"]), contact=str(parsed["contact"]),
            phone=str(parsed["phone"]), location=str(parsed["location"]), active=bool(parsed["status"])))
    return entries, problems


def import_sources(session: Session, *, office: Office, path: Path, now: datetime, skip_bad: bool = False,
                   plan: InspectionPlan | None = None) -> LedgerImport:
    """Check every row of a ledger file (CSV or XLSX) and store its sources, updating those with the same code."""
    # Every problem is collected before anything is written: with a problem and without skip_bad, nothing is stored.
    plan = plan or load_inspection_plan()
    tables = _read_tables(path)
    found = [(rows, header) for rows in tables if (header := _find_header(plan, rows)) is not None]
    if not found:
        wanted = ", ".join(plan.columns.headings(f)[0] for f in REQUIRED_COLUMNS)
        raise InputError(str(path), None, f"no heading row with the columns {wanted} in its first "
                                          f"{HEADER_SEARCH_ROWS} rows")
    rows, header = found[0]
    if header.problems:
        raise LedgerError(str(path), header.problems)
    entries, problems = _parse_rows(plan, _organisation(session, office), rows, header)
    if problems and not skip_bad:
        raise LedgerError(str(path), problems)
    if not entries:
        if problems:
            raise LedgerError(str(path), problems)
        raise InputError(str(path), None, f"has a heading row (row {header.row}) but no sources below it")
    # One query for the whole register (not an IN list of every code: SQLite caps the number of parameters).
    stored = {row.code: row for row in session.scalars(
        select(HazardSourceRow).where(HazardSourceRow.office_id == office.id))}
    created = updated = unchanged = 0
    for entry in entries:
        values = entry.values()
        row = stored.get(entry.code)
        if row is None:
            session.add(HazardSourceRow(office_id=office.id, code=entry.code, created_at=now, updated_at=now,
                                        **values))
            created += 1
        elif any(getattr(row, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            row.updated_at = now
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return LedgerImport(path=str(path), rows=len(entries), created=created, updated=updated, unchanged=unchanged,
                        skipped=tuple(problems))


def list_sources(session: Session, *, office: Office, community: str | None = None, source_type: str | None = None,
                 risk_level: str | None = None, include_inactive: bool = False) -> list[SourceInfo]:
    """Return the office's sources by community, grid and code, filtered by community, type or level if given."""
    query = (select(HazardSourceRow, CommunityRow, GridRow)
             .join(CommunityRow, CommunityRow.id == HazardSourceRow.community_id)
             .outerjoin(GridRow, GridRow.id == HazardSourceRow.grid_id)
             .where(HazardSourceRow.office_id == office.id)
             .order_by(CommunityRow.code, GridRow.code, HazardSourceRow.code))
    if community is not None:
        query = query.where((CommunityRow.code == community) | (CommunityRow.name == community))
    if source_type is not None:
        query = query.where(HazardSourceRow.source_type == source_type)
    if risk_level is not None:
        query = query.where(HazardSourceRow.risk_level == risk_level)
    if not include_inactive:
        query = query.where(HazardSourceRow.active.is_(True))
    return [SourceInfo(code=s.code, name=s.name, source_type=s.source_type, risk_level=s.risk_level,
                       community=c.name, grid=g.name if g is not None else None,
                       leader=g.leader_name if g is not None else None, owner_unit=s.owner_unit, contact=s.contact,
                       phone=s.phone, location=s.location, active=s.active)
            for s, c, g in session.execute(query).tuples()]
