"""The notice board's part of the case page: the case's notices, each with its period and how many
comments wait for moderation (a link to the public notice and to the moderation page)."""

from django import template

from ..selectors import notices_of_case

register = template.Library()


@register.inclusion_tag("notices/_case_panel.html")
def notice_case_panel(case):
    if case.kind not in ("PUBLIC", "SHARED"):
        return {"notices": []}
    return {"notices": notices_of_case(case)}
