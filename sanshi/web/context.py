def staff_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from sanshi.cases.permissions import active_roles

    roles = list(active_roles(user))
    return {"my_roles": roles, "my_role_codes": {r.role for r in roles}}
