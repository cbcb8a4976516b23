"""(Re)generate the docxtpl templates with the GB/T 9704-2012 official-document layout.

    .venv/bin/python templates/build_templates.py            # overwrite templates/*.docx
    .venv/bin/python templates/build_templates.py --out DIR  # write them somewhere else

The output is byte-for-byte reproducible (fixed zip timestamps and document properties), so a change to a
template shows up in review as a change to this script. Office staff may also edit the .docx files in Word or
WPS (see README.md); running this script again overwrites such edits.

Layout (GB/T 9704-2012): A4; top margin 37 mm, bottom 35 mm, left 28 mm, right 26 mm around a 156 × 225 mm text
block of 22 lines × 28 characters; title 方正小标宋简体 二号 (22 pt); body 仿宋_GB2312 三号 (16 pt); headings 黑体;
signer's name 楷体_GB2312; page numbers 宋体 四号 as "— 1 —", odd pages right, even pages left, one character in.
Every run names its font for ascii, hAnsi and eastAsia, so Word and WPS never fall back to a Latin font for Chinese.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEI = "黑体"
FONT_KAI = "楷体_GB2312"
FONT_SONG = "宋体"
# Names Word and WPS may use for the official fonts when they are not installed (w:altName in the font table).
ALT_NAMES = {FONT_TITLE: FONT_SONG, FONT_BODY: "仿宋", FONT_KAI: "楷体", FONT_HEI: "SimHei", FONT_SONG: "SimSun"}

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
TOP, BOTTOM, LEFT, RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_WIDTH_TWIPS = round(156 / 25.4 * 1440)  # 8844: the 156 mm text block
LINE_PITCH = 579  # twips: 22 lines in the 225 mm text block (28.95 pt)
CHAR_SPACING = -5  # twentieths of a point: 28 characters of 16 pt fit the 156 mm (442.2 pt) line
BODY_CHAR = 320  # twips: one 三号 character, the unit of GB/T 9704 indents ("空二字")
FOOTER_DISTANCE = Mm(25)  # puts the page number's 一字线 about 7 mm below the text block
HEADER_DISTANCE = Mm(15)
FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)  # document properties: a fixed time keeps the files reproducible
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
RED = "FF0000"
# The children of w:rPr that follow w:spacing in the OOXML schema (CT_RPr).
RPR_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr",
                     "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
                     "w:specVanish", "w:oMath")
# The order of w:pPr's children in the OOXML schema (CT_PPr), up to w:rPr.
PPR_SEQUENCE = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
                "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
                "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid", "Header", "Footer"}


@dataclass(frozen=True, slots=True)
class Font:
    """A run's font: family (ascii, hAnsi and eastAsia alike), size in points, weight and colour."""

    family: str
    size: float
    bold: bool = False
    color: str | None = None


TITLE = Font(FONT_TITLE, 22)  # 二号
ISSUER = Font(FONT_TITLE, 26, color=RED)  # 发文机关标志: red 小标宋
BODY = Font(FONT_BODY, 16)  # 三号
HEADING = Font(FONT_HEI, 16)  # 一级标题 “一、”
SIGNER = Font(FONT_KAI, 16)  # 签发人姓名 in 楷体
URGENCY = Font(FONT_HEI, 16)  # 紧急程度 in 黑体
MARKER = Font(FONT_HEI, 16, bold=True, color=RED)  # the 演练 line
NOTE = Font(FONT_BODY, 14)  # 版记 in 四号
PAGE = Font(FONT_SONG, 14)  # page number in 四号 宋体
CELL = Font(FONT_BODY, 10.5)  # table text in 五号
CELL_HEAD = Font(FONT_HEI, 10.5)

Run = tuple[str, Font]


# ---------------------------------------------------------------------------------------------------------
# Runs and paragraphs
# ---------------------------------------------------------------------------------------------------------


def set_fonts(rpr_parent: Any, family: str) -> None:
    """Name *family* for every script of a run or style (w:rFonts ascii, hAnsi, eastAsia, cs); drop theme fonts."""
    rpr = rpr_parent.get_or_add_rPr() if hasattr(rpr_parent, "get_or_add_rPr") else rpr_parent
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), family)
    fonts.set(qn("w:hint"), "eastAsia")


def add_run(paragraph: Paragraph, text: str, font: Font) -> object:
    """Append a run of *text* in *font* to *paragraph* and return it."""
    run = paragraph.add_run(text)
    set_fonts(run._r, font.family)
    run.font.size = Pt(font.size)
    run.font.bold = font.bold
    if font.color:
        run.font.color.rgb = RGBColor.from_string(font.color)
    return run


def add_paragraph(container: Any, runs: Sequence[Run] | str = "", *, font: Font = BODY,
                  style: str = "Official Body", align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
                  first_chars: int = 0, left_chars: int = 0, right_chars: int = 0, line_twips: int | None = LINE_PITCH,
                  before_twips: int = 0) -> Paragraph:
    """Append a paragraph of runs (a str is one run in *font*); indents count 三号 characters as GB/T 9704 does."""
    paragraph: Paragraph = container.add_paragraph(style=style)
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_before = Twips(before_twips)
    fmt.space_after = Twips(0)
    if line_twips is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Twips(line_twips)
    if first_chars or left_chars or right_chars:
        ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
        for attr, chars in (("firstLine", first_chars), ("left", left_chars), ("right", right_chars)):
            if chars:
                ind.set(qn(f"w:{attr}"), str(chars * BODY_CHAR))
                ind.set(qn(f"w:{attr}Chars"), str(chars * 100))
    for text, run_font in ([(runs, font)] if isinstance(runs, str) else runs):
        add_run(paragraph, text, run_font)
    return paragraph


def tag(container: Any, statement: str) -> Paragraph:
    """Append a docxtpl paragraph tag ({%p … %}): the whole paragraph is replaced by the Jinja statement."""
    return add_paragraph(container, "{%p " + statement + " %}", style="Official Body")


def border(paragraph: Paragraph, side: str, *, color: str = "000000", size: int = 8, space: int = 1) -> None:
    """Draw a line on one side of a paragraph (size in eighths of a point, space in points)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        insert_in_order(ppr, borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    borders.append(line)


def insert_in_order(ppr: object, child: object) -> None:
    """Insert *child* into a w:pPr where the schema's sequence puts it (Word rejects children out of order)."""
    tag_name = child.tag.split("}")[1]  # type: ignore[attr-defined]
    sequence = list(PPR_SEQUENCE)
    later = sequence[sequence.index(f"w:{tag_name}") + 1:]
    ppr.insert_element_before(child, *later)  # type: ignore[attr-defined]


