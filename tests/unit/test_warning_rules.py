"""Pure warning rules: which <info>, colour level and type, area match, what a message does to its chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from emergency.domain.enums import AreaMatch, CapMsgType, CapStatus, WarningAction, WarningLevel, WarningStatus
from emergency.domain.warnings import (
    AreaResult,
    CapArea,
    CapInfo,
    CapMessage,
    CapReference,
    ChainWarning,
    admin_prefix,
    choose_info,
    circle_meets_polygon,
    classify,
    decide,
    gbt_identifier,
    level_change,
    match_area,
    parse_cap_time,
    parse_polygon,
    parse_references,
    polygons_intersect,
)
from emergency.errors import RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.warnings import load_warning_plan
from tests.warning_support import AREA, PLAN

LEVELS = PLAN.levels
NOW = datetime(2026, 7, 20, 2, 0, tzinfo=UTC)


def info(**overrides: object) -> CapInfo:
    """Return an <info> with neutral defaults."""
    values: dict[str, object] = {"language": "en-US", "categories": ("Met",), "event": "Storm", "urgency": "Expected",
                                 "severity": "Unknown", "certainty": "Likely"}
    values.update(overrides)
    return CapInfo(**values)  # type: ignore[arg-type]


def area(desc: str = "", **overrides: object) -> CapArea:
    """Return an <area>."""
    return CapArea(area_desc=desc, **overrides)  # type: ignore[arg-type]


# --- which info -----------------------------------------------------------------------------------------------------


def test_info_prefers_zh_cn_then_zh_then_en_then_the_first() -> None:
    """Of several <info> blocks, zh-CN is read first, then any zh, then any en, else the first one."""
    fr, en, zh_tw, zh_cn = (info(language=x, event=x) for x in ("fr-CA", "en-CA", "zh-TW", "zh-CN"))
    prefer = LEVELS.languages.prefer
    assert choose_info([fr, en, zh_tw, zh_cn], prefer) is zh_cn
    assert choose_info([fr, en, zh_tw], prefer) is zh_tw
    assert choose_info([fr, en], prefer) is en
    assert choose_info([fr, info(language="es-US")], prefer).event == "fr-CA"  # type: ignore[union-attr]
    assert choose_info([], prefer) is None


# --- colour level and type ------------------------------------------------------------------------------------------


def test_all_44_signals_of_cma_order_16_parse_to_their_type_and_level() -> None:
    """Every signal name of 中国气象局令第16号 (14 types) in <event> gives its own type and colour."""
    signals = [(t.key, s) for t in LEVELS.types for s in t.signals]
    assert len(signals) == 44
    assert len({t.cma_type for t in LEVELS.types if t.cma_type}) == 14
    for key, signal in signals:
        got = classify(info(event=signal.name, severity="Minor"), LEVELS)
        assert (got.warning_type, got.level) == (key, signal.level), signal.name


def test_signal_name_in_the_headline_wins_over_severity() -> None:
    """暴雨红色预警信号 in the headline gives red even when <severity> says Moderate."""
    got = classify(info(event="暴雨", headline="长春市气象台发布暴雨红色预警信号", severity="Moderate"), LEVELS)
    assert (got.warning_type, got.level) == ("rainstorm", WarningLevel.RED)
    assert "signal name" in got.basis
    raised = classify(info(event="暴雨", headline="长春市气象台将暴雨橙色预警信号升级为红色"), LEVELS)
    assert (raised.warning_type, raised.level) == ("rainstorm", WarningLevel.RED)


def test_other_chinese_warning_names_give_their_colour() -> None:
    """Non-meteorological names such as 城市内涝橙色预警 or 地质灾害气象风险黄色预警 give type and colour too."""
    assert classify(info(event="城市内涝橙色预警"), LEVELS).level is WarningLevel.ORANGE
    assert classify(info(event="城市内涝橙色预警"), LEVELS).warning_type == "waterlogging"
    got = classify(info(event="地质灾害气象风险黄色预警"), LEVELS)
    assert (got.warning_type, got.level) == ("geological_hazard", WarningLevel.YELLOW)
    assert classify(info(event="某某蓝色预警"), LEVELS).warning_type == "other"


@pytest.mark.parametrize(("severity", "level"), [("Extreme", WarningLevel.RED), ("Severe", WarningLevel.ORANGE),
                                                 ("Moderate", WarningLevel.YELLOW), ("Minor", WarningLevel.BLUE),
                                                 ("Unknown", None)])
def test_cap_severity_maps_to_the_colour_level(severity: str, level: WarningLevel | None) -> None:
    """Without a Chinese signal name the colour comes from <severity> as plans/warning-levels.yaml maps it."""
    assert classify(info(event="Blizzard Warning", severity=severity), LEVELS).level is level
    assert classify(info(event="Blizzard Warning", severity=severity), LEVELS).warning_type == "blizzard"


def test_a_level_parameter_gives_the_colour() -> None:
    """A parameter naming the level (预警级别 = 橙色) gives the colour when the name does not."""
    got = classify(info(event="大风", parameters=(("预警级别", "橙色"),), severity="Minor"), LEVELS)
    assert (got.warning_type, got.level) == ("gale", WarningLevel.ORANGE)


# --- area -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "matched"), [("220000", True), ("220100", True), ("220106", True),
                                               ("220106004", True), ("220102", False), ("110000", False),
                                               ("220200", False)])
def test_geocodes_match_by_gbt_2260_prefix(code: str, matched: bool) -> None:
    """吉林省 220000, 长春市 220100, 绿园区 220106 and a township inside it cover the office; 南关区 220102 does not."""
    result = match_area([area("x", geocodes=(("GB/T 2260", code),))], AREA, LEVELS)
    assert (result.match is AreaMatch.MATCHED) is matched, result.detail


def test_foreign_geocodes_are_not_read_as_chinese_codes() -> None:
    """A US SAME code is never compared with GB/T 2260 codes, even when its digits would match."""
    result = match_area([area("Somewhere", geocodes=(("SAME", "220106"),))], AREA, LEVELS)
    assert result.match is AreaMatch.OUTSIDE


def test_admin_prefix() -> None:
    """Trailing zero groups are dropped: province, city, district, township levels."""
    assert [admin_prefix(c) for c in ("220000", "220100", "220106", "220106004", "220106004000")] == [
        "22", "2201", "220106", "220106004", "220106004"]


def test_polygons_and_circles_are_matched_geometrically() -> None:
    """A polygon over 长春 or a circle reaching the street matches; 哈尔滨 and California do not."""
    changchun = parse_polygon("43.7,125.0 43.7,125.6 44.1,125.6 44.1,125.0 43.7,125.0")
    harbin = parse_polygon("45.7,126.5 45.7,126.8 45.9,126.8 45.9,126.5 45.7,126.5")
    california = parse_polygon("38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14")
    assert changchun and harbin and california
    assert match_area([area("长春", polygons=(changchun,))], AREA, LEVELS).match is AreaMatch.MATCHED
    assert match_area([area("哈尔滨", polygons=(harbin,))], AREA, LEVELS).match is AreaMatch.OUTSIDE
    assert match_area([area("CA", polygons=(california,))], AREA, LEVELS).match is AreaMatch.OUTSIDE
    assert circle_meets_polygon((43.88, 125.25, 0.0), AREA.polygon)
    assert not circle_meets_polygon((44.5, 125.25, 10.0), AREA.polygon)
    assert circle_meets_polygon((44.5, 125.25, 80.0), AREA.polygon)


def test_a_small_polygon_inside_the_street_and_one_around_it_both_intersect() -> None:
    """Containment either way counts as intersecting (no edge crosses)."""
    inside = ((43.88, 125.24), (43.88, 125.26), (43.89, 125.26), (43.89, 125.24))
    around = ((40.0, 120.0), (40.0, 130.0), (48.0, 130.0), (48.0, 120.0))
    assert polygons_intersect(inside, AREA.polygon)
    assert polygons_intersect(around, AREA.polygon)


def test_a_polygon_across_the_antimeridian_does_not_cover_china() -> None:
    """An Aleutian polygon from 170°E to 170°W spans 20°, not 340° through 125°E."""
    aleutians = ((43.0, 170.0), (43.0, -170.0), (45.0, -170.0), (45.0, 170.0))
    assert not polygons_intersect(aleutians, AREA.polygon)


@settings(max_examples=200, deadline=None)
@given(dlat=st.floats(0.001, 5), dlon=st.floats(0.001, 5))
def test_any_box_around_the_street_centre_intersects(dlat: float, dlon: float) -> None:
    """Every box containing the street's centre intersects the street (invariant of the geometry)."""
    lat, lon = 43.88, 125.25
    box = ((lat - dlat, lon - dlon), (lat - dlat, lon + dlon), (lat + dlat, lon + dlon), (lat + dlat, lon - dlon))
    assert polygons_intersect(box, AREA.polygon)


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-80, 40), size=st.floats(0.01, 3), lon=st.floats(-179, 179))
def test_any_box_south_of_the_street_is_outside(lat: float, size: float, lon: float) -> None:
    """A box wholly south of 43.86°N never intersects the street, wherever its longitude."""
    top = min(lat + size, 43.8)
    box = ((lat, lon), (lat, lon + 0.5), (top, lon + 0.5), (top, lon))
    assert not polygons_intersect(box, AREA.polygon)


