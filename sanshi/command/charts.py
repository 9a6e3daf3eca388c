"""Server-rendered inline SVG charts for the compliance page: no script, no CDN, readable on a
390-px phone (a 360-unit-wide viewBox scaled to the screen), every bar labelled with its number."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .selectors import STEP_LABELS, STEP_NAMES

WIDTH = 360
LABEL_W = 70
BAR_W = WIDTH - LABEL_W - 10
ROW_H = 34
COLOURS = {"met": "#1b7f3b", "breached": "#b3261e", "pending": "#9aa5b1"}


def _rate_text(f) -> str:
    if f.rate is None:
        return _("无已判定（未到期 %(n)s）") % {"n": f.pending} if f.pending else _("无数据")
    text = _("达标率 %(rate)s%%（%(met)s/%(judged)s）") % {"rate": f"{f.rate * 100:.0f}", "met": f.met, "judged": f.judged}
    return text + (_(" 未到期 %(n)s") % {"n": f.pending} if f.pending else "")


def _step_row(y: int, label: str, f) -> list[str]:
    parts = [f'<text x="0" y="{y + 13}" font-size="13">{escape(label)}</text>']
    total = f.total
    x = LABEL_W
    if total:
        for state in ("met", "breached", "pending"):
            n = getattr(f, state)
            if n:
                w = max(1.0, BAR_W * n / total)
                parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="12" rx="2" '
                             f'fill="{COLOURS[state]}" data-state="{state}"><title>{n}</title></rect>')
                x += w
    else:
        parts.append(f'<rect x="{LABEL_W}" y="{y + 2}" width="{BAR_W}" height="12" rx="2" fill="#eef2f6"/>')
    parts.append(f'<text x="{LABEL_W}" y="{y + 29}" font-size="12" fill="#3e4c59">{escape(_rate_text(f))}</text>')
    return parts


def _svg(height: int, parts: list[str], title: str) -> SafeString:
    legend = (f'<g font-size="11"><rect x="0" y="0" width="10" height="10" fill="{COLOURS["met"]}"/>'
              f'<text x="14" y="9">{escape(_("达标"))}</text><rect x="54" y="0" width="10" height="10" fill="{COLOURS["breached"]}"/>'
              f'<text x="68" y="9">{escape(_("超时"))}</text><rect x="108" y="0" width="10" height="10" fill="{COLOURS["pending"]}"/>'
              f'<text x="122" y="9">{escape(_("未到期"))}</text></g>')
    body = "".join(parts)
    return mark_safe(  # noqa: S308 — every text inside is escaped above
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height + 18}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">{legend}<g transform="translate(0,18)">{body}</g></svg>')


def step_bars(steps: dict) -> SafeString:
    """One stacked bar per step (met / breached / pending), with the rate written under it."""
    parts: list[str] = []
    for i, step in enumerate(STEP_NAMES):
        parts += _step_row(i * ROW_H, str(STEP_LABELS[step]), steps[step])
    return _svg(len(STEP_NAMES) * ROW_H, parts, _("各环节达标情况"))


def group_bars(groups: dict) -> SafeString | None:
    """For each group (street, 片区, team): a heading and one bar per step that has clocks."""
    if not groups:
        return None
    parts: list[str] = []
    y = 0
    for group, steps in groups.items():
        parts.append(f'<text x="0" y="{y + 14}" font-size="13" font-weight="700">{escape(group)}</text>')
        y += 20
        for step in STEP_NAMES:
            if steps[step].total:
                parts += _step_row(y, str(STEP_LABELS[step]), steps[step])
                y += ROW_H
        y += 6
    return _svg(y, parts, _("分组达标情况"))


def bucket_label(b: dict) -> str:
    def fmt(seconds: int) -> str:
        return _("%(n)s秒") % {"n": seconds} if seconds < 60 else _("%(n)s分") % {"n": seconds // 60}

    if b["to"] is None:
        return f"≥{fmt(b['from'])}"
    if b["from"] == 0:
        return f"<{fmt(b['to'])}"
    return f"{fmt(b['from'])}–{fmt(b['to'])}"


def histogram(buckets: list[dict]) -> SafeString:
    """Vertical bars, one per time-to-dispatch bucket, the count above each bar."""
    height, top, bottom = 170, 18, 30
    slot = WIDTH / len(buckets)
    peak = max((b["count"] for b in buckets), default=0) or 1
    parts: list[str] = []
    for i, b in enumerate(buckets):
        h = (height - top - bottom) * b["count"] / peak
        x = i * slot + 6
        y = height - bottom - h
        colour = "#1b7f3b" if b["to"] is not None and b["to"] <= 60 else "#b26a00" if b["to"] and b["to"] <= 300 else "#b3261e"
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - 12:.1f}" height="{max(h, 1):.1f}" '
                     f'fill="{colour}" rx="2"><title>{b["count"]}</title></rect>')
        parts.append(f'<text x="{x + (slot - 12) / 2:.1f}" y="{y - 4:.1f}" font-size="12" text-anchor="middle" '
                     f'class="count">{b["count"]}</text>')
        parts.append(f'<text x="{x + (slot - 12) / 2:.1f}" y="{height - bottom + 16}" font-size="11" '
                     f'text-anchor="middle">{escape(bucket_label(b))}</text>')
    return mark_safe(  # noqa: S308 — the labels are built from numbers and escaped
        f'<svg class="chart" role="img" aria-label="{escape(_("派单用时分布"))}" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