def right_tab(paragraph: Paragraph, chars_from_right: int) -> None:
    """Add a right-aligned tab stop *chars_from_right* characters inside the text block's right edge."""
    paragraph.paragraph_format.tab_stops.add_tab_stop(Twips(TEXT_WIDTH_TWIPS - chars_from_right * BODY_CHAR),
                                                      WD_TAB_ALIGNMENT.RIGHT)


# ---------------------------------------------------------------------------------------------------------
# Document set-up: styles, page, headers and footers
# ---------------------------------------------------------------------------------------------------------


def _prune_package(doc: DocumentObject) -> None:
    """Drop the sample document's thumbnail, customXml, stylesWithEffects and unused styles."""
    # They are most of the parsing on every render and of the file's size.
    for rels in (doc.part.package.rels, doc.part.rels):
        for rid, rel in list(rels.items()):
            if rel.is_external:
                continue
            name = str(rel.target_part.partname)
            if name.endswith(("thumbnail.jpeg", "stylesWithEffects.xml")) or name.startswith("/customXml/"):
                del rels[rid]
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in KEEP_STYLES:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _set_defaults(doc: DocumentObject) -> None:
    """Make 仿宋_GB2312 三号, Chinese, the document default, and define the styles the templates use."""
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, FONT_BODY)
    for child in list(rpr):
        if child.tag in (qn("w:sz"), qn("w:szCs"), qn("w:lang")):
            rpr.remove(child)
    for name, value in (("w:sz", "32"), ("w:szCs", "32")):
        el = OxmlElement(name)
        el.set(qn("w:val"), value)
        rpr.append(el)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    rpr.append(lang)
    normal = doc.styles["Normal"]
    set_fonts(normal.element, FONT_BODY)
    normal.font.size = Pt(16)
    for name, font, lined in (
        ("Official Body", BODY, True),
        ("Official Heading", HEADING, True),
        ("Official Title", TITLE, False),
        ("Official Masthead", ISSUER, False),
        ("Official Note", NOTE, False),
        ("Official Table", CELL, False),
    ):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.quick_style = True
        set_fonts(style.element, font.family)
        style.font.size = Pt(font.size)
        style.font.bold = font.bold
        if font.color:
            style.font.color.rgb = RGBColor.from_string(font.color)
        if lined:  # what staff type into a body paragraph keeps the 22 × 28 page
            fmt = style.paragraph_format
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Twips(LINE_PITCH)
            fmt.space_before = fmt.space_after = Twips(0)
            spacing = OxmlElement("w:spacing")
            spacing.set(qn("w:val"), str(CHAR_SPACING))
            style.element.get_or_add_rPr().insert_element_before(spacing, *RPR_AFTER_SPACING)
    for name in ("Header", "Footer"):
        set_fonts(doc.styles[name].element, FONT_SONG)
    _alt_font_names(doc)


def _alt_font_names(doc: DocumentObject) -> None:
    """Declare the official fonts in the font table with GB2312 charset and their usual substitutes."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    table = parse_xml(part.blob)
    for family, alt in ALT_NAMES.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), family)
        for tag_name, value in (("w:altName", alt), ("w:charset", "86"), ("w:family", "roman"),
                                ("w:pitch", "variable")):
            el = OxmlElement(tag_name)
            el.set(qn("w:val"), value)
            font.append(el)
        if family == FONT_HEI:
            font.find(qn("w:family")).set(qn("w:val"), "modern")
        table.append(font)
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _set_page(doc: DocumentObject) -> None:
    """A4 with the GB/T 9704 margins and odd/even footers."""
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = TOP, BOTTOM
    section.left_margin, section.right_margin = LEFT, RIGHT
    section.header_distance, section.footer_distance = HEADER_DISTANCE, FOOTER_DISTANCE
    section.gutter = Mm(0)
    sect = section._sectPr
    # No document grid: LibreOffice snaps a 16 pt character to two cells of Word's 28-character grid (15.8 pt),
    # which halves the characters per line in the PDF. Exact 28.95 pt lines and -0.25 pt character spacing in
    # the body styles give the same 22 × 28 page in Word, WPS and LibreOffice alike.
    grid = sect.find(qn("w:docGrid"))
    if grid is not None:
        sect.remove(grid)
    doc.settings.odd_and_even_pages_header_footer = True


def _page_number(paragraph: Paragraph) -> None:
    """Write "— PAGE —": a PAGE field between two 一字线, all in 宋体 四号."""
    add_run(paragraph, "— ", PAGE)
    for kind in ("begin", None, "separate", "1", "end"):
        if kind == "1":
            add_run(paragraph, "1", PAGE)
            continue
        run = add_run(paragraph, "", PAGE)
        r = run._r  # type: ignore[attr-defined]
        if kind is None:
            instr = OxmlElement("w:instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = " PAGE "
            r.append(instr)
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r.append(char)
    add_run(paragraph, " —", PAGE)


WATERMARK = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
  xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
  xmlns:w10="urn:schemas-microsoft-com:office:word">
 <w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}" w:hint="eastAsia"/><w:noProof/></w:rPr>
 <w:pict>
  <v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">
   <v:formulas>
    <v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/>
    <v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/><v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/>
    <v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/>
    <v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/>
   </v:formulas>
   <v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
     o:connectangles="270,180,90,0"/>
   <v:textpath on="t" fitshape="t"/>
   <v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
   <o:lock v:ext="edit" text="t" shapetype="t"/>
  </v:shapetype>
  <v:shape id="DrillWatermark{n}" o:spid="_x0000_s10{n}5" type="#_x0000_t136" o:allowincell="f"
    style="position:absolute;margin-left:0;margin-top:0;width:360pt;height:180pt;rotation:315;z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;mso-position-vertical-relative:margin"
    fillcolor="#c00000" stroked="f">
   <v:fill opacity=".2"/>
   <v:textpath style="font-family:&quot;{font}&quot;;font-size:1pt" string="演 练"/>
   <w10:wrap anchorx="margin" anchory="margin"/>
  </v:shape>
 </w:pict>
</w:r>"""


