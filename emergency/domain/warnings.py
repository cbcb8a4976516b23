"""Early warnings (预警): what a CAP 1.2 message says, which of its <info> blocks to read, its colour level, whether
it concerns the office's area, and what it does to the warning chain it belongs to. Pure: values in, values out.

Chains follow CAP 1.2 §3.2.1 <msgType>: an Update "updates and supersedes the earlier message(s) identified in
<references>", a Cancel "cancels the earlier message(s)". The references of a message may name any earlier message
of its chain (the first Alert or the latest Update): the service resolves each to the warning it belongs to, and
`decide` acts on those warnings, so a chain has one warning however it was started.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from emergency.domain.enums import AreaMatch, CapMsgType, CapStatus, WarningAction, WarningLevel, WarningStatus
from emergency.plans.warnings import OfficeArea, WarningLevels

LOCAL = ZoneInfo("Asia/Shanghai")
EARTH_RADIUS_KM = 6371.0088

Point = tuple[float, float]
"""(lat, lon) in degrees, WGS 84, as CAP writes them."""


@dataclass(frozen=True, slots=True)
class CapArea:
    """One <area>: its description, polygons, circles (lat, lon, radius km) and geocodes (valueName, value)."""

    area_desc: str
    polygons: tuple[tuple[Point, ...], ...] = ()
    circles: tuple[tuple[float, float, float], ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CapInfo:
    """One <info> block."""

    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    event_codes: tuple[tuple[str, str], ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    areas: tuple[CapArea, ...] = ()


@dataclass(frozen=True, slots=True)
class CapReference:
    """One entry of <references>: sender, identifier and sent as written (and sent parsed, when it parses)."""

    sender: str
    identifier: str
    sent_text: str
    sent: datetime | None

    @property
    def text(self) -> str:
        """Return the reference as CAP writes it."""
        return f"{self.sender},{self.identifier},{self.sent_text}"


@dataclass(frozen=True, slots=True)
class CapMessage:
    """A CAP 1.2 <alert> as values."""

    identifier: str
    sender: str
    sent: datetime
    sent_text: str
    status: CapStatus
    msg_type: CapMsgType
    scope: str
    references: tuple[CapReference, ...] = ()
    infos: tuple[CapInfo, ...] = ()
    note: str | None = None


_CAP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([-+]\d\d:\d\d|Z)")


def parse_cap_time(text: str) -> datetime | None:
    """Return a CAP dateTime ("2026-07-20T14:30:00+08:00"; "-00:00" is UTC) as an aware datetime, or None."""
    value = text.strip()
    if not _CAP_TIME.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_references(text: str) -> tuple[CapReference, ...]:
    """Split a <references> value into its space-separated "sender,identifier,sent" triples."""
    refs = []
    for triple in text.split():
        parts = triple.split(",")
        if len(parts) < 3:
            refs.append(CapReference(sender="", identifier=triple, sent_text="", sent=None))
            continue
        # identifiers and senders may not contain commas (CAP 1.2 §3.2.1), so the last part is the time
        sender, identifier, sent_text = parts[0], ",".join(parts[1:-1]), parts[-1]
        refs.append(CapReference(sender, identifier, sent_text, parse_cap_time(sent_text)))
    return tuple(refs)


# --- which <info> -----------------------------------------------------------------------------------------------


def language_rank(language: str, prefer: Sequence[str]) -> int:
    """Return the position of the first preference *language* meets (exact tag, then primary subtag), else len."""
    tag = language.strip().lower().replace("_", "-")
    for n, wanted in enumerate(prefer):
        want = wanted.lower()
        if tag == want or ("-" not in want and tag.split("-")[0] == want):
            return n
    return len(prefer)


def choose_info(infos: Sequence[CapInfo], prefer: Sequence[str]) -> CapInfo | None:
    """Return the <info> to act on: the most preferred language (zh-CN, then zh, then en), else the first block.

    Among blocks of that language, the first one wins (CAP lists the blocks of one language in the sender's order).
    """
    if not infos:
        return None
    best = min(range(len(infos)), key=lambda n: (language_rank(infos[n].language, prefer), n))
    return infos[best]


# --- colour level and type --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Classification:
    """A message's warning type, colour level and how they were found."""

    warning_type: str
    level: WarningLevel | None
    basis: str


_PARAMETER_LEVEL_NAMES = re.compile(r"(?i)(级别|等级|颜色|level|colou?r)")
_EN_COLOURS = {"blue": WarningLevel.BLUE, "yellow": WarningLevel.YELLOW, "orange": WarningLevel.ORANGE,
               "red": WarningLevel.RED}


@dataclass(frozen=True, slots=True)
class _Patterns:
    words: dict[str, WarningLevel]
    colours: tuple[re.Pattern[str], ...]
    aliases_zh: tuple[tuple[str, str], ...]
    aliases_en: tuple[tuple[re.Pattern[str], int, str], ...]


_PATTERNS: dict[int, tuple[WarningLevels, _Patterns]] = {}


def _patterns(rules: WarningLevels) -> _Patterns:
    """Return the compiled name patterns of *rules* (compiled once per rules object)."""
    cached = _PATTERNS.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    words = rules.colour_names.words()
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    colours = tuple(re.compile(t.replace("{colour}", f"(?P<colour>{alternatives})"))
                    for t in (rules.colour_names.change_pattern, rules.colour_names.pattern))
    zh = tuple((alias, t.key) for t in rules.types for alias in t.aliases_zh if alias)
    en = tuple((re.compile(rf"(?<![a-z]){re.escape(alias.lower())}(?![a-z])"), len(alias), t.key)
               for t in rules.types for alias in t.aliases_en if alias)
    patterns = _Patterns(words, colours, zh, en)
    _PATTERNS[id(rules)] = (rules, patterns)
    return patterns


def _colour_in(text: str, rules: WarningLevels) -> tuple[WarningLevel, int, str] | None:
    patterns = _patterns(rules)
    for pattern in patterns.colours:  # a change of level (升级为红色) first, then the names
        matches = list(pattern.finditer(text))
        if matches:
            last = matches[-1]  # 橙色预警信号升级为红色预警信号: the last colour named is the current one
            return patterns.words[last.group("colour")], last.start(), last.group(0)
    return None


def _type_in(text: str, rules: WarningLevels, *, before: int | None = None) -> str | None:
    """Return the key of the type whose longest Chinese or English alias occurs in *text* (before *before*)."""
    patterns = _patterns(rules)
    best: tuple[int, str] | None = None
    for alias, key in patterns.aliases_zh:
        at = text.rfind(alias, 0, before) if before is not None else text.find(alias)
        if at >= 0 and (best is None or len(alias) > best[0]):
            best = (len(alias), key)
    lowered = text.lower()
    for pattern, length, key in patterns.aliases_en:
        if (best is None or length > best[0]) and pattern.search(lowered):
            best = (length, key)
    return best[1] if best else None


def classify(info: CapInfo | None, rules: WarningLevels) -> Classification:
    """Return the type and colour level of *info*: from a Chinese signal name, a level parameter, or the severity.

    A name such as 暴雨红色预警信号 in <event> or <headline> gives both type and colour (中国气象局令第16号); a
    parameter naming the level (预警级别 = 橙色) gives the colour; otherwise CAP <severity> maps to a colour as
    plans/warning-levels.yaml says, and Unknown severity gives none.
    """
    if info is None:
        return Classification("other", None, "no <info>")
    texts = [t for t in (info.event, info.headline or "") if t]
    for text in texts:
        found = _colour_in(text, rules)
        if found is not None:
            level, at, word = found
            key = _type_in(text, rules, before=at) or _type_in(text, rules) or "other"
            return Classification(key, level, f"signal name {word!r} in {text!r}")
    key = next((k for k in (_type_in(t, rules) for t in texts) if k), "other")
    for name, value in info.parameters:
        if _PARAMETER_LEVEL_NAMES.search(name):
            named = _patterns(rules).words.get(value.strip()) or _EN_COLOURS.get(value.strip().lower())
            if named is None:
                found = _colour_in(value + "预警", rules)
                named = found[0] if found else None
            if named is not None:
                return Classification(key, named, f"parameter {name}={value}")
    for severity, level in rules.severity.map.items():
        if info.severity == severity:
            return Classification(key, level, f"severity {info.severity}")
    return Classification(key, None, f"severity {info.severity or 'missing'}: no colour level")


# --- area -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AreaResult:
    """Whether a message's areas cover the office, and the evidence."""

    match: AreaMatch
    detail: str


def parse_polygon(text: str) -> tuple[Point, ...] | None:
    """Return the points of a CAP polygon ("lat,lon lat,lon …"), or None when it is empty or malformed."""
    points = []
    for pair in text.split():
        parts = pair.split(",")
        if len(parts) != 2:
            return None
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            return None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        points.append((lat, lon))
    return tuple(points) if len(points) >= 3 else None


def parse_circle(text: str) -> tuple[float, float, float] | None:
    """Return (lat, lon, radius km) of a CAP circle ("lat,lon radius"), or None when malformed."""
    parts = text.split()
    if len(parts) != 2:
        return None
    point = parse_polygon(f"{parts[0]} {parts[0]} {parts[0]}")
    try:
        radius = float(parts[1])
    except ValueError:
        return None
    if point is None or not math.isfinite(radius) or radius < 0:
        return None
    return point[0][0], point[0][1], radius


def _unwrap(polygon: Sequence[Point]) -> list[tuple[float, float]]:
    """Return (x=lon, y=lat) with longitudes shifted past 180 when the polygon crosses the antimeridian."""
    lons = [lon for _lat, lon in polygon]
    crosses = max(lons) - min(lons) > 180
    return [((lon + 360 if crosses and lon < 0 else lon), lat) for lat, lon in polygon]


def _inside(x: float, y: float, ring: Sequence[tuple[float, float]]) -> bool:
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _orientation(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(p1: tuple[float, float], p2: tuple[float, float], q1: tuple[float, float],
                    q2: tuple[float, float]) -> bool:
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: float) -> bool:
        return d == 0 and min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    return on(q1, q2, p1, d1) or on(q1, q2, p2, d2) or on(p1, p2, q1, d3) or on(p1, p2, q2, d4)


def polygons_intersect(a: Sequence[Point], b: Sequence[Point]) -> bool:
    """Return whether two polygons (lat, lon) share any point: a vertex inside the other, or crossing edges."""
    ra, rb = _unwrap(a), _unwrap(b)
    # a polygon shifted past 180° meets the other only in the same frame: try the other one shifted too
    shifted = (rb, [(x + 360, y) for x, y in rb], [(x - 360, y) for x, y in rb])
    return any(_rings_intersect(ra, other) for other in shifted)


def _rings_intersect(ra: Sequence[tuple[float, float]], rb: Sequence[tuple[float, float]]) -> bool:
    if (max(x for x, _ in ra) < min(x for x, _ in rb) or max(x for x, _ in rb) < min(x for x, _ in ra)
            or max(y for _, y in ra) < min(y for _, y in rb) or max(y for _, y in rb) < min(y for _, y in ra)):
        return False
    if any(_inside(x, y, rb) for x, y in ra) or any(_inside(x, y, ra) for x, y in rb):
        return True
    edges_b = [(rb[i], rb[(i + 1) % len(rb)]) for i in range(len(rb))]
    return any(_segments_cross(ra[i], ra[(i + 1) % len(ra)], q1, q2) for i in range(len(ra)) for q1, q2 in edges_b)


def circle_meets_polygon(circle: tuple[float, float, float], polygon: Sequence[Point]) -> bool:
    """Return whether a circle (lat, lon, radius km) reaches a polygon: centre inside, or an edge within the radius."""
    lat0, lon0, radius = circle
    scale = math.cos(math.radians(lat0))

    def project(point: Point) -> tuple[float, float]:
        dlon = (point[1] - lon0 + 540) % 360 - 180
        return (math.radians(dlon) * scale * EARTH_RADIUS_KM, math.radians(point[0] - lat0) * EARTH_RADIUS_KM)

    ring = [project(p) for p in polygon]
    if _inside(0.0, 0.0, ring):
        return True
    for i in range(len(ring)):
        (x1, y1), (x2, y2) = ring[i], ring[(i + 1) % len(ring)]
        dx, dy = x2 - x1, y2 - y1
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / length))
        if math.hypot(x1 + t * dx, y1 + t * dy) <= radius:
            return True
    return False


