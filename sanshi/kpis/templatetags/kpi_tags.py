from django import template

from sanshi.kpis.definitions import percent

register = template.Library()


@register.filter
def kpi_percent(value: str | None) -> str:
    """A rate of the API body ("0.9775") as the dashboard writes it ("97.75%"; "—" when undefined)."""
    return percent(value)