def _headers_and_footers(doc: DocumentObject, *, watermark: bool) -> None:
    """Odd and even pages: page numbers right / left and, with *watermark*, a 演练 watermark when drill is true."""
    section = doc.sections[0]
    for n, header in enumerate((section.header, section.even_page_header) if watermark else (), start=1):
        header.is_linked_to_previous = False
        first = header.paragraphs[0]
        first.text = ""
        # {%p if drill %} … {%p endif %}, then an empty paragraph: a header must never be left without one.
        set_paragraph_text(first, "{%p if drill %}", PAGE)
        mark = header.add_paragraph(style="Header")
        mark._p.append(parse_xml(WATERMARK.replace("{font}", FONT_HEI).replace("{n}", str(n))))
        set_paragraph_text(header.add_paragraph(style="Header"), "{%p endif %}", PAGE)
        header.add_paragraph(style="Header")
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = align
        ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn(f"w:{side}"), str(280))  # one 四号 character (14 pt) in from the edge: 单页居右、双页居左空一字
        _page_number(paragraph)


def set_paragraph_text(paragraph: Paragraph, text: str, font: Font) -> None:
    """Replace a paragraph's runs by one run of *text* in *font*."""
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    add_run(paragraph, text, font)


def new_document(title: str, *, watermark: bool = True) -> DocumentObject:
    """Return an empty document with the official styles, page and footers (and the drill watermark)."""
    doc = Document()
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    _prune_package(doc)
    _set_defaults(doc)
    _set_page(doc)
    _headers_and_footers(doc, watermark=watermark)
    props = doc.core_properties
    props.title = title
    props.author = props.last_modified_by = ""
    props.comments = "由 templates/build_templates.py 生成；可在 Word/WPS 中修改，见 templates/README.md"
    props.language = "zh-CN"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    return doc


# ---------------------------------------------------------------------------------------------------------
# Parts of an official document
# ---------------------------------------------------------------------------------------------------------


def drill_marker(doc: DocumentObject) -> None:
    """The 演练 line at the top of the first page, present only when the context's drill is true."""
    tag(doc, "if drill")
    add_paragraph(doc, "【演练】本文件为应急演练文书，所述事件并非真实发生", font=MARKER, align=WD_ALIGN_PARAGRAPH.CENTER)
    tag(doc, "endif")


def masthead(doc: DocumentObject, *, upward: bool) -> None:
    """版头: 紧急程度, 发文机关标志, 发文字号 (with 签发人 for a report to the district) and the red line."""
    if upward:
        add_paragraph(doc, "{{ urgency }}", font=URGENCY, align=WD_ALIGN_PARAGRAPH.LEFT)
    add_paragraph(doc, "{{ office }}", font=ISSUER, style="Official Masthead", align=WD_ALIGN_PARAGRAPH.CENTER,
                  line_twips=None, before_twips=LINE_PITCH)
    if upward:  # 上行文: 发文字号 居左空一字, 签发人 居右空一字 on the same line
        number = add_paragraph(doc, [("{{ document_number }}", BODY), ("\t签发人：", BODY), ("{{ signer }}", SIGNER)],
                               align=WD_ALIGN_PARAGRAPH.LEFT, left_chars=1, before_twips=LINE_PITCH)
        right_tab(number, 1)
    else:
        number = add_paragraph(doc, "{{ document_number }}", align=WD_ALIGN_PARAGRAPH.CENTER, before_twips=LINE_PITCH)
    border(number, "bottom", color=RED, size=12, space=11)  # 发文字号之下4 mm处: the red separator line


def title(doc: DocumentObject) -> None:
    """标题 in 方正小标宋简体 二号, two lines below the red line, and the 主送机关 after one blank line."""
    add_paragraph(doc, "{{ title }}", font=TITLE, style="Official Title", align=WD_ALIGN_PARAGRAPH.CENTER,
                  line_twips=700, before_twips=2 * LINE_PITCH)
    add_paragraph(doc, "{{ recipient }}：", align=WD_ALIGN_PARAGRAPH.LEFT, before_twips=LINE_PITCH)


def heading(doc: DocumentObject, text: str) -> None:
    """一级标题 (“一、…”) in 黑体, indented two characters."""
    add_paragraph(doc, text, font=HEADING, style="Official Heading", first_chars=2)


def body(doc: DocumentObject, runs: Sequence[Run] | str) -> None:
    """正文 paragraph: 仿宋_GB2312 三号, first line indented two characters."""
    add_paragraph(doc, runs, first_chars=2)


def signature(doc: DocumentObject) -> None:
    """发文机关署名 and 成文日期 (date right, four characters in; the name centred over it), then the 版记."""
    add_paragraph(doc, "{{ office }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2, before_twips=2 * LINE_PITCH)
    add_paragraph(doc, "{{ date_cn }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    note = add_paragraph(doc, [("{{ office }}", NOTE), ("\t{{ printed_date }}印发", NOTE)], style="Official Note",
                         align=WD_ALIGN_PARAGRAPH.LEFT, left_chars=1, before_twips=2 * LINE_PITCH)
    right_tab(note, 1)
    border(note, "top", size=8, space=4)
    border(note, "bottom", size=8, space=4)


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: header text, the cell's Jinja text, width in mm, and whether the cell is centred."""

    header: str
    cell: str
    width_mm: float
    centred: bool = True


def table(doc: DocumentObject, columns: Sequence[Column], loop: str, total: Sequence[str] | None = None) -> Table:
    """A bordered 156 mm table: a header row repeated on every page, one row per item of *loop*, an optional total."""
    grid: Table = doc.add_table(rows=0, cols=len(columns))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False  # fixed layout: the widths below hold in Word, WPS and LibreOffice
    for column, spec in zip(grid.columns, columns, strict=True):
        column.width = Mm(spec.width_mm)  # w:gridCol, which LibreOffice reads
    tbl_w = grid._tbl.tblPr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        grid._tbl.tblPr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(round(sum(c.width_mm for c in columns) / 25.4 * 1440)))
    margins = OxmlElement("w:tblCellMar")  # 1 mm either side, so that a four-character header fits 18 mm
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "57")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    grid._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")

    def add_row(texts: Sequence[str], font: Font, *, head: bool = False) -> None:
        cells = grid.add_row().cells  # type: ignore[no-untyped-call]  # python-docx leaves it unannotated
        for cell, spec, text in zip(cells, columns, texts, strict=True):
            cell.width = Mm(spec.width_mm)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Official Table"]
            fmt = paragraph.paragraph_format
            fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if head or spec.centred else WD_ALIGN_PARAGRAPH.LEFT
            fmt.space_before = fmt.space_after = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(15)
            snap = OxmlElement("w:snapToGrid")
            snap.set(qn("w:val"), "0")
            insert_in_order(paragraph._p.get_or_add_pPr(), snap)
            add_run(paragraph, text, font)
        if head:
            grid.rows[-1]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))

    blank = [""] * (len(columns) - 1)
    add_row([c.header for c in columns], CELL_HEAD, head=True)
    add_row(["{%tr for " + loop + " %}", *blank], CELL)
    add_row([c.cell for c in columns], CELL)
    add_row(["{%tr endfor %}", *blank], CELL)
    if total is not None:
        add_row(total, CELL)
    return grid


