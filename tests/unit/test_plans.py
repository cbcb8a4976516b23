"""Plans as versioned data: every plan in plans/ checks clean, each broken file fails on its field, the hash ignores
formatting, the diff says what changed in words."""

from __future__ import annotations

import copy
import functools
import random
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from emergency.domain.plans import describe_condition, diff_plans, review_due
from emergency.errors import RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR, load_rules
from emergency.plans.rules import TierCondition
from emergency.plans.schema import (
    Plan,
    PlanFile,
    check_plans,
    content_hash,
    load_plan,
    load_plans,
    plan_paths,
    supply_minimums,
)

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken-plans"
KNOWN_TYPES = {t.code for t in load_rules().event_types}
PLAN_FILES = plan_paths(DEFAULT_PLANS_DIR)
SPECIALS = {"flood": "防汛", "fire_safety": "火灾", "gas": "燃气", "geological": "地质灾害",
            "public_health": "公共卫生", "mass_gathering": "大型群众性活动"}


@functools.cache
def _raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load((DEFAULT_PLANS_DIR / "emergency" / f"{name}.yaml").read_text("utf-8"),
                                     Loader=LOADER)
    return data


def raw(name: str = "general") -> dict[str, Any]:
    """The plan file's data as YAML loads it (a fresh copy to change)."""
    return copy.deepcopy(_raw(name))


@functools.cache
def loaded_plan(name: str) -> PlanFile:
    """The plan file as the loader reads it (read once)."""
    return load_plan(DEFAULT_PLANS_DIR / "emergency" / f"{name}.yaml")


# --------------------------------------------------------------------------------------------------------------
# plan check
# --------------------------------------------------------------------------------------------------------------


def test_every_plan_in_plans_passes_the_check() -> None:
    """The general plan and the six special plans validate, alone and together, against the event catalogue."""
    assert check_plans(PLAN_FILES, known_types=KNOWN_TYPES, folder=str(DEFAULT_PLANS_DIR / "emergency")) == []
    plans = load_plans(DEFAULT_PLANS_DIR)
    assert {p.plan.id for p in plans.values() if p.plan.kind == "special"} == set(SPECIALS)
    for slug, word in SPECIALS.items():
        assert word in plans[slug].plan.name_zh
    assert [p.plan.id for p in plans.values() if p.plan.kind == "general"] == ["general"]


def test_every_plan_cites_its_review_and_drill_cycles() -> None:
    """Each cycle is a number with a source; every plan lists its supplies with codes, quantities and units."""
    for loaded in load_plans(DEFAULT_PLANS_DIR).values():
        plan = loaded.plan
        assert plan.review.every_years == 3 and "国办发〔2024〕5号" in plan.review.source
        assert plan.drills.every_months in (12, 24) and plan.drills.source
        assert plan.supplies and all(s.quantity > 0 and s.unit for s in plan.supplies)
        assert " " not in plan.scope  # YAML's folding left no stray space inside the Chinese text


def broken_cases() -> list[tuple[Path, str | None]]:
    """Each broken file with the field it must fail on (its `# expect-field:` line; - for none)."""
    cases = []
    for path in sorted(BROKEN.glob("*.yaml")):
        expect = path.read_text("utf-8").splitlines()[1].removeprefix("# expect-field: ")
        cases.append((path, None if expect == "-" else expect))
    return cases


def test_there_is_a_set_of_broken_plans() -> None:
    """The broken set covers many kinds of defect."""
    assert len(broken_cases()) >= 15


@pytest.mark.parametrize(("path", "field"), broken_cases(), ids=lambda v: v.name if isinstance(v, Path) else None)
def test_each_broken_plan_fails_with_its_file_and_field(path: Path, field: str | None) -> None:
    """A file with one defect yields exactly one problem naming the file and the field; loading it fails alike."""
    problems = check_plans([path], known_types=KNOWN_TYPES, folder=None)
    assert [(p.path, p.field) for p in problems] == [(str(path), field)]
    assert problems[0].why
    if path.stem != "unknown_event_type":  # the catalogue is checked with the rules, not by load_plan
        with pytest.raises(RulesError) as caught:
            load_plan(path)
        assert (caught.value.path, caught.value.field) == (str(path), field)


