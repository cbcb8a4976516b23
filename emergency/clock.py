"""The one clock: aware datetimes only, UTC stored, Asia/Shanghai shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

CN_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Something that tells the current aware time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock stopped at one instant (tests, replays, `EMERGENCY_NOW`)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._at


def to_local(at: datetime) -> datetime:
    """Return *at* in Asia/Shanghai time."""
    return at.astimezone(CN_TZ)


def format_local(at: datetime) -> str:
    """Format *at* as 'YYYY-MM-DD HH:MM' in Asia/Shanghai time."""
    return to_local(at).strftime("%Y-%m-%d %H:%M")


def isoformat_local(at: datetime) -> str:
    """Format *at* as ISO 8601 with the +08:00 offset."""
    return to_local(at).isoformat()