# ---------------------------------------------------------------------------------------------------------
# The four templates
# ---------------------------------------------------------------------------------------------------------


def basic_facts(doc: DocumentObject) -> None:
    """事件基本情况: time, place, 接报时间, category and grade, one per line."""
    for label, variable in (("事发时间", "occurred_at"), ("事发地点", "location"), ("接报时间", "known_at"),
                            ("事件类别", "category"), ("事件等级", "severity")):
        body(doc, f"{label}：{{{{ {variable} }}}}。")


def changes(doc: DocumentObject) -> None:
    """One paragraph per change since the previous report, or a sentence saying there is none."""
    tag(doc, "if changes")
    tag(doc, "for change in changes")
    body(doc, "{{ change }}")
    tag(doc, "endfor")
    tag(doc, "else")
    body(doc, "与上次报告相比，事件情况无新的变化。")
    tag(doc, "endif")


def report_initial() -> DocumentObject:
    """突发事件信息首报."""
    doc = new_document("突发事件信息首报")
    drill_marker(doc)
    masthead(doc, upward=True)
    title(doc)
    body(doc, "{{ office }}获悉{{ incident_title }}事件，现将有关情况报告如下：")
    heading(doc, "一、事件基本情况")
    basic_facts(doc)
    heading(doc, "二、人员伤亡及损失情况")
    body(doc, "{{ figures_text }}。")
    heading(doc, "三、事件简要经过")
    body(doc, "{{ summary }}")
    heading(doc, "四、已采取的处置措施")
    body(doc, "{{ measures }}")
    body(doc, "有关情况将及时续报。")
    body(doc, "特此报告。")
    signature(doc)
    return doc


def report_follow_up() -> DocumentObject:
    """突发事件信息续报."""
    doc = new_document("突发事件信息续报")
    drill_marker(doc)
    masthead(doc, upward=True)
    title(doc)
    body(doc, "现将{{ incident_title }}事件有关进展情况续报如下：")
    heading(doc, "一、事件进展情况")
    changes(doc)
    heading(doc, "二、目前人员伤亡及损失情况")
    body(doc, "{{ figures_text }}。")
    heading(doc, "三、事件最新情况")
    body(doc, "{{ summary }}")
    heading(doc, "四、处置措施")
    body(doc, "{{ measures }}")
    heading(doc, "五、事件基本情况")
    body(doc, "事发时间：{{ occurred_at }}；事发地点：{{ location }}；事件等级：{{ severity }}。")
    body(doc, "有关情况将及时续报。")
    body(doc, "特此报告。")
    signature(doc)
    return doc


def report_final() -> DocumentObject:
    """突发事件信息终报."""
    doc = new_document("突发事件信息终报")
    drill_marker(doc)
    masthead(doc, upward=True)
    title(doc)
    body(doc, "{{ incident_title }}事件已于{{ closed_at }}处置结束，现将有关情况终报如下：")
    heading(doc, "一、事件基本情况")
    basic_facts(doc)
    heading(doc, "二、人员伤亡及损失情况（最终核实）")
    body(doc, "{{ figures_text }}。")
    heading(doc, "三、事件经过")
    body(doc, "{{ summary }}")
    heading(doc, "四、处置情况")
    body(doc, "{{ measures }}")
    tag(doc, "if changes")
    heading(doc, "五、与上次报告相比的变化")
    tag(doc, "for change in changes")
    body(doc, "{{ change }}")
    tag(doc, "endfor")
    tag(doc, "endif")
    body(doc, "特此报告。")
    signature(doc)
    return doc


RATE_COLUMNS = (  # 156 mm in all
    Column("单位", "{{ u.unit }}", 30, centred=False),
    Column("事件数", "{{ u.incidents }}", 18),
    Column("应报次数", "{{ u.obligations }}", 18),
    Column("按时次数", "{{ u.on_time }}", 18),
    Column("及时率", "{{ u.on_time_rate }}", 18),
    Column("报送份数", "{{ u.reports }}", 18),
    Column("完整率", "{{ u.complete_rate }}", 18),
    Column("准确率", "{{ u.accurate_rate }}", 18),
)
FINDING_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ f.no }}", 10),
    Column("单位", "{{ f.unit }}", 18, centred=False),
    Column("事件", "{{ f.incident }} {{ f.incident_title }}", 25, centred=False),
    Column("问题", "{{ f.type }}：{{ f.subject }}", 20, centred=False),
    Column("事实与证据", "{{ f.evidence }}", 49, centred=False),
    Column("依据", "{{ f.source }}", 34, centred=False),
)


def monthly_timeliness() -> DocumentObject:
    """月度信息报送及时性考核通报."""
    doc = new_document("月度突发事件信息报送及时性考核通报", watermark=False)
    masthead(doc, upward=False)
    title(doc)
    body(doc, "根据《长春市街道办事处工作条例》第二十七条和突发事件信息报送有关规定，"
              "现将{{ month_text }}突发事件信息报送及时性考核情况通报如下。")
    heading(doc, "一、总体情况")
    body(doc, "{{ month_text }}共有{{ totals.incidents }}起突发事件纳入考核（演练不计入），"
              "到期应报送信息{{ totals.obligations }}次，按时报送{{ totals.on_time }}次，"
              "及时率{{ totals.on_time_rate }}；报送信息{{ totals.reports }}份，要素完整率{{ totals.complete_rate }}，"
              "准确率{{ totals.accurate_rate }}。发现迟报{{ totals.late }}次、漏报{{ totals.missing }}次、"
              "谎报{{ totals.false }}次、瞒报{{ totals.concealed }}次。")
    heading(doc, "二、各单位考核情况")
    table(doc, RATE_COLUMNS, "u in units", total=[
        "{{ totals.unit }}", "{{ totals.incidents }}", "{{ totals.obligations }}", "{{ totals.on_time }}",
        "{{ totals.on_time_rate }}", "{{ totals.reports }}", "{{ totals.complete_rate }}", "{{ totals.accurate_rate }}"])
    body(doc, "注：及时率＝按时报送次数÷到期应报送次数；完整率、准确率以内容有记录的报送信息为基数，"
              "分别统计未漏报必报要素、未发现谎报的份数。")
    heading(doc, "三、问题清单")
    tag(doc, "if findings")
    table(doc, FINDING_COLUMNS, "f in findings")
    tag(doc, "else")
    body(doc, "本月未发现迟报、漏报、谎报、瞒报问题。")
    tag(doc, "endif")
    heading(doc, "四、演练情况（不计入考核）")
    tag(doc, "if drills")
    tag(doc, "for d in drills")
    body(doc, "{{ d.incident }} {{ d.title }}（{{ d.unit }}），发现问题{{ d.findings }}项。")
    tag(doc, "endfor")
    tag(doc, "if drill_findings")
    table(doc, FINDING_COLUMNS, "f in drill_findings")
    tag(doc, "endif")
    tag(doc, "else")
    body(doc, "本月未组织演练。")
    tag(doc, "endif")
    heading(doc, "五、有关要求")
    body(doc, "请各单位对照问题清单逐项整改，严格落实突发事件信息报送制度，做到及时、客观、真实报告，"
              "杜绝迟报、漏报、谎报、瞒报。")
    body(doc, "特此通报。")
    signature(doc)
    return doc


