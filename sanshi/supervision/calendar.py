"""Working-day arithmetic (pure: no database). A day is a working day when the calendar's
exceptions say so, else when it is Monday–Friday. `exceptions` maps a date to True (调休上班, a
make-up working day on a weekend) or False (a public holiday); `sanshi.supervision.services`
loads it from `CalendarDay` rows.

Counting rule (the usual one for 期间 in Chinese administrative practice): the day of the start
does not count; day 1 is the first working day after it, and a deadline of N days ends at the end
(23:59:59 local time) of the Nth such day."""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

END_OF_DAY = time(23, 59, 59)
Exceptions = Mapping[date, bool]


def is_workday(day: date, exceptions: Exceptions | None = None) -> bool:
    found = (exceptions or {}).get(day)
    return found if found is not None else day.weekday() < 5


def _local_date(moment: date | datetime, tz: tzinfo | None = None) -> date:
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            return timezone.localtime(moment, tz or timezone.get_current_timezone()).date()
        return moment.date()
    return moment


def end_of_day(day: date, tz: tzinfo | None = None) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=tz or timezone.get_current_timezone())


def nth_working_day_after(day: date, n: int, exceptions: Exceptions | None = None) -> date:
    """The Nth working day after `day` (`day` itself for n = 0)."""
    if n < 0:
        raise ValueError("n must not be negative")
    current, counted = day, 0
    while counted < n:
        current += timedelta(days=1)
        if is_workday(current, exceptions):
            counted += 1
    return current


def add_working_days(start: date | datetime, n: int, exceptions: Exceptions | None = None, *,
                     tz: tzinfo | None = None) -> datetime:
    """The end of the Nth working day after the (local) day of `start`."""
    return end_of_day(nth_working_day_after(_local_date(start, tz), n, exceptions), tz)


def add_calendar_days(start: date | datetime, n: int, *, tz: tzinfo | None = None) -> datetime:
    """The end of the Nth calendar day after the (local) day of `start`."""
    if n < 0:
        raise ValueError("n must not be negative")
    return end_of_day(_local_date(start, tz) + timedelta(days=n), tz)


def working_days_between(start: date | datetime, end: date | datetime, exceptions: Exceptions | None = None, *,
                         tz: tzinfo | None = None) -> int:
    """How many working days lie after the day of `start` up to and including the day of `end`
    (negative when `end` is before `start`). working_days_between(s, add_working_days(s, n)) == n."""
    first, last = _local_date(start, tz), _local_date(end, tz)
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    count, current = 0, first
    while current < last:
        current += timedelta(days=1)
        if is_workday(current, exceptions):
            count += 1
    return sign * count
