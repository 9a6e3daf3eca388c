"""What every API router shares: the documented error answer."""

from ninja import Schema


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] = {}


def router_errors(*codes: int) -> dict:
    """The documented error answers of an operation behind a token: 400 (bad input), 401 and 429
    (rate limit) always, and the given codes."""
    return {code: ErrorOut for code in sorted({400, 401, 429, *codes})}


def public_errors(*codes: int) -> dict:
    """The documented error answers of a public operation: 400 (bad input) and 429 (rate limit) always."""
    return {code: ErrorOut for code in sorted({400, 429, *codes})}