LEDGER_COMMUNITY_COLUMNS = (  # 156 mm in all
    Column("社区", "{{ c.unit }}", 22, centred=False),
    Column("应检次数", "{{ c.due }}", 14),
    Column("已到期", "{{ c.settled }}", 13),
    Column("按时完成", "{{ c.on_time }}", 13),
    Column("逾期完成", "{{ c.late }}", 13),
    Column("未完成", "{{ c.missing }}", 13),
    Column("按时完成率", "{{ c.on_time_rate }}", 17),
    Column("完成率", "{{ c.done_rate }}", 15),
    Column("发现隐患", "{{ c.found }}", 12),
    Column("销号", "{{ c.closed }}", 11),
    Column("未销号", "{{ c.open }}", 13),
)
LEDGER_AGE_COLUMNS = (  # 156 mm in all
    Column("已历时长", "{{ a.band }}", 30, centred=False),
    Column("一般隐患", "{{ a.general }}", 21),
    Column("其中逾期", "{{ a.general_overdue }}", 21),
    Column("重大隐患", "{{ a.major }}", 21),
    Column("其中逾期", "{{ a.major_overdue }}", 21),
    Column("合计", "{{ a.total }}", 21),
    Column("其中逾期", "{{ a.total_overdue }}", 21),
)
LEDGER_OPEN_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ h.no }}", 10),
    Column("隐患编号", "{{ h.number }}", 22),
    Column("社区", "{{ h.community }}", 15, centred=False),
    Column("隐患描述", "{{ h.description }}", 25, centred=False),
    Column("等级", "{{ h.grade }}", 10),
    Column("发现日期", "{{ h.found }}", 21),
    Column("整改期限", "{{ h.deadline }}", 21),
    Column("已历天数", "{{ h.age }}", 10),
    Column("状态", "{{ h.state }}", 22, centred=False),
)
LEDGER_TIME_COLUMNS = (  # 156 mm in all
    Column("隐患等级", "{{ r.grade }}", 48),
    Column("本月销号（项）", "{{ r.count }}", 36),
    Column("整改用时中位数（天）", "{{ r.median }}", 36),
    Column("整改用时最长（天）", "{{ r.max }}", 36),
)
LEDGER_CLOSED_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ h.no }}", 10),
    Column("隐患编号", "{{ h.number }}", 22),
    Column("社区", "{{ h.community }}", 15, centred=False),
    Column("隐患描述", "{{ h.description }}", 33, centred=False),
    Column("等级", "{{ h.grade }}", 10),
    Column("发现日期", "{{ h.found }}", 21),
    Column("销号日期", "{{ h.closed }}", 21),
    Column("用时（天）", "{{ h.days }}", 24),
)
LEDGER_MAJOR_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ m.no }}", 10),
    Column("隐患编号", "{{ m.number }}", 22),
    Column("社区", "{{ m.community }}", 15, centred=False),
    Column("隐患描述", "{{ m.description }}", 23, centred=False),
    Column("发现日期", "{{ m.found }}", 21),
    Column("报告区政府", "{{ m.reported }}", 21),
    Column("整改期限", "{{ m.deadline }}", 21),
    Column("督办及整改状态", "{{ m.supervision }}；{{ m.state }}", 23, centred=False),
)


def inspection_ledger() -> DocumentObject:
    """隐患排查治理台账 (monthly): completion per community, open hazards by age and grade, times, 重大隐患 督办."""
    doc = new_document("隐患排查治理台账", watermark=False)
    masthead(doc, upward=False)
    title(doc)
    body(doc, "根据《长春市街道办事处工作条例》第二十七条和《安全生产事故隐患排查治理暂行规定》（国家安全生产监督管理"
              "总局令第16号），现将{{ month_text }}隐患排查治理情况登记如下（统计截至{{ cut_text }}）。")
    heading(doc, "一、总体情况")
    body(doc, "{{ month_text }}应开展隐患排查{{ totals.due }}次，已到期{{ totals.settled }}次，其中按时完成"
              "{{ totals.on_time }}次、逾期完成{{ totals.late }}次、未完成{{ totals.missing }}次，按时完成率"
              "{{ totals.on_time_rate }}。本月发现隐患{{ totals.found }}项（一般隐患{{ found_general }}项、重大隐患"
              "{{ found_major }}项），销号{{ totals.closed }}项；截至统计时未销号隐患{{ totals.open }}项，其中逾期未整改"
              "{{ open_overdue }}项。")
    tag(doc, "if totals.pending")
    body(doc, "另有{{ totals.pending }}次排查截至统计时尚未到期，不计入完成率。")
    tag(doc, "endif")
    heading(doc, "二、各社区排查完成情况")
    table(doc, LEDGER_COMMUNITY_COLUMNS, "c in communities", total=[
        "{{ totals.unit }}", "{{ totals.due }}", "{{ totals.settled }}", "{{ totals.on_time }}", "{{ totals.late }}",
        "{{ totals.missing }}", "{{ totals.on_time_rate }}", "{{ totals.done_rate }}", "{{ totals.found }}",
        "{{ totals.closed }}", "{{ totals.open }}"])
    body(doc, "注：按时完成指在应完成日24时前完成；按时完成率＝按时完成次数÷已到期次数，完成率＝（按时完成＋逾期完成）"
              "÷已到期次数。")
    heading(doc, "三、未销号隐患情况")
    table(doc, LEDGER_AGE_COLUMNS, "a in ages", total=[
        "{{ age_totals.band }}", "{{ age_totals.general }}", "{{ age_totals.general_overdue }}", "{{ age_totals.major }}",
        "{{ age_totals.major_overdue }}", "{{ age_totals.total }}", "{{ age_totals.total_overdue }}"])
    tag(doc, "if open_hazards")
    body(doc, "未销号隐患清单如下（按已历时长排列，逾期的在状态栏注明）：")
    table(doc, LEDGER_OPEN_COLUMNS, "h in open_hazards")
    tag(doc, "else")
    body(doc, "截至统计时，无未销号隐患。")
    tag(doc, "endif")
    heading(doc, "四、隐患整改用时")
    table(doc, LEDGER_TIME_COLUMNS, "r in rectification")
    body(doc, "注：整改用时自发现隐患起至复查验收销号止。")
    tag(doc, "if closed")
    body(doc, "本月销号隐患如下：")
    table(doc, LEDGER_CLOSED_COLUMNS, "h in closed")
    tag(doc, "else")
    body(doc, "本月无销号隐患。")
    tag(doc, "endif")
    heading(doc, "五、重大事故隐患挂牌督办情况")
    tag(doc, "if majors")
    table(doc, LEDGER_MAJOR_COLUMNS, "m in majors")
    tag(doc, "else")
    body(doc, "本月无重大事故隐患。")
    tag(doc, "endif")
    tag(doc, "if drill_hazards")
    body(doc, "注：演练中登记的隐患{{ drill_hazards }}项不计入本台账。")
    tag(doc, "endif")
    signature(doc)
    return doc


