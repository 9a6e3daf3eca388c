from functools import partial


def staff_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from sanshi.cases.permissions import active_roles
    from sanshi.core.notify import unread_count

    roles = list(active_roles(user))
    return {"my_roles": roles, "my_role_codes": {r.role for r in roles},
            "unread_notifications": partial(unread_count, user)}  # counted only where a page shows it
