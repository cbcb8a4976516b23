"""Reporting rules are data: they load, cite sources, merge a district's overrides, and fail precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from emergency.errors import RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR, load_rules


def test_every_rule_cites_a_source() -> None:
    """Each rule id in the shipped rules carries a non-empty legal source."""
    rules = load_rules()
    found = rules.all_rules()
    assert "accident.written.initial" in found
    assert all(source.strip() for source in found.values())


def test_catalogue_matches_the_shared_event_types() -> None:
    """The shipped event catalogue holds every type of the shared CSV with its sensitive flag."""
    import csv

    rows = list(csv.DictReader((DEFAULT_PLANS_DIR.parents[1] / "shared/domain/event-types.csv").open(encoding="utf-8")))
    rules = load_rules()
    for row in rows:
        entry = rules.event_type(row["code"])
        assert entry is not None, row["code"]
        assert entry.category.value == row["category"]
        assert entry.sensitive == (row["sensitive"] == "yes")


def test_district_override_changes_a_deadline_without_code(tmp_path: Path) -> None:
    """A district file merged over the defaults changes one number and keeps the rest."""
    override = tmp_path / "district.yaml"
    override.write_text("tiers:\n  - id: general\n    phone: {minutes: 20}\n", encoding="utf-8")
    rules = load_rules(override=override)
    general = next(t for t in rules.tiers if t.id == "general")
    assert general.phone.minutes == 20
    assert general.phone.rule == "initial.phone.general"
    assert general.written.minutes == 120


def test_district_adds_an_event_type(tmp_path: Path) -> None:
    """A district extends the catalogue by adding entries keyed by code."""
    override = tmp_path / "district.yaml"
    override.write_text(
        "event_types:\n  - {code: ice_lantern_collapse, category: accident, name_zh: 冰灯坍塌, sensitive: true}\n",
        encoding="utf-8")
    rules = load_rules(override=override)
    entry = rules.event_type("ice_lantern_collapse")
    assert entry is not None and entry.sensitive
    assert rules.event_type("gas_explosion") is not None


@pytest.mark.parametrize(
    ("text", "field", "why"),
    [
        ("tiers:\n  - id: major\n    phone: {minutes: -5}\n", "tiers[major].phone.minutes", "greater than 0"),
        ("tiers:\n  - id: major\n    phone: {minutes: soon}\n", "tiers[major].phone.minutes", "integer"),
        ("final: {hours_after_closure: 0}\n", "final.hours_after_closure", "greater than 0"),
        ("casualty_change: {window_days: 30, colour: red}\n", "casualty_change.colour", "Extra inputs"),
        ("event_types:\n  - {code: x1, category: weather, name_zh: 天气}\n", "event_types[x1].category", "Input should be"),
        ("grading:\n  - id: grading.accident\n    types: [no_such_type]\n", None, "unknown event types"),
    ],
)
def test_bad_rules_file_names_file_field_and_why(tmp_path: Path, text: str, field: str | None, why: str) -> None:
    """A bad district file fails at load with the file, the field and why."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(override=bad)
    assert caught.value.path == str(bad)
    if field is not None:
        assert caught.value.field == field
    assert why in str(caught.value)


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    """Broken YAML is reported with its file and line."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("tiers:\n  - id: major\n   phone: [\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"bad\.yaml.*line \d+"):
        load_rules(override=bad)


def test_missing_override_file(tmp_path: Path) -> None:
    """A rules file that does not exist is named."""
    with pytest.raises(RulesError, match="file not found"):
        load_rules(override=tmp_path / "nope.yaml")