def rectification_notice() -> DocumentObject:
    """隐患整改通知书: to the owner unit (下行文, no 签发人), one hazard, with its deadline and what follows."""
    doc = new_document("隐患整改通知书")
    drill_marker(doc)
    masthead(doc, upward=False)
    title(doc)
    body(doc, "{{ found_at }}，{{ office }}{{ inspector }}对你单位{{ source_name }}开展隐患排查，发现下列事故隐患，"
              "现通知如下：")
    heading(doc, "一、隐患情况")
    body(doc, "隐患编号：{{ number }}。")
    body(doc, "隐患部位：{{ location }}。")
    body(doc, "隐患描述：{{ description }}。")
    body(doc, "隐患等级：{{ grade }}（{{ grade_definition }}；《安全生产事故隐患排查治理暂行规定》第三条）。")
    body(doc, "隐患类别：{{ category }}。")
    tag(doc, "if photos")
    body(doc, "现场照片{{ photos }}张，存档备查。")
    tag(doc, "endif")
    heading(doc, "二、整改要求")
    body(doc, "整改措施：{{ measures }}。")
    body(doc, "整改责任人：{{ responsible_person }}。")
    body(doc, "整改期限：请于{{ deadline }}前整改完毕。")
    body(doc, "整改期间，你单位应当采取相应的安全防范措施，防止事故发生；隐患排除前或者排除过程中无法保证安全的，"
              "应当从危险区域内撤出作业人员，疏散可能危及的其他人员，设置警戒标志，暂时停产停业或者停止使用"
              "（《安全生产事故隐患排查治理暂行规定》第十六条）。")
    tag(doc, "if major")
    heading(doc, "三、重大事故隐患治理")
    body(doc, "该隐患为重大事故隐患，{{ office }}已报告{{ district }}，实行挂牌督办。请你单位主要负责人组织制定并实施"
              "事故隐患治理方案，明确治理的目标和任务、采取的方法和措施、经费和物资的落实、负责治理的机构和人员、"
              "治理的时限和要求、安全措施和应急预案（《安全生产事故隐患排查治理暂行规定》第十五条）。")
    heading(doc, "四、复查验收与延期")
    tag(doc, "else")
    heading(doc, "三、复查验收与延期")
    tag(doc, "endif")
    body(doc, "整改完成后，请及时报告{{ office }}，由{{ office }}组织复查验收，验收合格的予以销号。"
              "确因客观原因不能按期完成整改的，应当在整改期限届满前书面申请延期，说明理由和拟完成时间，"
              "经批准后方可延期。逾期未整改的，将依法依规处理。")
    body(doc, "联系人：{{ contact }}，联系电话：{{ contact_phone }}。")
    body(doc, "被检查单位签收人：　　　　　　　签收日期：　　年　月　日")
    signature(doc)
    return doc


def warning_notice() -> DocumentObject:
    """预警信息通知: one step of a warning passed down to one community or grid (下行文), its actions and 签收."""
    doc = new_document("预警信息通知")
    drill_marker(doc)
    masthead(doc, upward=False)
    title(doc)
    body(doc, "{{ change }}。现将有关情况通知如下：")
    heading(doc, "一、预警信息")
    body(doc, "预警类型：{{ type_name }}。")
    body(doc, "预警级别：{{ colour }}{% if grade %}（{{ grade }}）{% endif %}。")
    body(doc, "发布单位：{{ sender }}。")
    body(doc, "预警标题：{{ headline }}。")
    body(doc, "影响区域：{{ area }}。")
    body(doc, "生效时间：{{ onset }}{% if expires %}；失效时间：{{ expires }}{% endif %}。")
    tag(doc, "for line in description")
    body(doc, "{% if loop.first %}预警内容：{% endif %}{{ line }}")
    tag(doc, "endfor")
    tag(doc, "if closing")
    heading(doc, "二、有关要求")
    body(doc, "接到本通知后，可结束本预警期间采取的有关措施，转入常态工作；继续做好值班值守和巡查，发现险情立即报告"
              "街道应急值班室。")
    tag(doc, "else")
    heading(doc, "二、应对措施")
    tag(doc, "if actions")
    body(doc, "按照{{ plan_name }}，{{ colour }}预警须落实下列措施，请对照分工抓好落实：")
    tag(doc, "for a in actions")
    body(doc, "{{ a.no }}. {{ a.text }}（{{ a.owner }}{% if a.within %}，{{ a.within }}{% endif %}）。")
    tag(doc, "endfor")
    tag(doc, "else")
    body(doc, "本预警未标明颜色级别，请按照发布单位的防御指引做好防范，加强值班值守和巡查。")
    tag(doc, "endif")
    tag(doc, "for line in instruction")
    body(doc, "{% if loop.first %}防御指引：{% endif %}{{ line }}")
    tag(doc, "endfor")
    tag(doc, "endif")
    heading(doc, "三、签收要求")
    body(doc, "请于{{ ack_deadline }}前签收本通知，逾期未签收的，将按值班制度逐级提醒、督办。")
    tag(doc, "if ack_url")
    body(doc, "签收方式一：打开回执链接{{ ack_url }}，填写签收人姓名后确认签收。")
    body(doc, "签收方式二：电话告知街道应急值班室（{{ duty_phone }}），由值班员登记签收。")
    tag(doc, "else")
    body(doc, "签收方式：电话告知街道应急值班室（{{ duty_phone }}），由值班员登记签收。")
    tag(doc, "endif")
    body(doc, "联系人：{{ contact }}，联系电话：{{ contact_phone }}。")
    signature(doc)
    return doc


