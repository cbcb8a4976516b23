"""Pure pass-down rules: whom a warning's step goes to, acknowledgement deadlines, the signed link, the rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emergency.domain.enums import RecipientKind, WarningAction, WarningLevel
from emergency.domain.warning_notices import (
    Recipient,
    ack_deadline,
    ack_link,
    ack_signature,
    due_recipients,
    notice_event,
    notice_key,
    rates,
    recipients_for,
    signature_ok,
)
from emergency.errors import RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.warning_notices import load_warning_notice_plan

PLAN = load_warning_notice_plan(DEFAULT_PLANS_DIR)
AT = datetime(2026, 7, 20, 2, 0, tzinfo=UTC)
SECRET = "s3cret-for-tests"

COMMUNITY_1 = Recipient(RecipientKind.COMMUNITY, 1, 1, "ZY01", "正阳社区")
GRID_11 = Recipient(RecipientKind.GRID, 11, 1, "ZY01-01", "正阳社区第一网格", "王丽", "13800000101")
GRID_12 = Recipient(RecipientKind.GRID, 12, 1, "ZY01-02", "正阳社区第二网格", "刘洋", "13800000102")
COMMUNITY_2 = Recipient(RecipientKind.COMMUNITY, 2, 2, "ZY02", "万福社区")
GRID_21 = Recipient(RecipientKind.GRID, 21, 2, "ZY02-01", "万福社区第一网格", "陈静", "13800000201")
STREET = (COMMUNITY_1, GRID_11, GRID_12, COMMUNITY_2, GRID_21)


def test_a_street_wide_warning_goes_to_every_community_and_grid() -> None:
    """Without a community (upstream and the office's own warnings) every community and grid is concerned."""
    assert recipients_for(STREET) == STREET


def test_a_monitoring_points_warning_goes_to_its_community_and_grids() -> None:
    """A point in a community: that community and its grids; a point in a grid: the community and that grid."""
    assert recipients_for(STREET, community_id=1) == (COMMUNITY_1, GRID_11, GRID_12)
    assert recipients_for(STREET, community_id=1, grid_id=12) == (COMMUNITY_1, GRID_12)
    assert recipients_for(STREET, community_id=99) == STREET  # a community no longer on record: the whole street


def test_the_latest_step_that_changes_what_to_do_is_passed_down() -> None:
    """Steps are passed down by their latest notifiable one; an `ignored` step is not one."""
    steps = [(3, WarningAction.ISSUED), (5, WarningAction.RAISED), (6, WarningAction.IGNORED)]
    assert notice_event(steps) == (5, WarningAction.RAISED)
    assert notice_event([(1, WarningAction.IGNORED)]) is None
    assert notice_event([]) is None


def test_nobody_gets_a_step_twice_and_a_lift_only_reaches_those_told() -> None:
    """A recipient already told of this step (or a later one) is skipped; a lift goes to those told of the warning."""
    told = {GRID_11.key: 5}
    assert due_recipients((5, WarningAction.RAISED), STREET, told) == (COMMUNITY_1, GRID_12, COMMUNITY_2, GRID_21)
    assert due_recipients((7, WarningAction.LIFTED), STREET, told) == (GRID_11,)
    assert due_recipients((7, WarningAction.CANCELLED), STREET, {}) == ()
    assert due_recipients((4, WarningAction.UPDATED), STREET, told)[0] == COMMUNITY_1


def test_notice_keys_name_the_step_and_the_recipient() -> None:
    """One idempotency key per (warning step, recipient)."""
    assert notice_key(3, 9, GRID_11) == "warning:3:event:9:grid:11"
    assert notice_key(3, 9, COMMUNITY_1) == "warning:3:event:9:community:1"


@pytest.mark.parametrize(("level", "action", "minutes", "rule"), [
    (WarningLevel.RED, WarningAction.ISSUED, 30, "red"),
    (WarningLevel.ORANGE, WarningAction.RAISED, 30, "orange"),
    (WarningLevel.YELLOW, WarningAction.LOWERED, 120, "yellow"),
    (WarningLevel.BLUE, WarningAction.UPDATED, 120, "blue"),
    (None, WarningAction.ISSUED, 120, "no_level"),
    (WarningLevel.RED, WarningAction.LIFTED, 120, "lifted"),
    (WarningLevel.RED, WarningAction.CANCELLED, 120, "lifted"),
])
def test_acknowledgement_deadlines_follow_the_plan(level: WarningLevel | None, action: WarningAction, minutes: int,
                                                   rule: str) -> None:
    """Red and orange within 30 minutes, yellow and blue within 2 hours, a lift within 2 hours, each with its source."""
    due, name, data = ack_deadline(AT, level, action, PLAN.ack_deadlines)
    assert due == AT + timedelta(minutes=minutes)
    assert name == f"warning_notices.ack_deadlines.{rule}"
    assert data.source


def test_a_bad_plan_file_names_the_field(tmp_path: Path) -> None:
    """A deadline of 0 minutes is refused with the file and the field."""
    text = (DEFAULT_PLANS_DIR / "warning-notices.yaml").read_text(encoding="utf-8")
    (tmp_path / "warning-notices.yaml").write_text(text.replace("minutes: 30", "minutes: 0", 1), encoding="utf-8")
    with pytest.raises(RulesError, match=r"warning-notices.yaml.*ack_deadlines\.red\.minutes"):
        load_warning_notice_plan(tmp_path)


def test_the_link_carries_a_signature_that_checks() -> None:
    """The link's token and signature verify with the secret; any change to id, token, signature or secret fails."""
    signature = ack_signature(SECRET, 42, "tok-en_1")
    link = ack_link("http://127.0.0.1:8765/", 42, "tok-en_1", signature)
    parts = urlsplit(link)
    assert parts.path == "/ack/42"
    query = parse_qs(parts.query)
    assert query == {"t": ["tok-en_1"], "s": [signature]}
    assert signature_ok(SECRET, 42, "tok-en_1", signature)
    assert not signature_ok(SECRET, 43, "tok-en_1", signature)
    assert not signature_ok(SECRET, 42, "tok-en_2", signature)
    assert not signature_ok("another secret", 42, "tok-en_1", signature)
    assert not signature_ok(SECRET, 42, "tok-en_1", signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    assert not signature_ok("", 42, "tok-en_1", ack_signature("", 42, "tok-en_1"))  # no secret, no link accepted
    assert not signature_ok(SECRET, 42, "tok-en_1", "签名")


@settings(max_examples=200, deadline=None)
@given(notice_id=st.integers(min_value=1, max_value=2**62), token=st.text(min_size=1, max_size=64),
       other=st.text(min_size=1, max_size=64))
def test_a_signature_fits_only_its_own_notice_and_token(notice_id: int, token: str, other: str) -> None:
    """For any notice and token the signature verifies, and it never verifies another token."""
    signature = ack_signature(SECRET, notice_id, token)
    assert signature_ok(SECRET, notice_id, token, signature)
    if other != token:
        assert not signature_ok(SECRET, notice_id, other, signature)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=60))
def test_rates_are_shares_of_the_recipients(states: list[tuple[bool, bool]]) -> None:
    """acknowledged ≤ received ≤ total, both rates in [0, 1], and None only when nobody was to be told."""
    result = rates(states)
    assert result.total == len(states)
    assert 0 <= result.acknowledged <= result.received <= result.total
    assert result.acknowledged == sum(acked for _got, acked in states)
    if states:
        assert result.received_rate is not None and result.acknowledged_rate is not None
        assert 0 <= result.acknowledged_rate <= result.received_rate <= 1
    else:
        assert result.received_rate is None and result.acknowledged_rate is None

