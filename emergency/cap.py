"""CAP 1.2 as XML: read a message or a feed of them safely, validate against the OASIS schema, write the office's own.

Reading never expands an entity, loads a DTD, or touches the network or a file: a document with a DOCTYPE (where
entities are declared) or an XInclude element is refused outright, before libxml2 parses it, and the parser runs
with resolve_entities, load_dtd, dtd_validation and huge_tree off and no_network on. The bytes are decoded here
(BOM first, then the XML declaration, UTF-8 by default) and parsed as UTF-8, so what is checked is what is parsed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from emergency.domain.enums import CapMsgType, CapStatus
from emergency.domain.warnings import (
    CapArea,
    CapInfo,
    CapMessage,
    parse_cap_time,
    parse_circle,
    parse_polygon,
    parse_references,
)
from emergency.errors import EmergencyError

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
OLDER_CAP = {"urn:oasis:names:tc:emergency:cap:1.1": "CAP 1.1", "urn:oasis:names:tc:emergency:cap:1.0": "CAP 1.0",
             "http://www.incident.com/cap/1.0": "CAP 1.0"}
ATOM = "http://www.w3.org/2005/Atom"
XINCLUDE = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "CAP-v1.2.xsd"
MAX_BYTES = 10 * 1024 * 1024
"""Largest document accepted (the largest real message in the samples is 460 KB, with an embedded resource)."""


class CapError(EmergencyError):
    """A document that is not an acceptable CAP 1.2 message; carries what could be read of its identity."""

    def __init__(self, why: str, *, identity: dict[str, str] | None = None) -> None:
        self.why = why
        self.identity = identity or {}
        super().__init__(why)


@dataclass(frozen=True, slots=True)
class ParsedCap:
    """A valid CAP 1.2 message: its values and its decoded text."""

    message: CapMessage
    text: str


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a feed: a link to a CAP document, or the CAP document embedded in it."""

    title: str
    href: str | None
    embedded: bytes | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """An Atom or RSS feed (or another container) of CAP messages."""

    kind: str
    entries: tuple[FeedEntry, ...]


# --- decoding and refusing ---------------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_DECLARATION = re.compile(r"^<\?xml\b[^>]*\?>")
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def decode(data: bytes) -> str:
    """Return the document's text: the BOM's encoding, else the declared one, else UTF-8 (XML 1.0 Appendix F)."""
    encoding = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom):], name
            break
    if encoding is None:
        if data[:4] == b"\x00<\x00?" or data[:2] == b"\x00<":
            encoding = "utf-16-be"
        elif data[:4] == b"<\x00?\x00" or data[:2] == b"<\x00":
            encoding = "utf-16-le"
        else:
            declared = _DECLARED.match(data[:200].lstrip())
            encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise CapError(f"unknown character encoding {encoding!r} declared") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CapError(f"not valid {encoding} text (byte {exc.start}): wrong encoding declared?") from None


def refuse_unsafe(text: str) -> None:
    """Refuse a document whose prolog has a DOCTYPE (DTD, entity declarations) or any entity declaration."""
    at = 0
    while True:
        match = _PROLOG_ITEM.match(text, at)
        if match is None:
            break
        at = match.end()
    rest = text[at:at + 20].upper()
    if rest.startswith("<!DOCTYPE") or rest.startswith("<!ENTITY") or "<!ENTITY" in text[:at].upper():
        raise CapError("refused: the document has a DOCTYPE/DTD (entity declarations are never expanded and "
                       "nothing it names is fetched); a CAP message needs none")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False, collect_ids=False)