def admin_prefix(code: str) -> str:
    """Return the significant prefix of a GB/T 2260 code: 220000 → 22, 220100 → 2201, 220106001000 → 220106001."""
    if len(code) > 6:
        head, tail = code[:6], code[6:]
        tail = tail.rstrip("0")
        tail = tail + "0" * (-len(tail) % 3)
        return head + tail if tail else admin_prefix(head)
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def geocode_matches(value: str, office_codes: Iterable[str]) -> bool:
    """Return whether a Chinese administrative code covers, or lies inside, one of the office's codes."""
    prefix = admin_prefix(value)
    for code in office_codes:
        own = admin_prefix(code)
        if own.startswith(prefix) or prefix.startswith(own):
            return True
    return False


def match_area(areas: Sequence[CapArea], office: OfficeArea, rules: WarningLevels) -> AreaResult:
    """Return whether any <area> covers the office, from its polygons/circles, its geocodes, then its areaDesc.

    Geometry (polygon, circle) and Chinese administrative geocodes (GB/T 2260 prefix match: 220000 吉林省 covers
    220106 绿园区) are evidence; an area giving either is decided by them. The description is read only for an area
    that gives neither: it concerns the office when it names the street, district or city (plans/street.yaml).
    """
    if not areas:
        return AreaResult(AreaMatch.UNSPECIFIED, "the message gives no <area>")
    code_pattern = re.compile(rules.geocodes.admin_code_pattern)
    foreign = {s.lower() for s in rules.geocodes.foreign_schemes}
    misses: list[str] = []
    for area in areas:
        desc = " ".join(area.area_desc.split())
        evidence = False
        for polygon in area.polygons:
            evidence = True
            if polygons_intersect(polygon, office.polygon):
                return AreaResult(AreaMatch.MATCHED, f"polygon of {desc!r} intersects the office's area")
        for circle in area.circles:
            evidence = True
            if circle_meets_polygon(circle, office.polygon):
                lat, lon, radius = circle
                return AreaResult(AreaMatch.MATCHED, f"circle {lat},{lon} {radius} km reaches the office's area")
        codes = [value.strip() for name, value in area.geocodes
                 if name.strip().lower() not in foreign and code_pattern.fullmatch(value.strip())]
        for code in codes:
            evidence = True
            if geocode_matches(code, office.admin_codes):
                return AreaResult(AreaMatch.MATCHED, f"geocode {code} covers {'/'.join(office.admin_codes)}")
        if not evidence:
            for name in office.names:
                if name.casefold() in desc.casefold():
                    return AreaResult(AreaMatch.MATCHED, f"areaDesc {desc!r} names {name}")
            misses.append(f"areaDesc {desc!r}")
        else:
            misses.append(f"{desc!r} (polygon/circle/geocode)")
    return AreaResult(AreaMatch.OUTSIDE, "no area covers the office: " + "; ".join(misses)[:500])


