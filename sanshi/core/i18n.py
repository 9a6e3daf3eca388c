"""Text that is stored (timeline notes, actor labels) is written in the canonical language, so a
case's history reads the same whatever language the acting user chose for the interface."""

import functools

from django.conf import settings
from django.utils import translation
from django.utils.functional import lazy


def stored_in_canonical_language(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):  # a new override per call: thread-safe
            return func(*args, **kwargs)

    return wrapper


def _join(separator, items) -> str:
    return str(separator).join(str(item) for item in items)


join_lazy = lazy(_join, str)
"""join_lazy("、", labels): joined when shown, so lazy labels come out in the language of the request
that shows them (for error messages built inside stored_in_canonical_language)."""
