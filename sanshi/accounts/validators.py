"""Password validators. Django's password machinery calls them (forms, `changepassword`,
`createsuperuser`, `validate_password`)."""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (
    ("lower", lambda c: c in string.ascii_lowercase),
    ("upper", lambda c: c in string.ascii_uppercase),
    ("digit", lambda c: c.isdigit()),
    ("symbol", lambda c: not c.isalnum()),
)


def is_staff_account(user) -> bool:
    """Staff: a Django staff/superuser flag or any StaffRole (a user not yet saved has none)."""
    if user is None:
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return bool(getattr(user, "pk", None)) and user.staff_roles.exists()


def character_classes(password: str) -> int:
    return sum(1 for _name, test in CLASSES if any(test(c) for c in password))


class CharacterClassesValidator:
    """Staff passwords mix `min_classes` of: lower case, upper case, digits, symbols.

    Demo accounts are exempt (they share SANSHI_DEMO_PASSWORD; production refuses them)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if not is_staff_account(user) or getattr(user, "is_demo", False):
            return
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("工作人员的密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。") % {"n": self.min_classes}
