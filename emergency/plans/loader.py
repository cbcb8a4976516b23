"""Load the reporting rules from plans/ and a district's override file, failing with file, field and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from emergency.errors import RulesError
from emergency.plans.rules import ReportingRules

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (10x faster on the plans), else the pure-Python one."""

DEFAULT_PLANS_DIR = Path(__file__).resolve().parents[2] / "plans"
RULE_FILES = ("reporting-rules.yaml", "event-types.yaml")


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML mapping, raising RulesError naming the file and line on any defect."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(str(path), None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(str(path), None, f"cannot be read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesError(str(path), None, f"not valid YAML ({where}{problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RulesError(str(path), None, "must be a mapping of keys to values at the top level")
    return data


def _key_of(item: object) -> str | None:
    if isinstance(item, dict):
        for key in ("id", "code"):
            if key in item:
                return str(item[key])
    return None


def merge(base: Any, override: Any) -> Any:
    """Merge *override* over *base*: mappings key by key, lists of keyed entries entry by entry."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if (
        isinstance(base, list)
        and isinstance(override, list)
        and base
        and all(_key_of(i) is not None for i in base)
        and all(_key_of(i) is not None for i in override)
    ):
        result = list(base)
        index = {_key_of(item): n for n, item in enumerate(result)}
        for item in override:
            key = _key_of(item)
            if key in index:
                result[index[key]] = merge(result[index[key]], item)
            else:
                index[key] = len(result)
                result.append(item)
        return result
    return override


def _validate(data: dict[str, Any], path: Path) -> ReportingRules:
    try:
        return ReportingRules.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = describe_location(data, first["loc"])
        raise RulesError(str(path), field or None, first["msg"]) from None


def describe_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into words, naming list entries by their id or code."""
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if step < len(node) else None
            label = f"[{_key_of(item) or step}]"
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def load_rules(plans_dir: Path | None = None, override: Path | None = None) -> ReportingRules:
    """Load the default rules from *plans_dir* and merge a district's *override* file over them."""
    folder = plans_dir or DEFAULT_PLANS_DIR
    data: dict[str, Any] = {}
    for name in RULE_FILES:
        data = merge(data, read_yaml(folder / name))
    rules = _validate(data, folder / RULE_FILES[0])
    if override is not None:
        rules = _validate(merge(data, read_yaml(override)), override)
    return rules
