"""The registry's API: roles and accounts (the security administrator's)."""

from ninja import Router

router = Router(tags=["roles"])