def test_area_description_is_read_only_without_geometry_or_codes() -> None:
    """areaDesc naming 长春市 matches when the area gives nothing else; no <area> at all is unspecified."""
    assert match_area([area("长春市区")], AREA, LEVELS).match is AreaMatch.MATCHED
    assert match_area([area("吉林市")], AREA, LEVELS).match is AreaMatch.OUTSIDE
    harbin = parse_polygon(ELSEWHERE)
    assert harbin is not None
    assert match_area([area("长春市", polygons=(harbin,))], AREA, LEVELS).match is AreaMatch.OUTSIDE
    assert match_area([], AREA, LEVELS).match is AreaMatch.UNSPECIFIED


ELSEWHERE = "45.7,126.5 45.7,126.8 45.9,126.8 45.9,126.5 45.7,126.5"


def test_bad_polygons_and_circles_are_dropped() -> None:
    """An empty or malformed polygon is no evidence (NWS sends <polygon></polygon>)."""
    assert parse_polygon("") is None
    assert parse_polygon("1,2 3,4") is None
    assert parse_polygon("91,0 1,1 2,2") is None
    assert parse_polygon("a,b c,d e,f") is None


def test_references_and_times() -> None:
    """References split into triples; CAP times keep their offset, -00:00 is UTC."""
    refs = parse_references("a@b,ID-1,2003-06-11T20:30:00-07:00 x,ID-2,bad")
    assert [(r.sender, r.identifier) for r in refs] == [("a@b", "ID-1"), ("x", "ID-2")]
    assert refs[0].sent == datetime(2003, 6, 12, 3, 30, tzinfo=UTC)
    assert refs[1].sent is None
    assert parse_cap_time("2012-05-02T23:21:04-00:00") == datetime(2012, 5, 2, 23, 21, 4, tzinfo=UTC)
    assert parse_cap_time("2012-05-02 23:21:04") is None


