"""The tally as a server-rendered inline SVG (no script, no CDN), readable on a 375-px phone and
without colour: every bar has its numbers written under it, the bound it must reach is a dashed
line with its fraction written beside it, and "against" is hatched, not only red. The drawing is
360 units wide and scales to its box (viewBox, width 100%); a row's numbers too long for one line
(the consent rows: three counts, then the share with its verdict) wrap between two of them onto a
further line, since an SVG clips what passes its edge."""

from decimal import Decimal
from fractions import Fraction

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .rules import (
    HALF,
    PARTICIPATION_SHARE,
    THREE_QUARTER_SHARE,
    THREE_QUARTERS,
    exceeds,
    percent_text,
    reaches,
)

WIDTH = 360
LABEL_W = 46
BAR_W = WIDTH - LABEL_W - 8
ROW_H = 44
LINE_H = 15  # one more line of a row's numbers
TEXT_SIZE = 12
FILL = {"part": "#1d4ed8", "yes": "#1b7f3b", "no": "url(#hatch)", "abstain": "#c5ccd3"}
CHOICE_LABELS = {"yes": "同意", "no": "反对", "abstain": "弃权"}


def _bound_line(y: int, bound: Fraction, label: str) -> list[str]:
    x = LABEL_W + BAR_W * float(bound)  # a position on the screen, not a decision
    return [f'<line x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + 20}" stroke="#1f2933" stroke-width="1.5" '
            f'stroke-dasharray="3,2"/>',
            f'<text x="{x + 3:.1f}" y="{y - 3}" font-size="10" fill="#1f2933">{escape(label)}</text>']


