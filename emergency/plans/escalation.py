"""Reminder lead times and the escalation ladder as validated data (plans/escalation.yaml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from emergency.errors import RulesError
from emergency.plans.loader import describe_location, read_yaml


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reminders(_Data):
    """When to remind before a deadline, whom, and through which channels."""

    rule: str = Field(min_length=1)
    lead_minutes: tuple[float, ...]
    who: str = Field(min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _positive(self) -> Reminders:
        if any(m <= 0 for m in self.lead_minutes):
            raise ValueError("lead_minutes must all be greater than 0")
        return self


class Step(_Data):
    """One step of the ladder: so many minutes after the deadline, tell this person."""

    step: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    after_minutes: float = Field(ge=0)
    who: str = Field(min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=1)


class Escalation(_Data):
    """Reminders and the ladder; the first step (at 0 minutes) is the breach itself."""

    reminders: Reminders
    ladder: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Escalation:
        minutes = [s.after_minutes for s in self.ladder]
        if minutes != sorted(minutes) or minutes[0] != 0:
            raise ValueError("ladder steps must start at 0 minutes (the breach) and go up")
        if len({s.step for s in self.ladder}) != len(self.ladder):
            raise ValueError("ladder step names must be unique")
        return self


def load_escalation(plans_dir: Path) -> Escalation:
    """Load plans/escalation.yaml; a bad file fails with the file, the field and why."""
    path = plans_dir / "escalation.yaml"
    data = read_yaml(path)
    try:
        return Escalation.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None