# --- the chain ------------------------------------------------------------------------------------------------------

MATCHED = AreaResult(AreaMatch.MATCHED, "geocode 220100")
OUTSIDE = AreaResult(AreaMatch.OUTSIDE, "elsewhere")


def message(msg_type: CapMsgType = CapMsgType.ALERT, status: CapStatus = CapStatus.ACTUAL,
            references: tuple[str, ...] = ()) -> CapMessage:
    """Return a message with references to the given identifiers."""
    return CapMessage(identifier="M", sender="S", sent=NOW, sent_text="2026-07-20T10:00:00+08:00", status=status,
                      msg_type=msg_type, scope="Public",
                      references=tuple(CapReference("S", r, "2026-07-20T09:00:00+08:00", NOW) for r in references))


def chain(warning_id: int, status: WarningStatus = WarningStatus.ACTIVE, reopenable: bool = False) -> ChainWarning:
    """Return a warning of the chain."""
    return ChainWarning(warning_id, status, NOW - timedelta(hours=warning_id), reopenable)


@pytest.mark.parametrize("status", [CapStatus.TEST, CapStatus.EXERCISE, CapStatus.SYSTEM, CapStatus.DRAFT])
def test_test_exercise_system_and_draft_are_never_real(status: CapStatus) -> None:
    """Whatever else it says, a non-Actual message issues, updates and lifts nothing."""
    for msg_type in CapMsgType:
        got = decide(message=message(msg_type, status, ("A",)), info=info(), area=MATCHED,
                     concerns_without_area=False, referenced=[chain(1)], now=NOW)
        assert got.action is WarningAction.IGNORED
        assert str(status) in got.reason


