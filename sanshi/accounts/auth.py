"""How the API knows its caller: a bearer token (staff, or a hotline system's intake_client token),
or — where an operation is public — a resident without an account."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.security import HttpBearer

from .services import token_user


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is not None:
            request.user = user
            request.bearer_token = token  # for /auth/revoke
        return user


class BearerOrResident(BearerAuth):
    """A bearer token when one is sent (it must be valid: 401 otherwise), a resident without an
    account when none is: then the caller is an AnonymousUser (counted by the per-address limit)."""

    def __call__(self, request: HttpRequest):
        if request.headers.get("Authorization"):
            return super().__call__(request)
        return AnonymousUser()


staff = BearerAuth()