# --- what a message does to its chain ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainWarning:
    """A warning an earlier message of the chain belongs to, as the decision needs it."""

    warning_id: int
    status: WarningStatus
    issued_at: datetime
    reopenable: bool = False
    """Lifted because the chain left the office's area or expired (not by a Cancel or by hand): an Update reopens it."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What a message does: the action, why, the warning it acts on, and warnings it supersedes (lifted)."""

    action: WarningAction
    reason: str
    warning_id: int | None = None
    superseded: tuple[int, ...] = ()
    cause: str = ""
    """Machine-readable cause of a lift (cancel, outside, expired, superseded) or an ignore."""


def decide(*, message: CapMessage, info: CapInfo | None, area: AreaResult, concerns_without_area: bool,
           referenced: Sequence[ChainWarning], now: datetime) -> Decision:
    """Decide what *message* does to the office's warnings, given the warnings its references resolve to."""
    if message.status is not CapStatus.ACTUAL:
        return Decision(WarningAction.IGNORED, f"status {message.status}: recorded, never treated as a real warning",
                        cause="not_actual")
    if message.msg_type in (CapMsgType.ACK, CapMsgType.ERROR):
        return Decision(WarningAction.IGNORED, f"{message.msg_type} message: changes no warning", cause="ack_error")
    latest_first = sorted(referenced, key=lambda w: (w.issued_at, w.warning_id), reverse=True)
    active = [w for w in latest_first if w.status is WarningStatus.ACTIVE]
    refs = ", ".join(r.identifier for r in message.references) or "none"
    if message.msg_type is CapMsgType.CANCEL:
        if active:
            return Decision(WarningAction.LIFTED, f"Cancel of {refs}: lifts warning {active[0].warning_id}",
                            active[0].warning_id, tuple(w.warning_id for w in active[1:]), cause="cancel")
        if latest_first:
            return Decision(WarningAction.IGNORED, f"Cancel of {refs}: warning {latest_first[0].warning_id} "
                            "was already lifted", latest_first[0].warning_id, cause="already_lifted")
        return Decision(WarningAction.IGNORED, f"Cancel of {refs}: no warning of this office comes from them",
                        cause="unknown_references")
    if info is None:
        return Decision(WarningAction.IGNORED, "no <info> block: nothing to act on", cause="no_info")
    concerns = area.match is AreaMatch.MATCHED or (area.match is AreaMatch.UNSPECIFIED and concerns_without_area)
    expired = info.expires is not None and info.expires <= now
    if message.msg_type is CapMsgType.UPDATE and latest_first:
        if active:
            target, others = active[0], tuple(w.warning_id for w in active[1:])
            if not concerns and area.match is not AreaMatch.UNSPECIFIED:  # no <area>: the area has not changed
                return Decision(WarningAction.LIFTED, f"Update of {refs} no longer concerns the office ({area.detail})",
                                target.warning_id, others, cause="outside")
            if expired:
                return Decision(WarningAction.LIFTED, f"Update of {refs} expired at {_local(info.expires)}",
                                target.warning_id, others, cause="expired")
            return Decision(WarningAction.UPDATED, f"Update of {refs}: replaces warning {target.warning_id}",
                            target.warning_id, others, cause="update")
        reopen = next((w for w in latest_first if w.reopenable), None)
        if reopen is not None and concerns and not expired:
            return Decision(WarningAction.UPDATED, f"Update of {refs}: concerns the office again, reopens warning "
                            f"{reopen.warning_id}", reopen.warning_id, cause="reopen")
        return Decision(WarningAction.IGNORED, f"Update of {refs}: warning {latest_first[0].warning_id} was "
                        "already lifted", latest_first[0].warning_id, cause="already_lifted")
    if not concerns:
        why = area.detail if area.match is AreaMatch.OUTSIDE else (
            "no <area> and the sender is not one of the office's upstream senders")
        return Decision(WarningAction.IGNORED, f"outside the office's area: {why}", cause="outside")
    if expired:
        return Decision(WarningAction.IGNORED, f"expired at {_local(info.expires)}", cause="expired")
    if message.msg_type is CapMsgType.UPDATE:
        return Decision(WarningAction.ISSUED, f"Update of {refs}, none received before: issued as a new warning",
                        cause="new")
    return Decision(WarningAction.ISSUED, f"{message.msg_type} concerning the office ({area.detail})", cause="new")