def test_alert_in_the_area_is_issued_outside_or_expired_ignored() -> None:
    """An Alert concerning the office issues; outside the area or already expired it is ignored."""
    def run(area_result: AreaResult, expires: datetime | None) -> WarningAction:
        return decide(message=message(), info=info(expires=expires), area=area_result, concerns_without_area=False,
                      referenced=[], now=NOW).action

    assert run(MATCHED, NOW + timedelta(hours=1)) is WarningAction.ISSUED
    assert run(MATCHED, None) is WarningAction.ISSUED
    assert run(OUTSIDE, None) is WarningAction.IGNORED
    assert run(MATCHED, NOW) is WarningAction.IGNORED


def test_no_area_concerns_the_office_only_from_its_upstream_senders() -> None:
    """A message without <area> is acted on only when its sender is one of the office's upstream senders."""
    unspecified = AreaResult(AreaMatch.UNSPECIFIED, "no area")
    assert decide(message=message(), info=info(), area=unspecified, concerns_without_area=True, referenced=[],
                  now=NOW).action is WarningAction.ISSUED
    assert decide(message=message(), info=info(), area=unspecified, concerns_without_area=False, referenced=[],
                  now=NOW).action is WarningAction.IGNORED


def test_update_replaces_the_latest_active_warning_and_supersedes_others() -> None:
    """An Update acts on the chain's active warning; other active warnings it names are lifted as superseded."""
    got = decide(message=message(CapMsgType.UPDATE, references=("A", "B")), info=info(), area=MATCHED,
                 concerns_without_area=False, referenced=[chain(2), chain(1)], now=NOW)
    assert (got.action, got.warning_id, got.superseded) == (WarningAction.UPDATED, 1, (2,))


def test_update_leaving_the_area_lifts_and_a_later_update_reopens() -> None:
    """An Update no longer covering the office lifts its warning; one covering it again reopens the same warning."""
    left = decide(message=message(CapMsgType.UPDATE, references=("A",)), info=info(), area=OUTSIDE,
                  concerns_without_area=False, referenced=[chain(1)], now=NOW)
    assert (left.action, left.warning_id, left.cause) == (WarningAction.LIFTED, 1, "outside")
    back = decide(message=message(CapMsgType.UPDATE, references=("A",)), info=info(), area=MATCHED,
                  concerns_without_area=False, referenced=[chain(1, WarningStatus.LIFTED, reopenable=True)], now=NOW)
    assert (back.action, back.warning_id) == (WarningAction.UPDATED, 1)
    cancelled = decide(message=message(CapMsgType.UPDATE, references=("A",)), info=info(), area=MATCHED,
                       concerns_without_area=False, referenced=[chain(1, WarningStatus.LIFTED)], now=NOW)
    assert cancelled.action is WarningAction.IGNORED


def test_update_without_area_keeps_its_warning() -> None:
    """An Update giving no <area> updates its active warning: the area is unchanged, not gone."""
    got = decide(message=message(CapMsgType.UPDATE, references=("A",)), info=info(),
                 area=AreaResult(AreaMatch.UNSPECIFIED, "no area"), concerns_without_area=False,
                 referenced=[chain(1)], now=NOW)
    assert (got.action, got.warning_id) == (WarningAction.UPDATED, 1)


