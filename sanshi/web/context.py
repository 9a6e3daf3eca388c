from functools import partial

from sanshi.cases.scope import ADMIN_ROLES
from sanshi.core.notify import unread_count
from sanshi.registry.models import StaffRole


def staff_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = list(StaffRole.objects.filter(user=user, active=True).select_related("node", "department"))
    roles = [r for r in held if r.role not in ADMIN_ROLES]  # the roles that give a scope over cases
    return {"my_roles": roles, "my_role_codes": {r.role for r in roles},
            "my_admin_role_codes": {r.role for r in held if r.role in ADMIN_ROLES},
            "unread_notifications": partial(unread_count, user)}  # counted only where a page shows it
