from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotPermitted, ValidationFailed

from .models import LEVEL_ORDER, Department, Level, OrgNode, Role, StaffRole

# 三员分立 (等保 2.0 level 3): the system, security and audit administrators are three people
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

CHILD_LEVEL = {
    Level.DISTRICT: Level.STREET,
    Level.STREET: Level.COMMUNITY,
    Level.COMMUNITY: Level.GRID,
    Level.GRID: Level.MICRO_GRID,
}


@transaction.atomic
def node_create(*, code: str, name: str, level: str, parent: OrgNode | None = None, **fields) -> OrgNode:
    if parent is None and level != Level.DISTRICT:
        raise ValidationFailed(_("只有区级节点可以没有上级"), errors={"parent": _("请选择上级节点")})
    if parent is not None and CHILD_LEVEL.get(parent.level) != level:
        raise ValidationFailed(_("层级不匹配"), errors={"level": format_lazy(_("{level}下只能建立下一级节点"),
                                                                             level=Level(parent.level).label)})
    create = {"code": code, "name": name, "level": level, "parent": parent, **fields}
    if parent is None:
        return OrgNode.objects.add_root(create_kwargs=create)
    parent.refresh_from_db(fields=["path", "depth", "numchild"])  # treebeard places the child from these
    return OrgNode.objects.add_child(parent, create_kwargs=create)


def level_above(level: str) -> str | None:
    index = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


def _security_admin_role(actor, node: OrgNode) -> StaffRole:
    """The actor's security-administrator role covering `node`; only that role edits roles."""
    if getattr(actor, "is_authenticated", False):
        for held in StaffRole.objects.filter(user=actor, role=Role.SECURITY_ADMIN, active=True).select_related("node"):
            if node.path.startswith(held.node.path):
                return held
    raise NotPermitted(_("只有安全管理员可以分配或收回岗位"))


def _other_admin_roles(user, role: str, *, keep: StaffRole | None = None) -> set[str]:
    qs = StaffRole.objects.filter(user=user, active=True, role__in=ADMIN_ROLES).exclude(role=role)
    if keep is not None:
        qs = qs.exclude(pk=keep.pk)
    return set(qs.values_list("role", flat=True))


@transaction.atomic
def staff_role_grant(*, actor, user, node: OrgNode, role: str, department: Department | None = None) -> StaffRole:
    """Give `user` a role at `node`. Only a security administrator whose node covers `node` may;
    one account never holds two of the three administrator roles (三员分立)."""
    from sanshi.audit.services import audit_record

    held = _security_admin_role(actor, node)
    if role not in Role.values:
        raise ValidationFailed(_("未知的角色"), errors={"role": format_lazy(_("未知的角色：{role}"), role=role)})
    if role in ADMIN_ROLES and _other_admin_roles(user, role):
        raise ValidationFailed(_("系统管理员、安全管理员、审计管理员不能由同一账号兼任"),
                               errors={"role": _("该账号已担任另一管理员角色（三员分立）")})
    if role == Role.DEPARTMENT_LIAISON and department is None:
        raise ValidationFailed(_("请选择所属部门"), errors={"department": _("区级部门联络员须有所属部门")})
    type(user).objects.select_for_update().filter(pk=user.pk).first()  # one grant to an account at a time
    staff_role, _created = StaffRole.objects.update_or_create(user=user, node=node, role=role,
                                                       defaults={"active": True, "department": department})
    audit_record(event="role.grant", actor=actor, role=held.role, node=held.node.code, obj_type="staff_role",
                 obj_id=str(staff_role.pk))
    return staff_role


@transaction.atomic
def staff_role_revoke(*, actor, staff_role: StaffRole) -> StaffRole:
    """Take a role away (the row stays, inactive). Only a security administrator covering its node may."""
    from sanshi.audit.services import audit_record

    held = _security_admin_role(actor, staff_role.node)
    if staff_role.active:
        staff_role.active = False
        staff_role.save(update_fields=["active"])
    audit_record(event="role.revoke", actor=actor, role=held.role, node=held.node.code, obj_type="staff_role",
                 obj_id=str(staff_role.pk))
    return staff_role
