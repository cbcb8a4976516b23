"""Report immutability: canonical content and the SHA-256 hash chain (one chain per office)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
"""The previous-hash of an office's first report."""


def canonical_content(content: dict[str, Any]) -> str:
    """Return the canonical JSON of a report's content: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """Return SHA-256 over the previous report's hash and this report's canonical content."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_content(content).encode("utf-8"))
    return digest.hexdigest()