SUPPORT_ITEM_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ i.no }}", 16),
    Column("支援内容", "{{ i.what }}", 80, centred=False),
    Column("数量", "{{ i.quantity }}", 30),
    Column("单位", "{{ i.unit }}", 30),
)


def support_request() -> DocumentObject:
    """请示 to the district for people, funds or materials: one matter, a table of items, 妥否，请批示, 附注 with the
    联系人 and 电话, 抄送 in the 版记 (党政机关公文处理工作条例第十五条; GB/T 9704-2012 7.3.6, 8.2)."""
    doc = new_document("请示")
    drill_marker(doc)
    masthead(doc, upward=True)
    title(doc)
    body(doc, "{{ occurred_at }}，{{ location }}发生{{ incident_title }}事件（事件编号{{ incident }}）。{{ reason }}。"
              "根据《长春市街道办事处工作条例》第二十七条第三款，特请求区政府支援{{ kind }}，具体如下：")
    table(doc, SUPPORT_ITEM_COLUMNS, "i in items")
    body(doc, "恳请于{{ due }}前予以答复，以便及时调配、投入处置。")
    body(doc, "妥否，请批示。")
    add_paragraph(doc, "{{ office }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2, before_twips=2 * LINE_PITCH)
    add_paragraph(doc, "{{ date_cn }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    # 附注: 居左空二字加圆括号, on the line below the 成文日期; a 请示 names its 联系人 and 电话 there.
    add_paragraph(doc, "（联系人：{{ contact }}{% if contact_phone %}，联系电话：{{ contact_phone }}{% endif %}）",
                  align=WD_ALIGN_PARAGRAPH.LEFT, first_chars=2)
    tag(doc, "if copy_to")
    copy = add_paragraph(doc, [("抄送：{{ copy_to }}。", NOTE)], style="Official Note", align=WD_ALIGN_PARAGRAPH.LEFT,
                         left_chars=1, right_chars=1, before_twips=2 * LINE_PITCH)
    border(copy, "top", size=8, space=4)
    border(copy, "bottom", size=4, space=4)
    printed = add_paragraph(doc, [("{{ office }}", NOTE), ("\t{{ printed_date }}印发", NOTE)], style="Official Note",
                            align=WD_ALIGN_PARAGRAPH.LEFT, left_chars=1)
    right_tab(printed, 1)
    border(printed, "bottom", size=8, space=4)
    tag(doc, "else")
    printed = add_paragraph(doc, [("{{ office }}", NOTE), ("\t{{ printed_date }}印发", NOTE)], style="Official Note",
                            align=WD_ALIGN_PARAGRAPH.LEFT, left_chars=1, before_twips=2 * LINE_PITCH)
    right_tab(printed, 1)
    border(printed, "top", size=8, space=4)
    border(printed, "bottom", size=8, space=4)
    tag(doc, "endif")
    return doc


READINESS_KEY_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ k.no }}", 12),
    Column("项目", "{{ k.item }}", 90, centred=False),
    Column("本期情况", "{{ k.value }}", 54),
)
READINESS_PLAN_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ p.no }}", 10),
    Column("预案名称", "{{ p.name }}", 42, centred=False),
    Column("类别", "{{ p.kind }}", 22),
    Column("版本", "{{ p.version }}", 16),
    Column("施行日期", "{{ p.effective }}", 22),
    Column("评估期限", "{{ p.review_due }}", 22),
    Column("状态", "{{ p.state }}", 22, centred=False),
)
READINESS_DRILL_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ d.no }}", 10),
    Column("演练编号", "{{ d.number }}", 24),
    Column("演练名称", "{{ d.title }}", 44, centred=False),
    Column("方式", "{{ d.kind }}", 18),
    Column("举行日期", "{{ d.day }}", 22),
    Column("发现问题", "{{ d.problems }}", 16),
    Column("预案", "{{ d.plan }}", 22),
)
READINESS_DRILL_DUE_COLUMNS = (  # 156 mm in all
    Column("预案名称", "{{ d.name }}", 46, centred=False),
    Column("演练周期", "{{ d.cycle }}", 22),
    Column("最近一次演练", "{{ d.last }}", 28),
    Column("下次应演练", "{{ d.due }}", 28),
    Column("状态", "{{ d.state }}", 32, centred=False),
)
READINESS_SHORT_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ i.no }}", 10),
    Column("物资名称", "{{ i.name }}", 50, centred=False),
    Column("单位", "{{ i.unit }}", 16),
    Column("库存", "{{ i.on_hand }}", 26),
    Column("最低储备", "{{ i.minimum }}", 26),
    Column("缺口", "{{ i.shortfall }}", 28),
)
READINESS_EXPIRY_COLUMNS = (  # 156 mm in all
    Column("序号", "{{ b.no }}", 10),
    Column("储备点", "{{ b.store }}", 32, centred=False),
    Column("物资", "{{ b.name }}", 34, centred=False),
    Column("批次", "{{ b.batch }}", 22),
    Column("数量", "{{ b.quantity }}", 20),
    Column("有效期至", "{{ b.expires }}", 22),
    Column("状态", "{{ b.state }}", 16),
)
READINESS_HAZARD_COLUMNS = (  # 156 mm in all
    Column("隐患等级", "{{ h.grade }}", 36),
    Column("本期发现", "{{ h.found }}", 30),
    Column("本期销号", "{{ h.closed }}", 30),
    Column("期末未销号", "{{ h.open }}", 30),
    Column("其中逾期", "{{ h.overdue }}", 30),
)


