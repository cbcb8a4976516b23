"""Severity grading (Order 493 Art. 3) and the deadline tier an incident falls in."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emergency.domain.enums import Category, Severity
from emergency.domain.grading import grade, tier_for
from emergency.domain.incidents import Figures, Incident
from emergency.plans.loader import load_rules

RULES = load_rules()
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def incident(category: Category = Category.ACCIDENT, type_: str = "fire",
             override: Severity | None = None) -> Incident:
    return Incident(id="E1", category=category, type=type_, title="t", location="l", occurred_at=T0, known_at=T0,
                    closed_at=None, drill=False, truth=(), reports=(), severity_override=override)


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (Figures(deaths=2), Severity.IV),
        (Figures(deaths=3), Severity.III),
        (Figures(deaths=2, missing=1), Severity.III),
        (Figures(deaths=9), Severity.III),
        (Figures(deaths=10), Severity.II),
        (Figures(deaths=29), Severity.II),
        (Figures(deaths=30), Severity.I),
        (Figures(serious_injuries=9), Severity.IV),
        (Figures(serious_injuries=10), Severity.III),
        (Figures(serious_injuries=49), Severity.III),
        (Figures(serious_injuries=50), Severity.II),
        (Figures(serious_injuries=100), Severity.I),
        (Figures(direct_loss_yuan=Decimal("9999999.99")), Severity.IV),
        (Figures(direct_loss_yuan=Decimal(10_000_000)), Severity.III),
        (Figures(direct_loss_yuan=Decimal(50_000_000)), Severity.II),
        (Figures(direct_loss_yuan=Decimal(100_000_000)), Severity.I),
        (Figures(), Severity.IV),
    ],
)
def test_accident_grade_follows_order_493_thresholds(figures: Figures, expected: Severity) -> None:
    """Any one threshold is enough; "以上" includes the number; deaths include the missing."""
    assert grade(RULES, Category.ACCIDENT, "fire", figures) == expected


def test_trapped_do_not_count_in_the_grade() -> None:
    """Trapped persons are not deaths: 5 trapped alone is still 一般 by Order 493."""
    assert grade(RULES, Category.ACCIDENT, "fire", Figures(trapped=5)) == Severity.IV


def test_category_without_scheme_is_general() -> None:
    """A social-security incident with deaths has no automatic grade above 一般 (set by hand instead)."""
    assert grade(RULES, Category.SOCIAL_SECURITY, "mass_incident", Figures(deaths=5)) == Severity.IV


def test_earthquake_uses_its_own_plan() -> None:
    """Earthquakes are graded by the national earthquake plan: 10 deaths is 较大, 9 is 一般."""
    assert grade(RULES, Category.NATURAL_DISASTER, "earthquake", Figures(deaths=9)) == Severity.IV
    assert grade(RULES, Category.NATURAL_DISASTER, "earthquake", Figures(deaths=10)) == Severity.III


@pytest.mark.parametrize(
    ("inc", "figures", "tier"),
    [
        (incident(), Figures(injuries=3), "general"),
        (incident(), Figures(deaths=1), "general_serious"),
        (incident(), Figures(missing=1), "general_serious"),
        (incident(type_="gas_explosion"), Figures(), "general_serious"),
        (incident(), Figures(deaths=3), "larger"),
        (incident(), Figures(trapped=3), "larger"),
        (incident(), Figures(trapped=2, missing=1), "larger"),
        (incident(category=Category.SOCIAL_SECURITY, type_="public_opinion"), Figures(trapped=3), "general"),
        (incident(), Figures(deaths=10), "major"),
        (incident(), None, "general"),
        (incident(override=Severity.II), Figures(), "major"),
    ],
)
def test_tier_selection(inc: Incident, figures: Figures | None, tier: str) -> None:
    """Sensitive types and deaths take the 30/60 tier; 较大涉险 takes at least 较大; a hand grade raises."""
    assert tier_for(RULES, inc, figures).id == tier


counts = st.integers(min_value=0, max_value=200)


@given(counts, counts, counts, counts, counts)
def test_grade_is_monotone(deaths: int, missing: int, serious: int, more_deaths: int, more_serious: int) -> None:
    """More casualties never lower the grade."""
    low = grade(RULES, Category.ACCIDENT, "fire", Figures(deaths=deaths, missing=missing, serious_injuries=serious))
    high = grade(RULES, Category.ACCIDENT, "fire",
                 Figures(deaths=deaths + more_deaths, missing=missing, serious_injuries=serious + more_serious))
    assert high.rank >= low.rank
