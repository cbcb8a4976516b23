"""Pass-down of warnings as data: how soon a community or grid must acknowledge a 预警信息通知 (plans/warning-notices.yaml).

A bad file fails with the file, the field and why.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emergency.errors import RulesError
from emergency.plans.loader import describe_location, read_yaml

NOTICES_FILE = "warning-notices.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AckDeadline(_Data):
    """How many minutes after a notice is passed down its recipient must acknowledge it, and why."""

    minutes: float = Field(gt=0, le=7 * 24 * 60)
    source: str = Field(min_length=1)


class AckDeadlines(_Data):
    """One deadline per colour level, one for a warning without colour, one for a notice that lifts a warning."""

    red: AckDeadline
    orange: AckDeadline
    yellow: AckDeadline
    blue: AckDeadline
    no_level: AckDeadline
    lifted: AckDeadline


class WarningNoticePlan(_Data):
    """plans/warning-notices.yaml."""

    source: str = Field(min_length=1)
    ack_deadlines: AckDeadlines


def load_warning_notice_plan(plans_dir: Path) -> WarningNoticePlan:
    """Load and check plans/warning-notices.yaml."""
    path = plans_dir / NOTICES_FILE
    data = read_yaml(path)
    try:
        return WarningNoticePlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None
