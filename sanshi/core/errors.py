"""Errors a service raises; views and the API turn them into 4xx answers."""


class ApplicationError(Exception):
    """A refusal a user should see (message in Chinese)."""

    status_code = 400

    def __init__(self, message: str, *, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


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
