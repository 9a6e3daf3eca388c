"""The PRC public holidays and make-up working days (调休上班) seeded into the calendar.

2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号, 4 November 2025).
2027: not seeded — the State Council publishes each year's schedule late in the year before; enter
it on /staff/calendar/ or in the admin once announced (docs/deadlines.md)."""

from datetime import date, timedelta


def _days(first: date, last: date, name: str) -> list[tuple[date, bool, str]]:
    out, day = [], first
    while day <= last:
        out.append((day, False, name))
        day += timedelta(days=1)
    return out


def _work(day: date, name: str) -> tuple[date, bool, str]:
    return (day, True, f"{name}调休上班")


HOLIDAYS_2026: list[tuple[date, bool, str]] = [
    *_days(date(2026, 1, 1), date(2026, 1, 3), "元旦"), _work(date(2026, 1, 4), "元旦"),
    *_days(date(2026, 2, 15), date(2026, 2, 23), "春节"),
    _work(date(2026, 2, 14), "春节"), _work(date(2026, 2, 28), "春节"),
    *_days(date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    *_days(date(2026, 5, 1), date(2026, 5, 5), "劳动节"), _work(date(2026, 5, 9), "劳动节"),
    *_days(date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    *_days(date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    *_days(date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    _work(date(2026, 9, 20), "国庆节"), _work(date(2026, 10, 10), "国庆节"),
]

SEEDED = {2026: HOLIDAYS_2026}