def test_update_of_messages_never_received_is_a_new_warning() -> None:
    """An Update whose references resolve to nothing is issued as a new warning when it concerns the office."""
    got = decide(message=message(CapMsgType.UPDATE, references=("X",)), info=info(), area=MATCHED,
                 concerns_without_area=False, referenced=[], now=NOW)
    assert got.action is WarningAction.ISSUED


def test_cancel_lifts_whatever_its_area_and_needs_no_info() -> None:
    """A Cancel lifts the warning it names even with no <info>; unknown or already lifted, it is ignored."""
    got = decide(message=message(CapMsgType.CANCEL, references=("A",)), info=None, area=OUTSIDE,
                 concerns_without_area=False, referenced=[chain(1)], now=NOW)
    assert (got.action, got.warning_id) == (WarningAction.LIFTED, 1)
    assert decide(message=message(CapMsgType.CANCEL, references=("A",)), info=None, area=OUTSIDE,
                  concerns_without_area=False, referenced=[], now=NOW).action is WarningAction.IGNORED
    assert decide(message=message(CapMsgType.CANCEL, references=("A",)), info=None, area=OUTSIDE,
                  concerns_without_area=False, referenced=[chain(1, WarningStatus.LIFTED)],
                  now=NOW).action is WarningAction.IGNORED


class ChainSimulator:
    """A pure model of the service's bookkeeping: message → warning links and warning states, driven by decide."""

    def __init__(self) -> None:
        self.links: dict[str, int | None] = {}
        self.refs: dict[str, tuple[str, ...]] = {}
        self.status: dict[int, WarningStatus] = {}
        self.reopenable: dict[int, bool] = {}
        self.next_id = 1

    def send(self, name: str, msg_type: CapMsgType, references: tuple[str, ...], inside: bool) -> WarningAction:
        """Apply one message and return what it did."""
        ids = {self.links[r] for r in references if self.links.get(r) is not None}
        referenced = [ChainWarning(i, self.status[i], NOW + timedelta(seconds=i), self.reopenable[i])
                      for i in sorted(i for i in ids if i is not None)]
        got = decide(message=message(msg_type, references=references), info=info(),
                     area=MATCHED if inside else OUTSIDE, concerns_without_area=False, referenced=referenced, now=NOW)
        target = got.warning_id
        if got.action is WarningAction.ISSUED:
            target, self.next_id = self.next_id, self.next_id + 1
            self.status[target], self.reopenable[target] = WarningStatus.ACTIVE, False
        elif got.action is WarningAction.UPDATED and target is not None:
            self.status[target], self.reopenable[target] = WarningStatus.ACTIVE, False
        elif got.action is WarningAction.LIFTED and target is not None:
            self.status[target] = WarningStatus.LIFTED
            self.reopenable[target] = got.cause in ("outside", "expired")
        for other in got.superseded:
            self.status[other], self.reopenable[other] = WarningStatus.LIFTED, False
        self.links[name], self.refs[name] = target, references
        if target is not None:  # the service links the chain's earlier, unlinked messages to the warning
            frontier = list(references)
            while frontier:
                earlier = frontier.pop()
                if earlier in self.links and self.links[earlier] is None:
                    self.links[earlier] = target
                    frontier.extend(self.refs[earlier])
        return got.action


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=0, max_size=12),
       first_inside=st.booleans())
def test_a_chain_has_at_most_one_active_warning_and_a_cancel_lifts_it(steps: list[tuple[bool, bool, bool]],
                                                                     first_inside: bool) -> None:
    """However a chain of Alert and Updates goes (in and out of the area, referencing the root or the latest),
    it never has two active warnings, and a Cancel naming any one of its messages leaves none active."""
    sim = ChainSimulator()
    sim.send("m0", CapMsgType.ALERT, (), first_inside)
    names = ["m0"]
    for n, (inside, to_root, _) in enumerate(steps, start=1):
        name = f"m{n}"
        sim.send(name, CapMsgType.UPDATE, (names[0] if to_root else names[-1],), inside)
        names.append(name)
        chain_ids = {sim.links[m] for m in names if sim.links.get(m) is not None}
        assert sum(1 for i in chain_ids if sim.status[i] is WarningStatus.ACTIVE) <= 1
    pick = steps[-1][2] if steps else True
    cancel_ref = names[-1] if pick else names[0]
    sim.send("cancel", CapMsgType.CANCEL, (cancel_ref,), False)
    chain_ids = {sim.links[m] for m in [*names, "cancel"] if sim.links.get(m) is not None}
    assert all(sim.status[i] is not WarningStatus.ACTIVE for i in chain_ids)