def _local(at: datetime | None) -> str:
    return at.astimezone(LOCAL).isoformat() if at is not None else "?"


# --- the office's own warnings ------------------------------------------------------------------------------------


def gbt_identifier(unit: str, at: datetime, sequence: int) -> str:
    """Return a GB/T 35965.1-2018 附录A A.1.1 identifier: ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N (Beijing time, N 0-9)."""
    if not re.fullmatch(r"[0-9]{14}", unit):
        raise ValueError(f"发布单位代码 {unit!r} must have 14 digits")
    if not 0 <= sequence <= 9:
        raise ValueError("the sequence N is one digit (0-9) per unit and second")
    return f"{unit}_{at.astimezone(LOCAL):%Y%m%d%H%M%S}_{sequence}"


def severity_for(level: WarningLevel, rules: WarningLevels) -> str:
    """Return the CAP severity the plan pairs with *level* (the inverse of the severity map)."""
    for severity, mapped in rules.severity.map.items():
        if mapped == level:
            return str(severity)
    return "Unknown"


def level_change(old: WarningLevel | None, new: WarningLevel | None) -> WarningAction:
    """Return raised, lowered or updated for a change of colour level."""
    if old is not None and new is not None and new.rank != old.rank:
        return WarningAction.RAISED if new.rank > old.rank else WarningAction.LOWERED
    return WarningAction.UPDATED

