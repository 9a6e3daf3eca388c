"""Helpers for the pages' forms."""

from .errors import ApplicationError


def apply_errors(form, exc: ApplicationError) -> None:
    """Show a service's refusal on a form: each field's message beside its field, else at the top."""
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, exc.message)