# --- own warnings ---------------------------------------------------------------------------------------------------


def test_gbt_identifier_has_the_annex_a_shape() -> None:
    """ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N in Beijing time: 31 characters."""
    got = gbt_identifier("22010600000000", datetime(2026, 7, 20, 2, 0, 5, tzinfo=UTC), 3)
    assert got == "22010600000000_20260720100005_3"
    assert len(got) == 31
    with pytest.raises(ValueError):
        gbt_identifier("2201060000000", NOW, 0)
    with pytest.raises(ValueError):
        gbt_identifier("22010600000000", NOW, 10)


def test_level_change_names_raised_and_lowered() -> None:
    """Going up a colour is raised, down is lowered, same or unknown is updated."""
    assert level_change(WarningLevel.YELLOW, WarningLevel.RED) is WarningAction.RAISED
    assert level_change(WarningLevel.RED, WarningLevel.BLUE) is WarningAction.LOWERED
    assert level_change(WarningLevel.RED, WarningLevel.RED) is WarningAction.UPDATED
    assert level_change(None, WarningLevel.RED) is WarningAction.UPDATED


# --- the plan files -------------------------------------------------------------------------------------------------


def test_checklist_is_the_general_actions_then_the_types() -> None:
    """暴雨橙色: the orange level's general actions, then the rainstorm ones, each with an owner."""
    items = PLAN.checklist("rainstorm", WarningLevel.ORANGE)
    general = PLAN.actions.general[WarningLevel.ORANGE]
    assert [i.id for i in items[:len(general)]] == [a.id for a in general]
    assert any("低洼易涝点" in i.text for i in items[len(general):])
    assert all(i.owner_zh for i in items)
    assert PLAN.checklist("fog", WarningLevel.RED) == PLAN.checklist("other", WarningLevel.RED)


def copy_plans(tmp_path: Path, name: str, edit: object) -> Path:
    """Copy the warning plan files to tmp_path with *edit* applied to file *name*'s data."""
    for file in ("warning-levels.yaml", "warning-actions.yaml"):
        data = yaml.safe_load((DEFAULT_PLANS_DIR / file).read_text(encoding="utf-8"))
        if file == name:
            edit(data)  # type: ignore[operator]
        (tmp_path / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_a_bad_plan_names_the_file_and_the_field(tmp_path: Path) -> None:
    """An owner that is no role, a missing level, an unknown type each fail with file, field and why."""
    def bad_owner(data: dict) -> None:  # type: ignore[type-arg]
        data["general"]["red"][0]["owner"] = "nobody"

    (tmp_path / "a").mkdir()
    with pytest.raises(RulesError, match="owner 'nobody' is not a role"):
        load_warning_plan(copy_plans(tmp_path / "a", "warning-actions.yaml", bad_owner))

    def bad_severity(data: dict) -> None:  # type: ignore[type-arg]
        data["severity"]["map"]["Extreme"] = "purple"

    (tmp_path / "b").mkdir()
    with pytest.raises(RulesError) as caught:
        load_warning_plan(copy_plans(tmp_path / "b", "warning-levels.yaml", bad_severity))
    assert caught.value.field == "severity.map.Extreme"
    assert caught.value.path.endswith("warning-levels.yaml")

    def unknown_type(data: dict) -> None:  # type: ignore[type-arg]
        data["types"]["tsunami"] = data["types"]["rainstorm"]

    (tmp_path / "c").mkdir()
    with pytest.raises(RulesError) as caught:
        load_warning_plan(copy_plans(tmp_path / "c", "warning-actions.yaml", unknown_type))
    assert caught.value.field == "types.tsunami"
