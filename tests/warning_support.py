"""Builders for the warning tests: CAP 1.2 messages as a Chinese upstream (长春市气象台) would send them, the plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.schema import Street, load_street
from emergency.plans.warnings import WarningPlan, load_warning_plan

SAMPLES = Path(__file__).resolve().parent / "data" / "cap"
CMA = "22010041600000"
"""Sender of the built messages (a 14-digit 发布单位代码 in the style of GB/T 35965.1)."""

PLAN: WarningPlan = load_warning_plan(DEFAULT_PLANS_DIR)
STREET: Street = load_street(DEFAULT_PLANS_DIR / "street.yaml")
assert STREET.area is not None and STREET.publisher is not None
AREA = STREET.area
PUBLISHER = STREET.publisher

CHANGCHUN_POLYGON = "43.7,125.0 43.7,125.6 44.1,125.6 44.1,125.0 43.7,125.0"
ELSEWHERE_POLYGON = "45.7,126.5 45.7,126.8 45.9,126.8 45.9,126.5 45.7,126.5"  # 哈尔滨


@dataclass(frozen=True)
class Info:
    """One <info> of a built message."""

    event: str = "暴雨"
    headline: str = "长春市气象台发布暴雨橙色预警信号"
    severity: str = "Severe"
    language: str = "zh-CN"
    area_desc: str = "长春市"
    geocode: str | None = "220100"
    polygon: str | None = None
    circle: str | None = None
    expires: str | None = "2026-07-21T08:00:00+08:00"
    description: str = "预计未来3小时内长春市区降雨量将达50毫米以上。"


def ref(identifier: str, sent: str, sender: str = CMA) -> str:
    """Return one <references> entry."""
    return f"{sender},{identifier},{sent}"


def cap_xml(identifier: str, *, sent: str = "2026-07-20T09:30:00+08:00", msg_type: str = "Alert",
            status: str = "Actual", references: tuple[str, ...] = (), infos: tuple[Info, ...] = (Info(),),
            sender: str = CMA, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    """Return a CAP 1.2 message as text."""
    parts = [declaration, '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">',
             f"<identifier>{escape(identifier)}</identifier>", f"<sender>{sender}</sender>", f"<sent>{sent}</sent>",
             f"<status>{status}</status>", f"<msgType>{msg_type}</msgType>", "<scope>Public</scope>"]
    if references:
        parts.append(f"<references>{' '.join(references)}</references>")
    for info in infos:
        parts += ["<info>", f"<language>{info.language}</language>", "<category>Met</category>",
                  f"<event>{escape(info.event)}</event>", "<urgency>Expected</urgency>",
                  f"<severity>{info.severity}</severity>", "<certainty>Likely</certainty>"]
        if info.expires:
            parts.append(f"<expires>{info.expires}</expires>")
        parts += ["<senderName>长春市气象台</senderName>", f"<headline>{escape(info.headline)}</headline>",
                  f"<description>{escape(info.description)}</description>", "<area>",
                  f"<areaDesc>{escape(info.area_desc)}</areaDesc>"]
        if info.polygon:
            parts.append(f"<polygon>{info.polygon}</polygon>")
        if info.circle:
            parts.append(f"<circle>{info.circle}</circle>")
        if info.geocode:
            parts.append(f"<geocode><valueName>GB/T 2260</valueName><value>{info.geocode}</value></geocode>")
        parts += ["</area>", "</info>"]
    parts.append("</alert>")
    return "\n".join(parts) + "\n"


def cap_bytes(identifier: str, **kwargs: object) -> bytes:
    """Return a built message as UTF-8 bytes."""
    return cap_xml(identifier, **kwargs).encode("utf-8")  # type: ignore[arg-type]
