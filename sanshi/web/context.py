from functools import partial

from sanshi.cases.scope import roles_of
from sanshi.core.notify import unread_count


def staff_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    return {"my_roles": roles, "my_role_codes": {r.role for r in roles},
            "unread_notifications": partial(unread_count, user)}  # counted only where a page shows it
