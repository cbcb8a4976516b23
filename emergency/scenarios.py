"""Drill scenarios (演练脚本, scenarios/*.yaml): an incident and what the office does, step by step, as offsets
from the drill's start, replayed through the real flows by `emergency drill run`.

The incident and its steps use the field names of the emergency-timeline/1 exchange format
(../shared/spec/audit-timeline.md): category, type, title, location, the truth's figures, a report's kind,
channel, to and stated; only the times are offsets ("15m", "6h40m", "1d2h", "-10m") from the start, so a
scenario can be replayed on any day. A defect fails with the file, the field and why (RulesError).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from emergency.domain.drills import parse_offset
from emergency.domain.enums import Category, Channel, DrillKind, ReportKind
from emergency.errors import RulesError
from emergency.plans.loader import read_yaml
from emergency.timelines import FiguresIn, StatedIn, load_document

SCENARIO_FORMAT = "emergency-drill-scenario/1"
DEFAULT_SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"
"""The scenarios shipped with the project (an editable install keeps them next to the package)."""


def _offset(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(minutes=value)
    return parse_offset(str(value))


Offset = Annotated[timedelta, BeforeValidator(_offset)]
"""A time in the scenario: minutes after the start, or "15m", "6h40m", "1d2h", "-10m"."""


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScenarioIncident(_Data):
    """The incident the drill plays (its times relative to the start, when the office learns of it)."""

    category: Category
    type: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=200)
    location: str = Field(min_length=1)
    occurred: Offset = timedelta(0)
    known: Offset = timedelta(0)

    @model_validator(mode="after")
    def _order(self) -> ScenarioIncident:
        if self.known < self.occurred:
            raise ValueError("known: the office cannot learn of the incident before it occurs")
        return self


class Figures(FiguresIn):
    """Casualty and loss figures (the truth's fields)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FactsStep(Figures):
    """Verified casualties and loss as they become known (核实情况), valid from the step's time."""

    at: Offset
    do: Literal["facts"]


class RespondStep(_Data):
    """The response and reporting flows' work for the incident: grade, start or raise the level, draft what is due."""

    at: Offset
    do: Literal["respond"]


class Stated(Figures):
    """What a report made outside the system said (its times as offsets from the start)."""

    occurred: Offset | None = None
    known: Offset | None = None
    location: str | None = None
    severity: str | None = None
    summary: str | None = None
    measures: str | None = None


class ReportStep(_Data):
    """A report made outside the system, usually the duty officer's phone call (电话首报)."""

    at: Offset
    do: Literal["report"]
    kind: ReportKind = ReportKind.INITIAL
    channel: Channel = Channel.PHONE
    to: str = Field(min_length=1)
    stated: Stated | None = None


class SignStep(_Data):
    """The signer signs the oldest draft waiting (of *kind* if given): the sign-off flow issues and delivers it."""

    at: Offset
    do: Literal["sign"]
    signer: str = Field(min_length=1, max_length=64)
    kind: ReportKind | None = None


class CloseStep(_Data):
    """The response is over (应急处置结束): the final report falls due."""

    at: Offset
    do: Literal["close"]


Step = Annotated[FactsStep | RespondStep | ReportStep | SignStep | CloseStep, Field(discriminator="do")]


class Scenario(_Data):
    """A drill scenario: the plan it exercises, the incident, the steps, and when the drill is audited."""

    format: Literal["emergency-drill-scenario/1"]
    name: str = Field(min_length=1, max_length=200)
    plan: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    kind: DrillKind = DrillKind.TABLETOP
    description: str = ""
    location: str = ""
    incident: ScenarioIncident
    steps: tuple[Step, ...] = Field(min_length=1)
    audit_at: Offset | None = None

    @model_validator(mode="after")
    def _in_time_order(self) -> Scenario:
        previous = self.incident.known
        for n, step in enumerate(self.steps):
            if step.at < previous:
                raise ValueError(f"steps[{n}].at: {step.at} comes before the step or the knowing before it; "
                                 "steps run in time order from `incident.known`")
            previous = step.at
        if self.audit_at is not None and self.audit_at < previous:
            raise ValueError("audit_at: comes before the last step")
        return self

    @property
    def end(self) -> timedelta:
        """Return the offset of the last step."""
        return self.steps[-1].at

    @property
    def audited(self) -> timedelta:
        """Return when the drill is audited: audit_at, else one minute after the last step."""
        return self.audit_at if self.audit_at is not None else self.end + timedelta(minutes=1)


def _location(loc: tuple[int | str, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{step}]"]
            node = node[step] if isinstance(node, list) and step < len(node) else None
        elif isinstance(node, dict) and step in node:
            parts.append(str(step))
            node = node[step]
        elif step in {"facts", "respond", "report", "sign", "close"}:
            continue  # the union's branch name, not a field of the file
        else:
            parts.append(str(step))
            node = None
    return ".".join(parts)


def parse_scenario(data: Any, origin: str) -> Scenario:
    """Validate scenario data; a defect is a RulesError naming *origin*, the field and why."""
    if not isinstance(data, dict):
        raise RulesError(origin, None, "must hold one mapping (format, name, plan, incident, steps)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        why = str(first["msg"]).removeprefix("Value error, ")
        field = _location(tuple(first["loc"]), data) or None
        if ": " in why and field is None:
            field, why = why.split(": ", 1)
        if first["type"] == "extra_forbidden":
            why = "is not a known field"
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field = f"{field}.do" if field else "do"
            why = "must be one of facts, respond, report, sign, close"
        raise RulesError(origin, field, why) from None


def scenario_path(name: str | Path, folder: Path = DEFAULT_SCENARIOS_DIR) -> Path:
    """Return the file a scenario argument names: a path, or a name in the scenarios folder (with or without .yaml)."""
    path = Path(name)
    if path.is_file():
        return path.resolve()
    for candidate in (folder / path, folder / f"{path}.yaml", folder / f"{path}.json"):
        if candidate.is_file():
            return candidate.resolve()
    known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) if folder.is_dir() else "none"
    raise RulesError(str(name), None, f"no such scenario file (shipped scenarios: {known})")


def scenario_label(path: Path, folder: Path = DEFAULT_SCENARIOS_DIR) -> str:
    """Return how a drill names its scenario: scenarios/NAME.yaml for a shipped one, else the file's path."""
    try:
        return str(Path(folder.name) / path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


def load_scenario(name: str | Path, folder: Path = DEFAULT_SCENARIOS_DIR) -> tuple[Path, Scenario]:
    """Find, read and validate a scenario (YAML or JSON); return its path and the scenario."""
    path = scenario_path(name, folder)
    data = load_document(path) if path.suffix == ".json" else read_yaml(path)
    return path, parse_scenario(data, str(path))


def stated_in(stated: Stated | None, start: datetime) -> StatedIn | None:
    """Return a scenario report's statement as the exchange model, its offsets made times."""
    if stated is None:
        return None
    fields = stated.model_dump(exclude_none=True, exclude={"occurred", "known"})
    if stated.occurred is not None:
        fields["occurred_at"] = start + stated.occurred
    if stated.known is not None:
        fields["known_at"] = start + stated.known
    return StatedIn.model_validate(fields)
