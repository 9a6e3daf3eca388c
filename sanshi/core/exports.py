"""What every Excel or CSV export writes: no cell a spreadsheet would run as a formula.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel (and
by LibreOffice, and by Excel again when a CSV is opened) as a formula — a case titled
`=cmd|' /C calc'!A0` would run a program on the leader's PC. Such a cell is written with a leading
apostrophe, which spreadsheets show as text (OWASP "CSV injection"). Numbers, dates and other
values pass unchanged."""

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [neutralised(value) for value in row]
