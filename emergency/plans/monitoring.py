"""Monitoring points (监测点) as data: plans/monitoring.yaml, what each point measures, where it is polled, and its
colour-level thresholds with hysteresis, each with its source. A bad file fails with file, field and why.

The warning type of each point must be a type of plans/warning-levels.yaml that has the point's levels, and its
community and grid must be those of plans/street.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from emergency.domain.enums import MonitoringKind, WarningLevel
from emergency.domain.monitoring import Band, check_bands
from emergency.errors import RulesError
from emergency.plans.loader import describe_location, read_yaml
from emergency.plans.schema import Street, load_street
from emergency.plans.warnings import LEVELS_FILE, OfficeArea, Publisher, WarningLevels, WarningPlan, load_warning_plan

MONITORING_FILE = "monitoring.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def check_http_url(value: str) -> str:
    """Return *value* if it is an absolute http(s) URL, else raise ValueError."""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class Threshold(_Data):
    """One colour level of a point: raised at `raise_at` or above, cleared only below `clear_below`."""

    level: WarningLevel
    raise_at: float
    clear_below: float
    source: str = Field(min_length=1)

    def band(self) -> Band:
        """Return the threshold as the domain's band."""
        return Band(self.level, self.raise_at, self.clear_below)


class MonitoringPoint(_Data):
    """One point: what it measures, in which unit, where it is polled, where it is, and its thresholds."""

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    kind: MonitoringKind
    unit: str = Field(min_length=1, max_length=16)
    url: str = Field(min_length=1)
    location: str = ""
    community: str | None = None
    """Community code of plans/street.yaml (ZY02)."""
    grid: str | None = None
    """Grid code of plans/street.yaml (ZY02-01); its community is implied."""
    warning_type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """The warning type of plans/warning-levels.yaml the point's warnings have (waterlogging, gas_leak …)."""
    active: bool = True
    source: str = Field(min_length=1)
    """Why the point is monitored (which register entry or plan)."""
    thresholds: tuple[Threshold, ...] = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value)

    @model_validator(mode="after")
    def _bands(self) -> MonitoringPoint:
        why = check_bands(self.bands())
        if why is not None:
            raise ValueError(f"thresholds: {why}")
        return self

    def bands(self) -> tuple[Band, ...]:
        """Return the thresholds as bands, lowest level first."""
        return tuple(sorted((t.band() for t in self.thresholds), key=lambda b: b.level.rank))

    def threshold(self, level: WarningLevel) -> Threshold | None:
        """Return the threshold of *level*, if the point has one."""
        return next((t for t in self.thresholds if t.level == level), None)


class MonitoringFile(_Data):
    """plans/monitoring.yaml."""

    source: str = Field(min_length=1)
    points: tuple[MonitoringPoint, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> MonitoringFile:
        codes = [p.code for p in self.points]
        duplicated = sorted({c for c in codes if codes.count(c) > 1})
        if duplicated:
            raise ValueError(f"point codes must be unique: {', '.join(duplicated)}")
        return self


@dataclass(frozen=True)
class MonitoringPlan:
    """The monitoring points of plans/monitoring.yaml, checked against the warning types and the street."""

    points: tuple[MonitoringPoint, ...]
    path: str

    def point(self, code: str) -> MonitoringPoint | None:
        """Return the point *code*."""
        return next((p for p in self.points if p.code == code), None)


def _validate(data: dict[str, Any], path: Path) -> MonitoringFile:
    try:
        return MonitoringFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         re.sub(r"^Value error, ", "", first["msg"])) from None


def check_points(points: tuple[MonitoringPoint, ...], *, path: str, levels: WarningLevels, street: Street) -> None:
    """Refuse a point whose warning type, levels, community or grid the other plans do not know."""
    communities = {c.code: {g.code for g in c.grids} for c in street.communities}
    for point in points:
        where = f"points[{point.code}]"
        try:
            kind = levels.type(point.warning_type)
        except KeyError:
            raise RulesError(path, f"{where}.warning_type",
                             f"{point.warning_type!r} is not a type of {LEVELS_FILE}") from None
        for threshold in point.thresholds:
            if kind.signals and kind.signal(threshold.level) is None:
                raise RulesError(path, f"{where}.thresholds", f"{kind.name_zh} has no {threshold.level.value} level")
        if point.community is not None and point.community not in communities:
            raise RulesError(path, f"{where}.community", f"{point.community!r} is not a community of street.yaml")
        if point.grid is not None:
            owner = next((c for c, grids in communities.items() if point.grid in grids), None)
            if owner is None:
                raise RulesError(path, f"{where}.grid", f"{point.grid!r} is not a grid of street.yaml")
            if point.community is not None and owner != point.community:
                raise RulesError(path, f"{where}.grid", f"{point.grid!r} belongs to {owner}, not {point.community}")


def load_monitoring_plan(plans_dir: Path, *, file: Path | None = None) -> MonitoringPlan:
    """Load and check plans/monitoring.yaml (or *file*, same shape) against the warning types and the street.

    A missing plans/monitoring.yaml means no points; a missing *file* is an error.
    """
    path = file or plans_dir / MONITORING_FILE
    if file is None and not path.exists():
        return MonitoringPlan((), str(path))
    loaded = _validate(read_yaml(path), path)
    levels = load_warning_plan(plans_dir).levels
    check_points(loaded.points, path=str(path), levels=levels, street=load_street(plans_dir / "street.yaml"))
    return MonitoringPlan(loaded.points, str(path))


@dataclass(frozen=True)
class WarningContext:
    """What issuing a warning needs from plans/: the warning plan and, from street.yaml, the publisher and area."""

    plan: WarningPlan
    publisher: Publisher
    area: OfficeArea


def load_warning_context(plans_dir: Path) -> WarningContext:
    """Load the warning plan and the office's CAP identity and area, refusing a street.yaml without them."""
    street_path = plans_dir / "street.yaml"
    street = load_street(street_path)
    if street.area is None:
        raise RulesError(str(street_path), "area", "the office's area is needed to issue warnings")
    if street.publisher is None:
        raise RulesError(str(street_path), "publisher", "the office's CAP identity is needed to issue warnings")
    return WarningContext(load_warning_plan(plans_dir), street.publisher, street.area)
