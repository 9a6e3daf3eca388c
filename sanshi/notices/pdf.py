"""A notice as a printable A4 page for the physical board (张榜), drawn with reportlab's built-in
CID font STSong-Light: the PDF names the font and the reader supplies its glyphs (every Chinese PDF
reader has them), so no font file is shipped or needed on the server."""

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=19, wordWrap="CJK")
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=10, leading=15, textColor=colors.HexColor("#444444"))
_HEAD = ParagraphStyle("head", parent=_BODY, fontSize=26, leading=34, alignment=TA_CENTER,
                       textColor=colors.HexColor("#b3261e"))
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=17, leading=25, alignment=TA_CENTER)
_LABEL = ParagraphStyle("label", parent=_BODY, fontSize=13, leading=20, textColor=colors.HexColor("#b3261e"))


# what a notice no longer posted says at its top (transitions.NoticeStatus)
STATUS_LINES = {"concluded": "公示期已满，事项已提请评价。",
                "reopened": "居民异议经审核成立，事项已退回重新议事，以重新议定后的公示为准。"}


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    """A paragraph of plain text (escaped: a notice's text is never markup), line breaks kept."""
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _vote_rows(vote: dict[str, Any]) -> list[list[Paragraph]]:
    def row(label: str, owners, area) -> list[Paragraph]:
        shown = "—" if owners is None else f"{owners} 人，{area} ㎡"
        return [_p(label, _SMALL), _p(shown, _SMALL)]

    outcome = {True: "通过", False: "未通过", None: "表决中"}[vote.get("passed")]
    return [[_p("业主表决", _SMALL), _p(f"{vote['title']}（{vote['item_label']}）：{outcome}", _SMALL)],
            row("业主总数／总面积", vote["owners_total"], vote["area_total"]),
            row("参与表决", vote["participating_owners"], vote["participating_area"]),
            row("同意", vote["yes_owners"], vote["yes_area"]),
            row("反对", vote["no_owners"], vote["no_area"]),
            row("弃权", vote["abstain_owners"], vote["abstain_area"])]


def _qr(url: str, size: float = 32 * mm) -> Drawing:
    """The notice page's address as a QR code (reportlab's own widget): a resident at the board scans
    it with WeChat to read the notice online and comment or object."""
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def notice_pdf(summary: dict[str, Any], *, url: str, published: str, until: str) -> bytes:
    """The A4 page of one notice (`selectors.notice_summary`): who posts it, the matter, the
    resolution, the owners' vote and its tally, the result, the objection period and where to object
    (the address and its QR code)."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=summary["title"], author=summary["node"]["name"],
                            subject="张榜公示", creator="sanshi")
    story: list = [_p("公　示", _HEAD), Spacer(1, 3 * mm), _p(summary["title"], _TITLE), Spacer(1, 2 * mm),
                   _p(f"{summary['node']['name']} · {summary['kind_label']} · 事项编号 {summary['case_number']}",
                      ParagraphStyle("meta", parent=_SMALL, alignment=TA_CENTER)),
                   HRFlowable(width="100%", color=colors.HexColor("#b3261e"), spaceBefore=4 * mm, spaceAfter=4 * mm)]
    if summary["status"] in STATUS_LINES:  # a page printed after the period must not read as open for objections
        story += [_p(STATUS_LINES[summary["status"]], _LABEL), Spacer(1, 3 * mm)]
    for label, text in (("议定事项", summary["resolution"]), ("办理结果", summary["result"]),
                        ("公示内容", summary["text"])):
        if text:
            story += [_p(label, _LABEL), _p(text), Spacer(1, 3 * mm)]
    if summary["vote"]:
        table = Table(_vote_rows(summary["vote"]), colWidths=[45 * mm, 125 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [_p("业主共同决定（民法典第二百七十八条）", _LABEL), table, Spacer(1, 3 * mm)]
    story += [HRFlowable(width="100%", color=colors.HexColor("#999999"), spaceBefore=2 * mm, spaceAfter=3 * mm),
              Table([[[_p(f"公示时间：{published}"), _p(f"异议期至：{until}"), Spacer(1, 2 * mm),
                       _p("公示期间，对以上内容有意见或异议的，可以扫描右侧二维码或打开下列网址提出"
                          "（可不留姓名），也可以向社区（街道）当面或书面反映：", _SMALL), _p(url, _SMALL)],
                      _qr(url)]], colWidths=[135 * mm, 35 * mm],
                    style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))]
    doc.build(story)
    return out.getvalue()
