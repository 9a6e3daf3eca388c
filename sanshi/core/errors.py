"""Errors a service raises; views and the API turn them into 4xx answers.

Messages are written in Chinese (the canonical language) and wrapped in gettext_lazy /
format_lazy, so they are translated when they are shown — in the language of the request that
shows them — not when they are raised: services often run under stored_in_canonical_language
(Chinese), and an eager gettext there would give Chinese to an English page. Whatever turns an
error into a response converts with `detail()` / `field_errors()` (plain str: a lazy object is not
JSON-serialisable)."""


class ApplicationError(Exception):
    """A refusal a user should see (message in Chinese, translatable)."""

    status_code = 400

    def __init__(self, message, *, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    def __str__(self) -> str:
        return str(self.message)

    def detail(self) -> str:
        """The message as text in the active language."""
        return str(self.message)

    def field_errors(self) -> dict[str, str]:
        """field name → message, as text in the active language."""
        return {field: str(message) for field, message in self.errors.items()}


class ValidationFailed(ApplicationError):
    """Bad input: `errors` maps field name → message."""

    status_code = 400


class TransitionNotAllowed(ApplicationError):
    """The case life cycle does not allow this move now."""

    status_code = 409


class NotPermitted(ApplicationError):
    status_code = 403


class NotFound(ApplicationError):
    status_code = 404