def test_check_lists_every_problem_not_just_the_first(tmp_path: Path) -> None:
    """A file with three defects lists all three; a folder with two generals and a repeated id says so."""
    data = raw("gas")
    data["scope"] = ""
    data["review"]["every_years"] = 0
    data["levels"][0]["actions"][0]["owner"] = "nobody"
    bad = tmp_path / "emergency" / "gas.yaml"
    bad.parent.mkdir()
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    fields = [p.field for p in check_plans([bad], known_types=KNOWN_TYPES, folder=None)]
    assert fields == ["scope", "review.every_years"]  # field errors first; cross-references once fields are valid
    data = raw("gas")
    data["levels"][0]["actions"][0]["owner"] = "nobody"
    data["command"]["office"] = "nobody"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    fields = [p.field for p in check_plans([bad], known_types=KNOWN_TYPES, folder=None)]
    assert fields == ["command.office", "levels[I].actions[command_post].owner"]

    for name in ("general", "general_copy"):
        (tmp_path / "emergency" / f"{name}.yaml").write_text(yaml.safe_dump(raw("general"), allow_unicode=True))
    bad.write_text(yaml.safe_dump(raw("gas"), allow_unicode=True), "utf-8")
    problems = check_plans(plan_paths(tmp_path), known_types=KNOWN_TYPES, folder=str(tmp_path / "emergency"))
    assert [(Path(p.path).name, p.field) for p in problems] == [("general_copy.yaml", "id"), ("emergency", "kind")]


def test_one_item_has_one_name_and_unit_across_plans(tmp_path: Path) -> None:
    """Two plans naming the same supply code with different units is a problem (the supplies read one stock)."""
    gas = raw("gas")
    gas["supplies"][1]["unit"] = "米"  # warning_tape, 卷 in the other plans
    for name, data in (("general", raw("general")), ("gas", gas)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    problems = check_plans(plan_paths(tmp_path), known_types=KNOWN_TYPES, folder=str(tmp_path))
    assert [(Path(p.path).name, p.field) for p in problems] == [("general.yaml", "supplies[warning_tape]")]


def test_supply_minimums_take_the_largest_any_plan_asks_for() -> None:
    """Plans share one stock: an item's minimum is the largest quantity any plan names, with the plans asking."""
    plans = [p.plan for p in load_plans(DEFAULT_PLANS_DIR).values()]
    minimums = supply_minimums(plans)
    assert minimums["fire_extinguisher"] == (Decimal(60), "具", ("fire_safety", "general"))
    assert minimums["sandbag"] == (Decimal(2000), "条", ("flood",))
    assert minimums["warning_tape"][0] == Decimal(20)


# --------------------------------------------------------------------------------------------------------------
# hash
# --------------------------------------------------------------------------------------------------------------


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same data with every mapping's keys in a random order (lists keep theirs: their order is meaning)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


def respelled(value: Any, rng: random.Random) -> Any:
    """The same data with whole numbers of supplies sometimes written as floats (20 → 20.0)."""
    if isinstance(value, dict):
        return {k: (float(v) if k == "quantity" and rng.random() < 0.5 else respelled(v, rng))
                for k, v in value.items()}
    if isinstance(value, list):
        return [respelled(v, rng) for v in value]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from([*sorted(SPECIALS), "general"]), seed=st.integers(0, 2**32 - 1),
       flow=st.sampled_from([True, False, None]), indent=st.integers(2, 8), width=st.integers(40, 400),
       unicode=st.booleans(), comment=st.text(alphabet="预案评估 #abc", max_size=20))
def test_the_hash_ignores_key_order_and_formatting(name: str, seed: int, flow: bool | None, indent: int,
                                                   width: int, unicode: bool, comment: str) -> None:
    """Reordered keys, block or flow YAML, indentation, escapes, comments and 20 vs 20.0 all hash the same."""
    original = loaded_plan(name)
    rng = random.Random(seed)
    data = respelled(shuffled(raw(name), rng), rng)
    text = f"# {comment}\n" + yaml.dump(data, Dumper=DUMPER, default_flow_style=flow, indent=indent, width=width,
                                         allow_unicode=unicode, sort_keys=False)
    again = Plan.model_validate(yaml.load(text, Loader=LOADER))
    assert content_hash(again) == original.sha256
    assert diff_plans(original.plan, again) == []


def test_the_hash_ignores_the_approval_facts_printed_in_the_file() -> None:
    """approved_by and effective_from in the file are not content: the approval record holds them."""
    data = raw("flood")
    plan = Plan.model_validate(data)
    data["approved_by"], data["effective_from"] = "另一次会议", date(2027, 1, 1)
    assert content_hash(Plan.model_validate(data)) == content_hash(plan)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a string or number in the data."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))]
    return [path] if isinstance(value, str | int | float) and not isinstance(value, bool) else []


def mutate(data: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """The data with one leaf changed (text gets a character more, a number one more)."""
    changed = copy.deepcopy(data)
    node: Any = changed
    for step in path[:-1]:
        node = node[step]
    value = node[path[-1]]
    node[path[-1]] = value + 1 if isinstance(value, int | float) else f"{value}改"
    return changed


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from([*sorted(SPECIALS), "general"]), pick=st.integers(0, 10_000))
def test_any_change_of_content_changes_the_hash_and_shows_in_the_diff(name: str, pick: int) -> None:
    """Change one value of a valid plan: the hash differs exactly when the diff has something to say."""
    data = raw(name)
    paths = [p for p in leaves(data) if p[0] not in ("approved_by", "effective_from")]
    changed = mutate(data, paths[pick % len(paths)])
    try:
        plan = Plan.model_validate(changed)
    except ValidationError:
        assume(False)
        return
    original = loaded_plan(name)
    assert content_hash(plan) != original.sha256
    assert diff_plans(original.plan, plan) != []


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.stem)
def test_a_plan_diffed_with_itself_is_empty(path: Path) -> None:
    """No change, no words."""
    plan = load_plan(path).plan
    assert diff_plans(plan, plan) == []


