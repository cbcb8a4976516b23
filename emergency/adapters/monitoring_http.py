"""Poll a monitoring point over HTTP: a conditional GET (ETag / Last-Modified) through the project's session with
timeouts and bounded retries (adapters.http), a size limit, and the JSON readings checked before anything is stored.

The JSON a point answers, documented in plans/monitoring.yaml:

- one reading: ``{"value": 0.32, "at": "2026-07-01T08:00:00+08:00"}`` (optionally ``"unit": "m"`` and other keys,
  kept as they came);
- a list of readings: ``[{"value": …, "at": …}, …]``;
- or an object with a list: ``{"readings": [{"value": …, "at": …}, …]}``.

`value` is a finite number, `at` an ISO 8601 time with its UTC offset; a `unit`, when given, must be the point's.
One bad reading refuses the whole answer (nothing of it is stored).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import requests

from emergency.adapters.http import make_http_session, redact
from emergency.errors import EmergencyError

MAX_BYTES = 1_000_000
"""A point's answer is a few readings; anything larger is refused rather than read into memory."""

ACCEPT = "application/json"


class PollError(EmergencyError):
    """A point that could not be polled or whose answer is not readings: names the URL (query redacted) and why."""


@dataclass(frozen=True)
class PolledReading:
    """One reading as the point sent it."""

    at: datetime
    value: float
    raw: dict[str, Any]


@dataclass(frozen=True)
class Polled:
    """The answer to one poll: the readings (none when unchanged, 304) and the validators for the next request."""

    url: str
    status: int
    readings: tuple[PolledReading, ...] = ()
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """Return whether the server said nothing changed since the validators were given."""
        return self.status == 304


def make_poll_session() -> requests.Session:
    """Return the session points are polled with: short timeouts, one retry on connection errors and 502/503/504."""
    # A poll runs every few minutes: a point that does not answer within seconds is reported, the next poll tries again.
    return make_http_session(retries=1, backoff=0.5, timeout=(3.05, 5.0))


def poll(http: requests.Session, url: str, *, unit: str, etag: str | None = None,
         last_modified: str | None = None, max_bytes: int = MAX_BYTES) -> Polled:
    """GET a point's readings, conditionally when validators are given; raise PollError for anything unusable."""
    where = redact(url)
    if urlparse(url).scheme not in ("http", "https"):
        raise PollError(f"{where}: only http and https URLs are polled")
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with http.get(url, headers=headers, stream=True, allow_redirects=True) as response:
            if response.status_code == 304:
                return Polled(url, 304, (), response.headers.get("ETag") or etag,
                              response.headers.get("Last-Modified") or last_modified)
            if response.status_code != 200:
                raise PollError(f"{where}: HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise PollError(f"{where}: more than {max_bytes} bytes, refused")
            new_etag, new_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except requests.RequestException as exc:
        raise PollError(f"{where}: {type(exc).__name__}: {redact(str(exc))[:200]}") from None
    readings = parse_readings(bytes(body), unit=unit, where=where)
    return Polled(url, 200, readings, new_etag, new_modified)


def parse_readings(body: bytes, *, unit: str, where: str = "answer") -> tuple[PolledReading, ...]:
    """Return the readings of a JSON answer in one of the documented shapes; PollError naming what is wrong."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PollError(f"{where}: not JSON ({exc})") from None
    if isinstance(data, dict) and "readings" in data:
        data = data["readings"]
    items = data if isinstance(data, list) else [data]
    return tuple(_reading(item, n, unit=unit, where=where) for n, item in enumerate(items, start=1))


def _reading(item: object, n: int, *, unit: str, where: str) -> PolledReading:
    label = f"{where}: reading {n}"
    if not isinstance(item, dict):
        raise PollError(f"{label}: expected an object with value and at, got {type(item).__name__}")
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PollError(f"{label}: value {value!r} is not a finite number")
    at_text = item.get("at")
    if not isinstance(at_text, str):
        raise PollError(f"{label}: at {at_text!r} is not an ISO 8601 time")
    try:
        at = datetime.fromisoformat(at_text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PollError(f"{label}: at {at_text!r} is not an ISO 8601 time") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise PollError(f"{label}: at {at_text!r} has no UTC offset")
    given = item.get("unit")
    if given is not None and str(given).strip() != unit:
        raise PollError(f"{label}: unit {given!r} is not the point's unit {unit!r}")
    return PolledReading(at, float(value), dict(item))
