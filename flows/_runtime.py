"""Per-run helpers: settings, the runtime built once per process, and `as_of` resolved once per flow run."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from emergency.config import load_settings
from emergency.runtime import Runtime, open_runtime


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """Return the process's runtime (settings, engine, sessions, rules), built on first use."""
    return open_runtime(load_settings())


def resolve_as_of(as_of: datetime | None) -> datetime:
    """Return *as_of*, or the clock's now; a flow resolves it once and passes it to every task."""
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must carry a UTC offset")
    return as_of if as_of is not None else load_settings().clock().now()