# --------------------------------------------------------------------------------------------------------------
# diff in words
# --------------------------------------------------------------------------------------------------------------


def test_the_diff_says_what_changed_in_words() -> None:
    """Triggers, actions, roles, contacts and supplies changed, added or removed read as officials would write it."""
    old = Plan.model_validate(raw("flood"))
    data = raw("flood")
    data["version"] = "2027.1"
    data["levels"][1]["trigger_zh"] = "洪涝造成人员死亡或失踪"
    data["levels"][1]["when"] = {"any_of": ["deaths", "missing"]}
    data["levels"][1]["actions"] = [a for a in data["levels"][1]["actions"] if a["id"] != "block_roads"]
    data["levels"][2]["actions"].append({"id": "pump", "text": "启用移动式排水泵抽排积水", "owner": "support",
                                          "within_minutes": 45})
    data["levels"][0]["actions"][0]["within_minutes"] = 20
    data["roles"].append({"id": "volunteers", "name_zh": "志愿者队伍"})
    data["contacts"][0]["phone"] = "0431-89999999"
    data["supplies"][0]["quantity"] = 3000
    data["supplies"] = [s for s in data["supplies"] if s["item"] != "generator"]
    data["review"]["every_years"] = 2
    changes = diff_plans(old, Plan.model_validate(data), type_names={"flood": "洪涝灾害"})
    assert changes == [
        "版本：2026.1 改为 2027.1",
        "评估周期：每3年 改为 每2年",
        "新增角色：志愿者队伍（volunteers）",
        "联系人 绿园区人民政府总值班室 电话：0431-80000001 改为 0431-89999999",
        "响应等级 I级 处置措施 command_post 时限：30分钟内 改为 20分钟内",
        "响应等级 II级 启动条件：洪涝造成人员死亡或失踪，或发生洪涝等敏感灾情 改为 洪涝造成人员死亡或失踪",
        "响应等级 II级 判定规则：有人员死亡或有人员失踪或属敏感事件 改为 有人员死亡或有人员失踪",
        "删除响应等级 II级 处置措施：封控积水路段和下穿桥，设置警示标志（城市建设管理办公室，20分钟内）",
        "新增响应等级 III级 处置措施：启用移动式排水泵抽排积水（应急保障服务科，45分钟内）",
        "删除应急物资：发电机组（generator）2台",
        "应急物资 沙袋 最低储备：2000条 改为 3000条",
    ]


def test_the_diff_names_added_levels_types_and_a_new_order() -> None:
    """A level added, a type removed, and two actions swapped are each one sentence."""
    old = Plan.model_validate(raw("gas"))
    data = raw("gas")
    data["types"] = ["gas_explosion", "gas_leak"]
    first, second = data["levels"][0]["actions"][:2]
    data["levels"][0]["actions"][:2] = [second, first]
    data["levels"].append({"level": "IV", "name_zh": "四级响应", "trigger_zh": "其他情形", "when": {},
                           "actions": [{"id": "note", "text": "登记", "owner": "duty_officer"}]})
    data["levels"][2]["when"] = {"min_severity": "IV"}
    changes = diff_plans(old, Plan.model_validate(data), type_names={"pipeline_burst": "管网爆裂"})
    assert "删除适用事件类型：管网爆裂（pipeline_burst）" in changes
    assert "新增响应等级：IV级 四级响应" in changes
    assert ("响应等级 I级 处置措施顺序：command_post、cut_supply、evacuate、report_district 改为 "
            "cut_supply、command_post、evacuate、report_district") in changes
    assert "响应等级 III级 判定规则：其他情形（兜底） 改为 事件等级达到一般（IV级）及以上" in changes


def test_conditions_in_words() -> None:
    """A level's rule reads as a sentence."""
    assert describe_condition(TierCondition()) == "其他情形（兜底）"
    assert describe_condition(TierCondition(min_severity="III")) == "事件等级达到较大（III级）及以上"
    assert describe_condition(TierCondition(any_of=("deaths", "sensitive"))) == "有人员死亡或属敏感事件"


def test_review_falls_due_years_after_the_version_took_effect() -> None:
    """Three years after taking effect; a version effective on 29 February is due on 28 February."""
    assert review_due(date(2026, 5, 1), 3) == date(2029, 5, 1)
    assert review_due(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert review_due(date(2028, 2, 29), 4) == date(2032, 2, 29)
