"""The roster's shifts and column headings as validated data (plans/roster.yaml)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from emergency.errors import RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR, describe_location, read_yaml

ROSTER_FILE = "roster.yaml"
NEXT_DAY = "次日"
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# The five columns a roster file needs, in the order they are reported.
COLUMN_FIELDS = ("date", "shift", "duty_officer", "leader_on_duty", "phone")


def _clock_text(value: object) -> object:
    # Unquoted 17:30 is a base-60 integer to YAML 1.1 (1050): say how to write it instead of a puzzling error.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('write the time in quotes, e.g. "17:30"')
    return value


ClockText = Annotated[str, BeforeValidator(_clock_text)]


def _offset(text: str, *, next_day_allowed: bool) -> timedelta:
    """Return a shift boundary as the time after local midnight of its roster date."""
    body = text.strip()
    days = 0
    if body.startswith(NEXT_DAY):
        if not next_day_allowed:
            raise ValueError(f"{text!r}: a shift starts on its roster date (no {NEXT_DAY})")
        body, days = body.removeprefix(NEXT_DAY).strip(), 1
    match = _CLOCK.match(body)
    if match is None:
        raise ValueError(f'{text!r} is not a time like "08:30" or "{NEXT_DAY}08:30"')
    return timedelta(days=days, hours=int(match.group(1)), minutes=int(match.group(2)))


def normalise_heading(text: str) -> str:
    """Return a column heading as it is matched: no spaces, lower case, no trailing colon or asterisk."""
    return re.sub(r"\s+", "", text).casefold().rstrip(":：*")


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ShiftDefinition(_Data):
    """One shift (班次): its name, the other names offices write for it, and its local hours."""

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    starts: ClockText
    ends: ClockText

    @model_validator(mode="after")
    def _hours(self) -> ShiftDefinition:
        start, end = self.start_offset, self.end_offset
        if end <= start:
            raise ValueError(f"shift {self.name} ends at {self.ends}, not after it starts at {self.starts} "
                             f"(a shift that ends the next day says {NEXT_DAY}, e.g. \"{NEXT_DAY}08:30\")")
        if end - start > timedelta(days=1):
            raise ValueError(f"shift {self.name} is longer than 24 hours")
        return self

    @property
    def start_offset(self) -> timedelta:
        """Return when the shift starts, after local midnight of its roster date."""
        return _offset(self.starts, next_day_allowed=False)

    @property
    def end_offset(self) -> timedelta:
        """Return when the shift ends, after local midnight of its roster date (past 24 h when 次日)."""
        return _offset(self.ends, next_day_allowed=True)


class RosterColumns(_Data):
    """The headings each of the five columns may carry in a roster file."""

    date: tuple[str, ...] = Field(min_length=1)
    shift: tuple[str, ...] = Field(min_length=1)
    duty_officer: tuple[str, ...] = Field(min_length=1)
    leader_on_duty: tuple[str, ...] = Field(min_length=1)
    phone: tuple[str, ...] = Field(min_length=1)

    def headings(self, field: str) -> tuple[str, ...]:
        """Return the headings of one column."""
        value: tuple[str, ...] = getattr(self, field)
        return value


class RosterPlan(_Data):
    """The shifts a roster may use and the headings of its columns."""

    shifts: tuple[ShiftDefinition, ...] = Field(min_length=1)
    columns: RosterColumns

    @model_validator(mode="after")
    def _unique(self) -> RosterPlan:
        seen: dict[str, str] = {}
        for shift in self.shifts:
            for name in (shift.name, *shift.aliases):
                key = normalise_heading(name)
                if key in seen:
                    raise ValueError(f"shift name {name!r} is used twice (shifts {seen[key]} and {shift.name})")
                seen[key] = shift.name
        owner: dict[str, str] = {}
        for field in COLUMN_FIELDS:
            for heading in self.columns.headings(field):
                key = normalise_heading(heading)
                if key in owner and owner[key] != field:
                    raise ValueError(f"heading {heading!r} names two columns ({owner[key]} and {field})")
                owner[key] = field
        return self

    def find_shift(self, name: str) -> ShiftDefinition | None:
        """Return the shift called *name* (or one of its aliases), ignoring spaces and letter case."""
        key = normalise_heading(name)
        for shift in self.shifts:
            if key in {normalise_heading(n) for n in (shift.name, *shift.aliases)}:
                return shift
        return None

    def shift_named_by_hours(self, start: timedelta, end: timedelta) -> ShiftDefinition | None:
        """Return the shift whose hours are exactly *start*–*end* after local midnight, if any."""
        for shift in self.shifts:
            if shift.start_offset == start and shift.end_offset == end:
                return shift
        return None


def load_roster_plan(plans_dir: Path | None = None) -> RosterPlan:
    """Load plans/roster.yaml; a bad file fails with the file, the field and why."""
    path = (plans_dir or DEFAULT_PLANS_DIR) / ROSTER_FILE
    data = read_yaml(path)
    try:
        return RosterPlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None
