"""Support requests as data: whom a 请示 goes to and how soon the district must answer it (plans/support.yaml).

A bad file fails with the file, the field and why.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emergency.domain.enums import SupportKind
from emergency.errors import RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR, describe_location, read_yaml

SUPPORT_FILE = "support.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerDeadline(_Data):
    """How many hours after a 请示 is sent the district should answer it, and why."""

    hours: float = Field(gt=0, le=30 * 24)
    source: str = Field(min_length=1)

    @property
    def delta(self) -> timedelta:
        """Return the deadline as a duration."""
        return timedelta(hours=self.hours)


class AnswerDeadlines(_Data):
    """One default answer deadline per kind of support (人员、资金、物资)."""

    people: AnswerDeadline
    funds: AnswerDeadline
    materials: AnswerDeadline

    def of(self, kind: SupportKind) -> AnswerDeadline:
        """Return the deadline of *kind*."""
        found: AnswerDeadline = getattr(self, kind.value)
        return found


class SupportPlan(_Data):
    """plans/support.yaml."""

    source: str = Field(min_length=1)
    addressed_to: str = Field(min_length=1, max_length=200)
    copy_to: tuple[str, ...] = ()
    addressing_source: str = Field(min_length=1)
    urgency: str = Field(min_length=1, max_length=8)
    answer_deadlines: AnswerDeadlines


def load_support_plan(plans_dir: Path | None = None) -> SupportPlan:
    """Load and check plans/support.yaml (default: the shipped plans folder)."""
    path = (plans_dir or DEFAULT_PLANS_DIR) / SUPPORT_FILE
    data = read_yaml(path)
    try:
        return SupportPlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None
