"""Authentication backends: django-axes' lockout check in front of Django's ModelBackend."""

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuse a locked account before its password is checked.

    The lock is kept per username, so it needs no request; callers that have none (the test
    client's `login()`, the shell) are checked against a blank one instead of crashing.
    Failures are counted by axes' `user_login_failed` handler, which does need the request:
    every sign-in path of the site (pages, admin, API token) passes it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return super().authenticate(request if request is not None else HttpRequest(),
                                    username=username, password=password, **kwargs)