def text_width(text: str, size: float) -> float:
    """About how wide `text` is drawn at `size`: Chinese characters (and ㎡, full-width forms) one
    em, digits, Latin letters and punctuation 0.6 em — a little more than a sans-serif font draws,
    so an estimate errs towards wrapping."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def wrapped(units: list[str], room: float, size: float = TEXT_SIZE, sep: str = " · ") -> list[str]:
    """`units` joined by `sep` in lines no wider than `room` where they can be: a line breaks only
    between two units, and a unit wider than `room` stays whole on its own line."""
    lines: list[str] = []
    for unit in units:
        if lines and text_width(lines[-1] + sep + unit, size) <= room:
            lines[-1] += sep + unit
        else:
            lines.append(unit)
    return lines


def _row(y: int, label: str, parts: list[tuple[str, Decimal | int]], whole: Decimal | int, text: list[str],
         bound: Fraction, bound_label: str) -> tuple[list[str], int]:
    """A bar, its bound and its numbers under it (`text`: the units a line may break between); with
    the height it takes."""
    out = [f'<text x="0" y="{y + 13}" font-size="13">{escape(label)}</text>',
           f'<rect x="{LABEL_W}" y="{y + 2}" width="{BAR_W}" height="14" rx="2" fill="#eef2f6" stroke="#9aa5b1"/>']
    x = float(LABEL_W)
    for kind, value in parts:
        if whole and value:
            w = BAR_W * float(Fraction(value) / Fraction(whole))
            out.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{max(w, 1.0):.1f}" height="14" fill="{FILL[kind]}" '
                       f'data-part="{kind}"><title>{escape(CHOICE_LABELS.get(kind, ""))} {value}</title></rect>')
            x += w
    out += _bound_line(y + 2, bound, bound_label)
    lines = wrapped(text, WIDTH - LABEL_W)
    for n, line in enumerate(lines):
        out.append(f'<text x="{LABEL_W}" y="{y + 32 + n * LINE_H}" font-size="{TEXT_SIZE}" fill="#1f2933">'
                   f'{escape(line)}</text>')
    return out, ROW_H + (len(lines) - 1) * LINE_H


def _reached(met: bool, final: bool) -> str:
    if final:
        return _("已达到") if met else _("未达到")
    return _("目前已达到") if met else _("目前未达到")


def tally_chart(summary: dict) -> SafeString:
    """Participation (owners, area) against two thirds; consent (owners, area: for, against,
    abstaining) against more than half or three quarters of the participants."""
    final = summary["status"] == "closed"
    owners, area = summary["owners_total"], Decimal(summary["area_total"])
    p_owners, p_area = summary["participating_owners"], Decimal(summary["participating_area"])
    parts: list[str] = []
    y = 16
    heading = _("参与表决（须人数和面积均达到三分之二以上）")  # outside the f-string: makemessages finds it
    parts.append(f'<text x="0" y="{y}" font-size="13" font-weight="700">{escape(heading)}</text>')
    y += 20
    for label, part, whole, unit in ((_("人数"), p_owners, owners, _("人")), (_("面积"), p_area, area, "㎡")):
        met = reaches(part, whole, PARTICIPATION_SHARE)
        text = [f"{part} / {whole} {unit}", percent_text(part, whole), _reached(met, final)]
        drawn, height = _row(y, str(label), [("part", part)], whole, text, PARTICIPATION_SHARE, "2/3")
        parts += drawn
        y += height
    three_quarters = summary["rule"] == THREE_QUARTERS
    bound, bound_label = (THREE_QUARTER_SHARE, "3/4") if three_quarters else (HALF, "1/2")
    heading = (_("同意（须参与表决的人数和面积均达到四分之三以上）") if three_quarters
               else _("同意（须参与表决的人数和面积均超过半数）"))
    y += 8
    parts.append(f'<text x="0" y="{y}" font-size="13" font-weight="700">{escape(heading)}</text>')
    y += 20
    if summary["yes_owners"] is None:
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{escape(_("无记名投票：各选项的票数在表决结束后公布"))}</text>')
        y += 24
    else:
        for label, key, whole, unit in ((_("人数"), "owners", p_owners, _("人")), (_("面积"), "area", p_area, "㎡")):
            values = {c: (Decimal(summary[f"{c}_{key}"]) if key == "area" else summary[f"{c}_{key}"])
                      for c in ("yes", "no", "abstain")}
            yes = values["yes"]
            met = reaches(yes, whole, bound) if three_quarters else exceeds(yes, whole, bound)
            text = [f"{_('同意')} {values['yes']}", f"{_('反对')} {values['no']}", f"{_('弃权')} {values['abstain']} {unit}",
                    f"{_('同意占')} {percent_text(yes, whole)} · {_reached(met, final)}"]  # the share and its verdict together
            drawn, height = _row(y, str(label), [(c, values[c]) for c in ("yes", "no", "abstain")], whole, text,
                                 bound, bound_label)
            parts += drawn
            y += height
    legend_y = y + 4
    parts.append(
        f'<g font-size="11"><rect x="0" y="{legend_y}" width="10" height="10" fill="{FILL["part"]}"/>'
        f'<text x="14" y="{legend_y + 9}">{escape(_("参与"))}</text>'
        f'<rect x="50" y="{legend_y}" width="10" height="10" fill="{FILL["yes"]}"/>'
        f'<text x="64" y="{legend_y + 9}">{escape(_("同意"))}</text>'
        f'<rect x="100" y="{legend_y}" width="10" height="10" fill="{FILL["no"]}" stroke="#b3261e"/>'
        f'<text x="114" y="{legend_y + 9}">{escape(_("反对（斜线）"))}</text>'
        f'<rect x="190" y="{legend_y}" width="10" height="10" fill="{FILL["abstain"]}"/>'
        f'<text x="204" y="{legend_y + 9}">{escape(_("弃权"))}</text>'
        f'<text x="240" y="{legend_y + 9}">{escape(_("虚线：须达到的比例"))}</text></g>')
    height = legend_y + 16
    defs = ('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde8e8"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#b3261e" stroke-width="3"/></pattern></defs>')
    return mark_safe(  # noqa: S308 — every text inside is escaped above, the rest are numbers
        f'<svg class="chart" role="img" aria-label="{escape(_("业主表决计票"))}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">{defs}{"".join(parts)}</svg>')
