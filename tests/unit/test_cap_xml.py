"""Reading CAP 1.2 safely (encodings, BOMs, DTD/entity/XInclude refusal, schema) and writing it valid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree
from pytest_httpserver import HTTPServer

from emergency.cap import (
    CapError,
    OutgoingArea,
    OutgoingInfo,
    OutgoingMessage,
    ParsedCap,
    ParsedFeed,
    read_cap,
    read_document,
    schema,
    write_cap,
)
from emergency.domain.enums import CapMsgType, CapStatus
from tests.warning_support import SAMPLES, Info, cap_xml

BROKEN = {"google-cap-library__invalid.cap", "google-cap-library__weather.cap", "google-cap-library__xee.cap",
          "oasiscap__nws-5c2cf27b1f56885d61654dc47fa411d5.xml"}


@pytest.mark.parametrize("path", sorted(p.name for p in SAMPLES.iterdir() if p.name != "README.md"))
def test_every_sample_reads_or_is_refused_as_the_samples_readme_says(path: str) -> None:
    """The four broken samples raise CapError; every other one reads as a valid CAP 1.2 message."""
    data = (SAMPLES / path).read_bytes()
    if path in BROKEN:
        with pytest.raises(CapError):
            read_cap(data)
    else:
        parsed = read_cap(data)
        assert parsed.message.identifier and parsed.message.sender


def test_iso_8859_1_sample_decodes_its_accents() -> None:
    """The ISO-8859-1 earthquake message keeps Usulután intact."""
    parsed = read_cap((SAMPLES / "google-cap-library__earthquake-iso8859-1.cap").read_bytes())
    assert "Usulután" in parsed.message.infos[0].areas[0].area_desc


@pytest.mark.parametrize(("encoding", "bom", "declared"), [
    ("utf-8", b"\xef\xbb\xbf", "UTF-8"), ("utf-16-le", b"\xff\xfe", "UTF-16"), ("utf-16-be", b"\xfe\xff", "UTF-16"),
    ("utf-16-le", b"", "UTF-16"), ("gb18030", b"", "GB18030"), ("gbk", b"", "GBK")])
def test_encodings_and_boms(encoding: str, bom: bytes, declared: str) -> None:
    """UTF-8 with BOM, UTF-16 either way (with or without BOM), GB18030/GBK declared: the Chinese text survives."""
    text = cap_xml("ENC-1", declaration=f'<?xml version="1.0" encoding="{declared}"?>',
                   infos=(Info(headline="长春市气象台发布暴雨橙色预警信号"),))
    parsed = read_cap(bom + text.encode(encoding))
    assert parsed.message.infos[0].headline == "长春市气象台发布暴雨橙色预警信号"


def test_wrong_declared_encoding_is_an_error_not_a_crash() -> None:
    """GB18030 bytes declared UTF-8 fail with a message naming the encoding."""
    data = cap_xml("ENC-2").encode("gb18030")
    with pytest.raises(CapError, match=r"(?i)not valid utf-8"):
        read_cap(data)
    with pytest.raises(CapError, match="unknown character encoding"):
        read_cap(cap_xml("ENC-3", declaration='<?xml version="1.0" encoding="X-NOPE"?>').encode())


def test_xee_sample_is_refused_and_nothing_is_fetched(httpserver: HTTPServer) -> None:
    """The XXE/XInclude sample, pointed at a live local server, is refused and the server receives no request."""
    httpserver.expect_request("/payload1.dtd").respond_with_data("<!ENTITY xxe 'pwned'>")
    httpserver.expect_request("/payload2").respond_with_data("")
    httpserver.expect_request("/payload3").respond_with_data("pwned")
    httpserver.expect_request("/payload4.dtd").respond_with_data("")
    httpserver.expect_request("/1").respond_with_data("pwned")
    raw = (SAMPLES / "google-cap-library__xee.cap").read_text(encoding="utf-8")
    data = raw.replace("localhost:8080", f"127.0.0.1:{httpserver.port}").encode()
    with pytest.raises(CapError, match="refused: the document has a DOCTYPE"):
        read_document(data)
    assert httpserver.log == []


def test_xinclude_without_a_doctype_is_refused(httpserver: HTTPServer) -> None:
    """An XInclude element alone is refused (never processed) and nothing is fetched."""
    httpserver.expect_request("/x").respond_with_data("pwned")
    text = cap_xml("XI-1").replace(
        "<scope>Public</scope>",
        f'<scope>Public</scope><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        f'href="http://127.0.0.1:{httpserver.port}/x"/>')
    with pytest.raises(CapError, match="XInclude"):
        read_cap(text.encode())
    assert httpserver.log == []


def test_entities_without_a_doctype_and_a_doctype_after_comments_are_refused() -> None:
    """An undeclared entity is not well-formed; a DOCTYPE hidden after a comment and a PI is still refused."""
    with pytest.raises(CapError, match="not well-formed"):
        read_cap(cap_xml("E-1").replace("长春市气象台</senderName>", "&xxe;</senderName>").encode())
    sneaky = cap_xml("E-2").replace('<?xml version="1.0" encoding="UTF-8"?>',
                                    '<?xml version="1.0"?>\n<!-- hi --><?pi x?>\n<!DOCTYPE alert [<!ENTITY a "b">]>')
    with pytest.raises(CapError, match="DOCTYPE"):
        read_cap(sneaky.encode())


def test_billion_laughs_is_refused_quickly() -> None:
    """The classic entity bomb never reaches the parser."""
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{n} "{"&lol" + str(n - 1) + ";" if n > 1 else "&lol;"}' * 10 + '">'
                      for n in range(1, 10)) + ']><alert>&lol9;</alert>')
    with pytest.raises(CapError, match="DOCTYPE"):
        read_document(bomb.encode())


def test_not_xml_and_not_cap_are_clear_errors() -> None:
    """JSON, an HTML page and an unrelated XML document each fail with what they are."""
    with pytest.raises(CapError, match="not well-formed"):
        read_document(b'{"alert": 1}')
    with pytest.raises(CapError, match="root element"):
        read_document(b"<html><body>404</body></html>")
    with pytest.raises(CapError, match=r"empty|well-formed"):
        read_document(b"")


def test_multilingual_sample_has_both_infos() -> None:
    """Appendix A.4 carries en-US and es-US blocks."""
    parsed = read_cap((SAMPLES / "oasiscap__v1dot2_appendix_adot4.xml").read_bytes())
    assert [i.language for i in parsed.message.infos] == ["en-US", "es-US"]


def test_atom_feed_entries_embed_or_link() -> None:
    """An Atom feed yields its embedded alerts and its entries' CAP links."""
    alert = cap_xml("FEED-1").replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    feed = (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            f'<entry><title>a</title><content type="application/cap+xml">{alert}</content></entry>'
            f'<entry><title>b</title><link rel="alternate" href="https://x.example/b.html"/>'
            f'<link rel="alternate" type="application/cap+xml" href="https://x.example/b.cap"/></entry></feed>')
    parsed = read_document(feed.encode())
    assert isinstance(parsed, ParsedFeed)
    assert parsed.entries[0].embedded is not None and parsed.entries[0].href is None
    assert parsed.entries[1].href == "https://x.example/b.cap"
    rss = '<rss version="2.0"><channel><item><title>c</title><link>https://x.example/c.xml</link></item></channel></rss>'
    assert read_document(rss.encode()).entries[0].href == "https://x.example/c.xml"  # type: ignore[union-attr]


