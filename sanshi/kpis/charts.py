"""Server-rendered inline SVG charts for the dashboard, as on the compliance page (sanshi/command/
charts.py, whose 1-5-10 bars the dashboard reuses): no script, no CDN, a 360-unit-wide viewBox
scaled to the screen, and every bar written with its number — and drawn in a pattern of its own
(solid, hatched, dotted), so nothing is told by colour alone."""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
MAX_BAR = 40  # the widest a month's bar is drawn
STYLES = {  # name → (colour, pattern)
    "received": ("#1d4ed8", "solid"), "closed": ("#1b7f3b", "hatch"),
    "PUBLIC": ("#1d4ed8", "solid"), "SHARED": ("#7c3aed", "hatch"), "HOUSEHOLD": ("#0f766e", "dots"),
    "rate": ("#b3261e", "solid"), "child": ("#3e4c59", "solid"),
}
_ids = count(1)


def _defs(prefix: str) -> str:
    """One pattern of each kind per chart (ids are unique in the page)."""
    parts = []
    for name, (colour, pattern) in STYLES.items():
        pid = f"{prefix}-{name}"
        if pattern == "hatch":
            parts.append(f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
                         f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
                         f'<rect width="3" height="6" fill="{colour}"/></pattern>')
        elif pattern == "dots":
            parts.append(f'<pattern id="{pid}" width="5" height="5" patternUnits="userSpaceOnUse">'
                         f'<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.6" fill="{colour}"/>'
                         f'</pattern>')
    return f"<defs>{''.join(parts)}</defs>"


def _fill(prefix: str, style: str) -> str:
    colour, pattern = STYLES[style]
    return colour if pattern == "solid" else f"url(#{prefix}-{style})"


def _svg(prefix: str, height: float, body: str, title: str) -> SafeString:
    return mark_safe(  # noqa: S308 — every text inside is escaped where it is built
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">{_defs(prefix)}{body}</svg>')


def _legend(prefix: str, items: Sequence[tuple[str, str]], y: float = 0) -> str:
    parts, x = [], 0
    for style, label in items:
        colour = STYLES[style][0]
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="10" fill="{_fill(prefix, style)}" stroke="{colour}"/>'
                     f'<text x="{x + 16}" y="{y + 9}" font-size="11">{escape(label)}</text>')
        x += 28 + 12 * len(label)
    return "".join(parts)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # the bar's length (a count, or a rate as a fraction)
    text: str  # what is written beside it
    style: str = "child"
    href: str = ""  # a bar that opens another page (drill down)


def hbars(rows: Sequence[Bar], title: str, *, scale: float | None = None,
          legend: Sequence[tuple[str, str]] = ()) -> SafeString:
    """One horizontal bar per row, its label on the left, its value written after it; a row with a
    link is a link (the children ranked: a click drills down)."""
    prefix = f"k{next(_ids)}"
    label_w, row_h, top = 96, 24, (18 if legend else 0)
    peak = scale if scale is not None else max((r.value for r in rows), default=0) or 1
    room = WIDTH - label_w - max(70, max((_text_width(r.text) for r in rows), default=0) + 8)
    parts = [_legend(prefix, legend)] if legend else []
    for i, row in enumerate(rows):
        y = top + i * row_h
        w = max(1.0, room * row.value / peak) if row.value else 0
        colour = STYLES[row.style][0]
        bar = (f'<text x="0" y="{y + 14}" font-size="12">{escape(row.label[:9])}</text>'
               f'<rect x="{label_w}" y="{y + 3}" width="{room}" height="14" fill="#eef2f6"/>'
               + (f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="14" fill="{_fill(prefix, row.style)}" '
                  f'stroke="{colour}" data-value="{row.value}"/>' if w else "")
               + f'<text x="{label_w + room + 4}" y="{y + 14}" font-size="12" class="value">{escape(row.text)}</text>')
        parts.append(f'<a href="{escape(row.href)}">{bar}</a>' if row.href else bar)
    return _svg(prefix, top + max(1, len(rows)) * row_h + 4, "".join(parts), title)


def _text_width(text: str, size: int = 12) -> float:
    """About how wide `text` is drawn at `size` units: a Chinese character a full em, others ~0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def month_label(month: str, many_years: bool) -> str:
    year, mon = month.split("-")
    return f"{year[2:]}-{mon}" if many_years else f"{int(mon)}月"


def month_bars(trend: Sequence[dict], series: Sequence[tuple[str, str]], title: str, *,
               rate: bool = False) -> SafeString:
    """Bars per month for each of `series` ((key, label): counts side by side, or one rate), the value
    above each bar (a rate as a percentage; none where it is undefined)."""
    prefix = f"k{next(_ids)}"
    height, top, bottom = 170, 34, 22
    months = list(trend) or [{"month": "—"}]
    slot = WIDTH / len(months)
    width = min(max(2.0, (slot - 4) / len(series)), MAX_BAR)  # a short period: narrow bars, centred
    offset = (slot - width * len(series)) / 2
    values = [[_number(m.get(key)) for key, _label in series] for m in months]
    peak = 1.0 if rate else max((v or 0 for row in values for v in row), default=0) or 1
    many_years = len({m["month"][:4] for m in months}) > 1
    parts = [_legend(prefix, [("rate" if rate else key, label) for key, label in series])]
    font = 10 if len(months) <= 13 else 8
    for i, month in enumerate(months):
        for j, (key, _label) in enumerate(series):
            value = values[i][j]
            x = i * slot + offset + j * width
            style = "rate" if rate else key
            if value is None:
                parts.append(f'<text x="{x + width / 2:.1f}" y="{height - bottom - 3}" font-size="{font}" '
                             f'text-anchor="middle">—</text>')
                continue
            h = (height - top - bottom) * value / peak
            y = height - bottom - h
            text = f"{value * 100:.0f}%" if rate else f"{value:.0f}"
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width - 1:.1f}" height="{max(h, 1):.1f}" '
                         f'fill="{_fill(prefix, style)}" stroke="{STYLES[style][0]}"><title>{escape(text)}</title></rect>')
            if len(months) * len(series) <= 26:
                parts.append(f'<text x="{x + width / 2:.1f}" y="{y - 3:.1f}" font-size="{font}" '
                             f'text-anchor="middle" class="value">{text}</text>')
        parts.append(f'<text x="{i * slot + slot / 2:.1f}" y="{height - 6}" font-size="{font}" text-anchor="middle">'
                     f'{escape(month_label(month["month"], many_years)) if month["month"] != "—" else "—"}</text>')
    return _svg(prefix, height, "".join(parts), title)


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    return float(value)
