"""The notice board's part of the case page: the case's notices, each with its period and how many
comments wait for moderation (a link to the public notice and to the moderation page); while the
period runs, that evaluation can be requested only after it."""

from django import template

from ..selectors import is_open, notices_of_case

register = template.Library()


@register.inclusion_tag("notices/_case_panel.html")
def notice_case_panel(case):
    if case.kind not in ("PUBLIC", "SHARED"):
        return {"notices": []}
    notices = notices_of_case(case)
    return {"notices": notices, "open": {n.pk for n in notices if is_open(n)}}