def readiness_report() -> DocumentObject:
    """应急准备情况报告 for a period: key figures, plans, drills, supplies, hazards, warnings, reporting, support from
    the district, and what needs doing (第二十七条 duty by duty)."""
    doc = new_document("应急准备情况报告", watermark=False)
    masthead(doc, upward=False)
    title(doc)
    body(doc, "根据《长春市街道办事处工作条例》第二十七条，现将{{ office }}{{ period_text }}应急准备工作情况报告如下"
              "（统计截至{{ cut_text }}）。")
    heading(doc, "一、总体情况")
    table(doc, READINESS_KEY_COLUMNS, "k in key_figures")
    body(doc, "注：演练中登记的事件、隐患、预警和支援请示不计入以上统计。")
    heading(doc, "二、应急预案管理")
    body(doc, "截至{{ cut_text }}，在用应急预案{{ plans.count }}件（总体应急预案{{ plans.general }}件、专项应急预案"
              "{{ plans.special }}件），需评估修订{{ plans.due }}件，其中评估期限已过{{ plans.overdue }}件。")
    tag(doc, "if plan_rows")
    table(doc, READINESS_PLAN_COLUMNS, "p in plan_rows")
    tag(doc, "else")
    body(doc, "尚无经审批施行的应急预案。")
    tag(doc, "endif")
    heading(doc, "三、应急演练")
    body(doc, "本期举行应急演练{{ drills.held }}次（桌面推演{{ drills.tabletop }}次、实战演练{{ drills.field }}次），"
              "发现问题{{ drills.problems }}个；计划在本期举行而未举行{{ drills.missed }}次；已计划尚未举行"
              "{{ drills.upcoming }}次。")
    tag(doc, "if held_rows")
    table(doc, READINESS_DRILL_COLUMNS, "d in held_rows")
    tag(doc, "endif")
    tag(doc, "if drill_due_rows")
    body(doc, "各预案按演练周期执行情况如下（逾期未演练{{ drills.overdue }}件）：")
    table(doc, READINESS_DRILL_DUE_COLUMNS, "d in drill_due_rows")
    tag(doc, "endif")
    heading(doc, "四、应急物资储备")
    body(doc, "截至{{ cut_text }}，储备应急物资{{ supplies.kinds }}种，低于最低储备{{ supplies.short }}种，储备点低于"
              "现场最低储备{{ supplies.store_short }}项；{{ supplies.window }}天内到期{{ supplies.near }}批，已过期"
              "{{ supplies.expired }}批。")
    tag(doc, "if short_rows")
    table(doc, READINESS_SHORT_COLUMNS, "i in short_rows")
    tag(doc, "endif")
    tag(doc, "if expiry_rows")
    table(doc, READINESS_EXPIRY_COLUMNS, "b in expiry_rows")
    tag(doc, "endif")
    heading(doc, "五、风险隐患排查治理")
    body(doc, "本期发现隐患{{ hazards.found }}项，销号{{ hazards.closed }}项；截至{{ cut_text }}未销号隐患"
              "{{ hazards.open }}项，其中逾期未整改{{ hazards.overdue }}项。")
    table(doc, READINESS_HAZARD_COLUMNS, "h in hazard_rows", total=[
        "{{ hazards.grade }}", "{{ hazards.found }}", "{{ hazards.closed }}", "{{ hazards.open }}",
        "{{ hazards.overdue }}"])
    tag(doc, "if hazard_drills")
    body(doc, "注：演练中登记的隐患{{ hazard_drills }}项不计入。")
    tag(doc, "endif")
    heading(doc, "六、监测预警")
    body(doc, "本期接收、发布预警{{ warnings.issued }}条（{{ warnings.levels }}"
              "{% if warnings.no_level %}、未标明颜色级别{{ warnings.no_level }}条{% endif %}），转发至社区、网格"
              "{{ warnings.recipients }}个次，送达{{ warnings.received }}个次，签收{{ warnings.acknowledged }}个次"
              "（按时签收{{ warnings.in_time }}个次），转发到位率{{ warnings.received_rate }}，签收率"
              "{{ warnings.ack_rate }}。")
    heading(doc, "七、突发事件信息报送")
    body(doc, "本期发生突发事件{{ reporting.incidents }}起，到期应报送信息{{ reporting.obligations }}次，按时报送"
              "{{ reporting.on_time }}次，及时率{{ reporting.on_time_rate }}；发现迟报{{ reporting.late }}次、漏报"
              "{{ reporting.missing }}次、谎报{{ reporting.false }}次、瞒报{{ reporting.concealed }}次。")
    heading(doc, "八、区政府人、财、物支持")
    body(doc, "本期向区政府请示支援{{ support.requested }}件（{{ support.kinds }}），已答复{{ support.answered }}件"
              "（其中按时答复{{ support.in_time }}件），不予支持{{ support.refused }}件，超过答复时限仍未答复"
              "{{ support.overdue }}件，尚在答复时限内{{ support.waiting }}件。")
    heading(doc, "九、存在的问题和下一步工作")
    tag(doc, "if issues")
    tag(doc, "for line in issues")
    body(doc, "{{ loop.index }}. {{ line }}")
    tag(doc, "endfor")
    body(doc, "以上问题，{{ office }}将逐项明确责任人和完成时限，抓好整改落实。")
    tag(doc, "else")
    body(doc, "本期未发现需要整改的突出问题。{{ office }}将继续落实应急准备各项工作。")
    tag(doc, "endif")
    body(doc, "特此报告。")
    signature(doc)
    return doc


TEMPLATES: dict[str, Callable[[], DocumentObject]] = {
    "report_initial.docx": report_initial,
    "report_follow_up.docx": report_follow_up,
    "report_final.docx": report_final,
    "monthly_timeliness.docx": monthly_timeliness,
    "inspection_ledger.docx": inspection_ledger,
    "rectification_notice.docx": rectification_notice,
    "warning_notice.docx": warning_notice,
    "support_request.docx": support_request,
    "readiness_report.docx": readiness_report,
}


def reproducible_bytes(doc: DocumentObject) -> bytes:
    """Save *doc* and rewrite the zip with fixed timestamps, so equal documents are equal bytes."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build(out_dir: Path = HERE) -> list[Path]:
    """Write the templates into *out_dir* and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in TEMPLATES.items():
        path = out_dir / name
        path.write_bytes(reproducible_bytes(make()))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: build the templates into --out (default: this folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the .docx files to")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"wrote {path} ({path.stat().st_size} bytes)")  # noqa: T201 - a script's report to its user


if __name__ == "__main__":
    main()