def parse_xml(data: bytes) -> tuple[Any, str]:
    """Decode, refuse anything unsafe, and parse; return the root element and the decoded text."""
    if len(data) > MAX_BYTES:
        raise CapError(f"refused: {len(data)} bytes is more than the {MAX_BYTES} accepted")
    text = decode(data)
    refuse_unsafe(text)
    body = _DECLARATION.sub("", text.lstrip("\ufeff \t\r\n"), count=1)  # whitespace before <?xml: tolerated
    try:
        root = etree.fromstring(body.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        raise CapError(f"not well-formed XML: {exc}") from None
    if root is None:
        raise CapError("empty document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CapError("refused: the document has a DOCTYPE/DTD")
    for namespace in XINCLUDE:
        if next(root.iter(f"{{{namespace}}}*"), None) is not None:
            raise CapError("refused: the document uses XInclude (never resolved); a CAP message needs none")
    return root, text


@cache
def schema() -> etree.XMLSchema:
    """Return the CAP 1.2 schema (loaded once, network off)."""
    doc = etree.parse(str(SCHEMA_PATH), _parser())
    return etree.XMLSchema(doc)


# --- reading ------------------------------------------------------------------------------------------------------


def read_document(data: bytes) -> ParsedCap | ParsedFeed:
    """Read one document: a CAP 1.2 message (validated against the schema), or a feed/container of them."""
    root, text = parse_xml(data)
    name = etree.QName(root)
    if name.namespace == CAP12 and name.localname == "alert":
        return ParsedCap(_read_alert(root), text)
    if name.localname == "alert" and name.namespace in OLDER_CAP:
        raise CapError(f"not CAP 1.2: a {OLDER_CAP[name.namespace]} message (namespace {name.namespace})",
                       identity=_identity(root, name.namespace))
    if name.namespace == ATOM and name.localname == "feed":
        return ParsedFeed("atom", tuple(_atom_entries(root)))
    if name.namespace is None and name.localname == "rss":
        return ParsedFeed("rss", tuple(_rss_entries(root)))
    embedded = [FeedEntry(f"alert {n + 1}", None, etree.tostring(alert))
                for n, alert in enumerate(root.iter(f"{{{CAP12}}}alert"))]
    if embedded:
        return ParsedFeed(name.localname, tuple(embedded))
    raise CapError(f"not a CAP 1.2 alert or a feed of them: root element {name.text}")


def read_cap(data: bytes) -> ParsedCap:
    """Read one CAP 1.2 message; a feed is an error here."""
    document = read_document(data)
    if isinstance(document, ParsedFeed):
        raise CapError(f"a {document.kind} feed, not a single CAP message")
    return document


def _identity(root: Any, namespace: str | None) -> dict[str, str]:
    ns = {"c": namespace} if namespace else None
    found = {}
    for key, tag in (("identifier", "identifier"), ("sender", "sender"), ("sent", "sent"), ("status", "status"),
                     ("msg_type", "msgType")):
        value = root.findtext(f"c:{tag}" if ns else tag, namespaces=ns)
        if value is not None and value.strip():
            found[key] = value.strip()[:200]
    return found


def _read_alert(root: Any) -> CapMessage:
    validator = schema()
    if not validator.validate(root):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in list(validator.error_log)[:3])
        raise CapError(f"not valid CAP 1.2 (CAP-v1.2.xsd): {problems}", identity=_identity(root, CAP12))
    alert = _Children(root)
    sent_text = alert.text("sent") or ""
    sent = parse_cap_time(sent_text)
    if sent is None:  # the schema's pattern makes this unreachable; kept so a bad time never passes silently
        raise CapError(f"sent {sent_text!r} is not a CAP time", identity=_identity(root, CAP12))
    return CapMessage(
        identifier=alert.text("identifier") or "",
        sender=alert.text("sender") or "",
        sent=sent,
        sent_text=sent_text,
        status=CapStatus(alert.text("status") or ""),
        msg_type=CapMsgType(alert.text("msgType") or ""),
        scope=alert.text("scope") or "",
        references=parse_references(alert.text("references") or ""),
        infos=tuple(_read_info(info) for info in alert.all("info")),
        note=alert.text("note"),
    )


_CAP_TAG = f"{{{CAP12}}}"


class _Children:
    """The CAP child elements of one element by local name, found in one pass (ElementPath per field is slow)."""

    def __init__(self, element: Any) -> None:
        self.children: dict[str, list[Any]] = {}
        for child in element:
            tag = child.tag
            if isinstance(tag, str) and tag.startswith(_CAP_TAG):
                self.children.setdefault(tag[len(_CAP_TAG):], []).append(child)

    def all(self, name: str) -> list[Any]:
        """Return every child called *name*."""
        return self.children.get(name, [])

    def text(self, name: str) -> str | None:
        """Return the stripped text of the first child called *name* ("" when empty), or None when absent."""
        found = self.children.get(name)
        if not found:
            return None
        value = found[0].text
        return value.strip() if value is not None else ""

    def time(self, name: str) -> datetime | None:
        """Return the first child called *name* as an aware time, or None."""
        value = self.text(name)
        return parse_cap_time(value) if value else None

    def pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        """Return the (valueName, value) pairs of the children called *name*."""
        return tuple((pair.text("valueName") or "", pair.text("value") or "")
                     for pair in (_Children(item) for item in self.all(name)))


def _read_info(element: Any) -> CapInfo:
    info = _Children(element)
    return CapInfo(
        language=info.text("language") or "en-US",  # CAP 1.2 §3.2.2: en-US when absent
        categories=tuple(c.text.strip() for c in info.all("category") if c.text),
        event=info.text("event") or "",
        urgency=info.text("urgency") or "",
        severity=info.text("severity") or "",
        certainty=info.text("certainty") or "",
        event_codes=info.pairs("eventCode"),
        effective=info.time("effective"),
        onset=info.time("onset"),
        expires=info.time("expires"),
        sender_name=info.text("senderName"),
        headline=info.text("headline"),
        description=info.text("description"),
        instruction=info.text("instruction"),
        parameters=info.pairs("parameter"),
        areas=tuple(_read_area(area) for area in info.all("area")),
    )


def _read_area(element: Any) -> CapArea:
    area = _Children(element)
    polygons = tuple(p for p in (parse_polygon(e.text or "") for e in area.all("polygon")) if p)
    circles = tuple(c for c in (parse_circle(e.text or "") for e in area.all("circle")) if c)
    return CapArea(area_desc=area.text("areaDesc") or "", polygons=polygons, circles=circles,
                   geocodes=area.pairs("geocode"))


def _atom_entries(root: Any) -> list[FeedEntry]:
    entries = []
    for n, entry in enumerate(root.iterfind(f"{{{ATOM}}}entry")):
        title = (entry.findtext(f"{{{ATOM}}}title") or f"entry {n + 1}").strip()
        alert = next(entry.iter(f"{{{CAP12}}}alert"), None)
        if alert is not None:
            entries.append(FeedEntry(title, None, etree.tostring(alert)))
            continue
        links = entry.findall(f"{{{ATOM}}}link")

        def rank(link: Any) -> int:
            kind, rel = (link.get("type") or "").lower(), link.get("rel") or "alternate"
            return 0 if "cap" in kind else 1 if rel == "alternate" and "xml" in kind else 2 if rel == "alternate" else 3

        hrefs = [link for link in sorted(links, key=rank) if link.get("href")]
        href = hrefs[0].get("href").strip() if hrefs else (entry.findtext(f"{{{ATOM}}}id") or "").strip() or None
        entries.append(FeedEntry(title, href, None))
    return entries


def _rss_entries(root: Any) -> list[FeedEntry]:
    entries = []
    for n, item in enumerate(root.iterfind("channel/item")):
        title = (item.findtext("title") or f"item {n + 1}").strip()
        alert = next(item.iter(f"{{{CAP12}}}alert"), None)
        if alert is not None:
            entries.append(FeedEntry(title, None, etree.tostring(alert)))
            continue
        enclosure = item.find("enclosure")
        href = (enclosure.get("url") if enclosure is not None else None) or (item.findtext("link") or "").strip()
        entries.append(FeedEntry(title, href or None, None))
    return entries


# --- writing ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutgoingArea:
    """The <area> of an exported message."""

    area_desc: str
    polygon: tuple[tuple[float, float], ...]
    geocodes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class OutgoingInfo:
    """The one <info> of an exported message."""

    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    sender_name: str
    headline: str
    description: str
    instruction: str
    onset: datetime | None
    expires: datetime | None
    parameters: tuple[tuple[str, str], ...]
    area: OutgoingArea


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message the office exports."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    references: tuple[str, ...]
    note: str | None
    info: OutgoingInfo


def cap_time(at: datetime) -> str:
    """Format an aware time as CAP wants it: seconds and an explicit offset (Beijing time, +08:00)."""
    from emergency.clock import CN_TZ

    return at.astimezone(CN_TZ).replace(microsecond=0).isoformat()


def write_cap(message: OutgoingMessage) -> bytes:
    """Return the message as CAP 1.2 XML (UTF-8), validated against CAP-v1.2.xsd before it is returned."""
    alert = etree.Element(f"{{{CAP12}}}alert", nsmap={None: CAP12})

    def add(parent: Any, tag: str, value: str | None) -> None:
        if value:
            etree.SubElement(parent, f"{{{CAP12}}}{tag}").text = value

    add(alert, "identifier", message.identifier)
    add(alert, "sender", message.sender)
    add(alert, "sent", cap_time(message.sent))
    add(alert, "status", message.status)
    add(alert, "msgType", message.msg_type)
    add(alert, "scope", "Public")
    add(alert, "note", message.note)
    add(alert, "references", " ".join(message.references))
    info, area = message.info, message.info.area
    node = etree.SubElement(alert, f"{{{CAP12}}}info")
    add(node, "language", info.language)
    add(node, "category", info.category)
    add(node, "event", info.event)
    add(node, "urgency", info.urgency)
    add(node, "severity", info.severity)
    add(node, "certainty", info.certainty)
    add(node, "onset", cap_time(info.onset) if info.onset else None)
    add(node, "expires", cap_time(info.expires) if info.expires else None)
    add(node, "senderName", info.sender_name)
    add(node, "headline", info.headline)
    add(node, "description", info.description)
    add(node, "instruction", info.instruction)
    for name, value in info.parameters:
        parameter = etree.SubElement(node, f"{{{CAP12}}}parameter")
        add(parameter, "valueName", name)
        add(parameter, "value", value)
    area_node = etree.SubElement(node, f"{{{CAP12}}}area")
    add(area_node, "areaDesc", area.area_desc)
    if area.polygon:
        ring = list(area.polygon) + ([area.polygon[0]] if area.polygon[0] != area.polygon[-1] else [])
        add(area_node, "polygon", " ".join(f"{lat:g},{lon:g}" for lat, lon in ring))
    for name, value in area.geocodes:
        geocode = etree.SubElement(area_node, f"{{{CAP12}}}geocode")
        add(geocode, "valueName", name)
        add(geocode, "value", value)
    validator = schema()
    if not validator.validate(alert):
        problems = "; ".join(e.message for e in list(validator.error_log)[:3])
        raise CapError(f"the exported message does not validate against CAP-v1.2.xsd: {problems}")
    data: bytes = etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