def outgoing(**overrides: object) -> OutgoingMessage:
    """Return an exportable message."""
    info = OutgoingInfo(language="zh-CN", category="Met", event="城市内涝", urgency="Expected", severity="Severe",
                        certainty="Likely", sender_name="长春市绿园区正阳街道办事处", headline="发布城市内涝橙色预警",
                        description="积水", instruction="1. 转移", onset=datetime(2026, 7, 20, 2, tzinfo=UTC),
                        expires=None, parameters=(("预警级别", "橙色"),),
                        area=OutgoingArea("正阳街道", ((43.9, 125.2), (43.9, 125.3), (43.8, 125.3)),
                                          (("GB/T 2260", "220106"),)))
    values: dict[str, object] = {"identifier": "22010600000000_20260720100000_0", "sender": "22010600000000",
                                 "sent": datetime(2026, 7, 20, 2, tzinfo=UTC), "status": "Actual", "msg_type": "Alert",
                                 "references": (), "note": None, "info": info}
    values.update(overrides)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


def test_written_cap_validates_and_reads_back() -> None:
    """An exported message validates against the XSD and reads back with Beijing times and a closed polygon."""
    data = write_cap(outgoing(msg_type="Update", references=("22010600000000,X_0,2026-07-20T09:00:00+08:00",)))
    assert schema().validate(etree.fromstring(data))
    parsed = read_document(data)
    assert isinstance(parsed, ParsedCap)
    assert parsed.message.msg_type is CapMsgType.UPDATE and parsed.message.status is CapStatus.ACTUAL
    assert parsed.message.sent_text == "2026-07-20T10:00:00+08:00"
    assert parsed.message.references[0].identifier == "X_0"
    polygon = parsed.message.infos[0].areas[0].polygons[0]
    assert polygon[0] == polygon[-1]


def test_writing_an_invalid_message_fails_loudly() -> None:
    """A message the schema refuses (a bad status) is never written."""
    with pytest.raises(CapError, match="does not validate"):
        write_cap(outgoing(status="Real"))


def test_whitespace_before_the_declaration_and_an_edxl_wrapper_are_tolerated() -> None:
    """Blank lines before <?xml …?> do not make a message unreadable; a CAP alert wrapped in another document
    (EDXL-DE, SOAP) is found inside it."""
    assert read_cap(b"\n  " + cap_xml("WS-1").encode()).message.identifier == "WS-1"
    inner = cap_xml("WR-1").replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    wrapped = f'<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"><x>{inner}</x></EDXLDistribution>'
    parsed = read_document(wrapped.encode())
    assert isinstance(parsed, ParsedFeed) and parsed.entries[0].embedded is not None
