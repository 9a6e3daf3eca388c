"""Text that is stored (timeline notes, actor labels) is written in the canonical language, so a
case's history reads the same whatever language the acting user chose for the interface."""

import functools

from django.conf import settings
from django.utils import translation


def stored_in_canonical_language(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):  # a new override per call: thread-safe
            return func(*args, **kwargs)

    return wrapper
