"""The report hash chain: canonical, deterministic, and sensitive to every byte of content."""

from __future__ import annotations

from emergency.domain.reports import GENESIS, canonical_content, chain_hash

CONTENT = {"report": "R1", "stated": {"deaths": 0, "summary": "燃气爆炸"}, "submitted_at": "2026-03-01T00:50:00+00:00"}


def test_key_order_does_not_matter() -> None:
    """The canonical form sorts keys, so the same content always hashes the same."""
    shuffled = {"submitted_at": CONTENT["submitted_at"], "stated": {"summary": "燃气爆炸", "deaths": 0}, "report": "R1"}
    assert canonical_content(CONTENT) == canonical_content(shuffled)
    assert chain_hash(GENESIS, CONTENT) == chain_hash(GENESIS, shuffled)


def test_any_change_changes_the_hash() -> None:
    """Changing a figure or the previous link changes the hash."""
    changed = {**CONTENT, "stated": {"deaths": 1, "summary": "燃气爆炸"}}
    assert chain_hash(GENESIS, CONTENT) != chain_hash(GENESIS, changed)
    assert chain_hash(GENESIS, CONTENT) != chain_hash("1" * 64, CONTENT)
    assert len(chain_hash(GENESIS, CONTENT)) == 64
