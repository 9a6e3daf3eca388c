"""Every write of the registry: the administrative tree, roles (the security administrator's) and
accounts.

Roles and accounts (docs/security.md "Roles and accounts"): only a security administrator whose node
covers the role's node grants or revokes it; nobody grants or revokes a role of their own account
(403); one account never holds two of the three administrator roles (三员分立: 409); every grant,
revocation, account and activation link is audited."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.accounts.services import otp_activation_create
from sanshi.audit.services import audit_record
from sanshi.core.crypto import lookup_hash
from sanshi.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.personal import ID_NUMBER_RE, normalise_phone

from .models import Department, Household, Level, OrgNode, Person, Role, StaffRole
from .selectors import security_admin_role_for, security_admin_roles, within


class ThreeAdminsConflict(ValidationFailed):
    """A grant that would give one account two of the three administrator roles (三员分立): a conflict
    with what the account already holds (409), with the field message a form shows."""

    status_code = 409


# 三员分立 (等保 2.0 level 3): the system, security and audit administrators are three people
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

CHILD_LEVEL: dict[str, str] = {
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


def _security_admin_role(actor, node: OrgNode) -> StaffRole:
    """The actor's security-administrator role covering `node`; only that role edits roles."""
    held = security_admin_role_for(actor, node)
    if held is None:
        raise NotPermitted(_("只有安全管理员可以分配或收回岗位"))
    return held


def _not_own_account(actor, user) -> None:
    if user.pk == actor.pk:
        raise NotPermitted(_("不能为自己的账号分配或收回岗位：请另一位安全管理员办理"))


def _other_admin_roles(user, role: str, *, keep: StaffRole | None = None) -> set[str]:
    qs = StaffRole.objects.filter(user=user, active=True, role__in=ADMIN_ROLES).exclude(role=role)
    if keep is not None:
        qs = qs.exclude(pk=keep.pk)
    return set(qs.values_list("role", flat=True))


# the levels of the tree at which each role is held (a grid worker works a grid, not a street)
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT_OFFICER: (Level.DISTRICT,), Role.DEPARTMENT_LIAISON: (Level.DISTRICT,),
    Role.INTAKE_CLIENT: (Level.DISTRICT, Level.STREET),
    Role.OPERATOR: (Level.STREET,), Role.STREET_OFFICER: (Level.STREET,), Role.RESPONDER: (Level.STREET,),
    Role.PEOPLES_CONGRESS: (Level.STREET,), Role.DEMOCRATIC_SUPERVISOR: (Level.STREET, Level.COMMUNITY),
    Role.COMMUNITY_SECRETARY: (Level.COMMUNITY,), Role.SUPERVISION_COMMITTEE: (Level.COMMUNITY,),
    Role.GRID_LEADER: (Level.GRID,), Role.GRID_WORKER: (Level.GRID,), Role.GRID_INSTRUCTOR: (Level.GRID,),
    Role.MEDIATOR: (Level.COMMUNITY, Level.GRID), Role.PROPERTY_REP: (Level.COMMUNITY, Level.GRID),
    Role.RESIDENT_REP: (Level.COMMUNITY, Level.GRID),
    Role.SYSTEM_ADMIN: (Level.DISTRICT, Level.STREET), Role.SECURITY_ADMIN: (Level.DISTRICT, Level.STREET),
    Role.AUDIT_ADMIN: (Level.DISTRICT, Level.STREET),
}


@transaction.atomic
def staff_role_grant(*, actor, user, node: OrgNode, role: str, department: Department | None = None) -> StaffRole:
    """Give `user` a role at `node` (a revoked one is made active again). Only a security
    administrator whose node covers `node` may (403), never on their own account (403); one account
    never holds two of the three administrator roles (ThreeAdminsConflict, 409), checked under a
    lock on the account row; a department liaison names its department, nobody else does (400)."""
    held = _security_admin_role(actor, node)
    _not_own_account(actor, user)
    errors = {}
    if role not in Role.values:
        errors["role"] = format_lazy(_("未知的角色：{role}"), role=role)
    elif node.level not in ROLE_LEVELS[role]:
        errors["node"] = format_lazy(_("{role}只能设在{levels}一级"), role=Role(role).label,
                                     levels="、".join(str(Level(level).label) for level in ROLE_LEVELS[role]))
    if role == Role.DEPARTMENT_LIAISON and department is None:
        errors["department"] = _("区级部门联络员须有所属部门")
    elif role != Role.DEPARTMENT_LIAISON and department is not None:
        errors["department"] = _("只有区级部门联络员需要所属部门，请留空")
    elif department is not None and not department.active:
        errors["department"] = format_lazy(_("部门“{name}”已停用"), name=department.name)
    if not user.is_active:
        errors["user"] = _("该账号已停用")
    if errors:
        raise ValidationFailed(_("岗位信息有误"), errors=errors)
    type(user).objects.select_for_update().filter(pk=user.pk).first()  # one grant to an account at a time
    if role in ADMIN_ROLES and _other_admin_roles(user, role):
        raise ThreeAdminsConflict(_("系统管理员、安全管理员、审计管理员不能由同一账号兼任"),
                                  errors={"role": _("该账号已担任另一管理员角色（三员分立）")})
    staff_role, _created = StaffRole.objects.update_or_create(user=user, node=node, role=role,
                                                              defaults={"active": True, "department": department})
    audit_record(event="role.grant", actor=actor, role=held.role, node=held.node.code, obj_type="staff_role",
                 obj_id=str(staff_role.pk))
    return staff_role


@transaction.atomic
def staff_role_revoke(*, actor, staff_role: StaffRole) -> StaffRole:
    """Take a role away (the row stays, inactive). Only a security administrator covering its node
    may, never on their own account. What the role leaves open is listed by
    `registry.handover.open_items` for reassignment."""
    held = _security_admin_role(actor, staff_role.node)
    _not_own_account(actor, staff_role.user)
    if staff_role.active:
        staff_role.active = False
        staff_role.save(update_fields=["active"])
    audit_record(event="role.revoke", actor=actor, role=held.role, node=held.node.code, obj_type="staff_role",
                 obj_id=str(staff_role.pk))
    return staff_role


# ---- accounts: created by the security administrator, activated by their owner ---------------
# An account starts with an unusable password: nobody but its owner ever knows its password. The
# security administrator hands the owner a one-time activation link (Django's password-reset token
# with a salt of its own: it stops working once the password is set, the account signs in, or after
# PASSWORD_RESET_TIMEOUT); the owner sets a password that Django's validators (with the staff rules
# of sanshi.accounts.validators once the account holds a role) accept.

class ActivationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "sanshi.registry.services.ActivationTokenGenerator"


activation_tokens = ActivationTokenGenerator()


def _field_errors(exc: ValidationError) -> dict[str, str]:
    return {field: " ".join(messages) for field, messages in exc.message_dict.items()}


def _security_admin(actor, message) -> StaffRole:
    held = security_admin_roles(actor)
    if not held:
        raise NotPermitted(message)
    return held[0]


def _check_account_in_reach(actor, user) -> StaffRole:
    """The actor manages the account: they are a security administrator, it is not their own, and
    every role it ever held lies in their subtrees (an account with no role yet is anyone's)."""
    held = security_admin_roles(actor)
    if not held:
        raise NotPermitted(_("只有安全管理员可以管理账号"))
    _not_own_account(actor, user)
    for role in StaffRole.objects.filter(user=user).select_related("node"):
        if not any(within(role.node, h.node) for h in held):
            raise NotFound(_("账号不存在或不在您的管辖范围内"))
    return held[0]


def activation_link_parts(user) -> tuple[str, str]:
    """(uidb64, token) of a fresh activation link for `user`; writes nothing."""
    return urlsafe_base64_encode(force_bytes(user.pk)), activation_tokens.make_token(user)


@transaction.atomic
def account_create(*, actor, username: str, display_name: str = ""):
    """A new account without a usable password (its owner sets one through the activation link).
    Only a security administrator may; limits and the username rules come from the model."""
    held = _security_admin(actor, _("只有安全管理员可以创建账号"))
    user = get_user_model()(username=(username or "").strip(), display_name=(display_name or "").strip())
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ValidationFailed(_("账号信息有误"), errors=_field_errors(exc)) from None
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(_("账号信息有误"), errors={"username": _("该用户名已被使用")}) from None
    audit_record(event="account.create", actor=actor, role=held.role, node=held.node.code, obj_type="user",
                 obj_id=str(user.pk))
    return user


@transaction.atomic
def account_activation_renew(*, actor, user) -> tuple[str, str]:
    """A new activation link for an account not yet activated (the old one expired or was lost);
    audited. Links given before stay valid until they expire or the password is set."""
    held = _check_account_in_reach(actor, user)
    if user.has_usable_password():
        raise TransitionNotAllowed(_("该账号已设置密码，不需要激活链接"))
    audit_record(event="account.activation_link", actor=actor, role=held.role, node=held.node.code,
                 obj_type="user", obj_id=str(user.pk))
    return activation_link_parts(user)


@transaction.atomic
def account_activate(*, user, password: str):
    """The owner sets the first password through the activation link (the view checked the token)."""
    if user.has_usable_password():
        raise TransitionNotAllowed(_("该账号已激活，请直接登录"))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(_("密码不符合要求"), errors={"new_password1": " ".join(exc.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(event="account.activate", actor=user, obj_type="user", obj_id=str(user.pk))
    return user


@transaction.atomic
def security_admin_bootstrap(*, username: str, password: str, display_name: str = "",
                             node: OrgNode | None = None) -> StaffRole:
    """The first security administrator, at the root (district) node, where nobody can grant roles
    yet (production has no superuser). Refused while an active security administrator exists."""
    roots = list(OrgNode.objects.get_root_nodes())
    if node is None:
        if len(roots) != 1:
            raise ValidationFailed(_("请指定根节点"), errors={"node": format_lazy(
                _("有 {n} 个根节点，请用 --node 指定区级节点编码"), n=len(roots))})
        node = roots[0]
    elif node.pk not in {r.pk for r in roots}:
        raise ValidationFailed(_("节点不是根节点"), errors={"node": _("安全管理员的首个岗位须在根节点（区）")})
    OrgNode.objects.select_for_update().filter(pk=node.pk).first()  # one bootstrap at a time
    if StaffRole.objects.filter(role=Role.SECURITY_ADMIN, active=True, user__is_active=True).exists():
        raise TransitionNotAllowed(_("已有在岗的安全管理员：新的账号和岗位请由其在“岗位与账号”页面（/staff/roles/）办理"))
    user = get_user_model()(username=(username or "").strip(), display_name=(display_name or "").strip())
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ValidationFailed(_("账号信息有误"), errors=_field_errors(exc)) from None
    user.save()
    role = StaffRole.objects.create(user=user, node=node, role=Role.SECURITY_ADMIN)
    try:
        validate_password(password, user)  # with the staff rules: the account holds a role now
    except ValidationError as exc:
        raise ValidationFailed(_("密码不符合要求"), errors={"password": " ".join(exc.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(event="role.bootstrap", role=Role.SECURITY_ADMIN, node=node.code, obj_type="staff_role",
                 obj_id=str(role.pk))
    return role


@transaction.atomic
def otp_enrolment_activation_issue(*, actor, user) -> str:
    """A one-time code that lets the account bind an authenticator (its owner types it on the
    enrolment page before the secret is shown), for an account in the actor's reach; audited
    (`otp.activation_issue`). The code is returned once, to be given in person or by phone."""
    held = _check_account_in_reach(actor, user)
    if not user.is_active:
        raise TransitionNotAllowed(_("该账号已停用"))
    code = otp_activation_create(user=user, issued_by=actor)
    audit_record(event="otp.activation_issue", actor=actor, role=held.role, node=held.node.code,
                 obj_type="user", obj_id=str(user.pk))
    return code


@transaction.atomic
def person_register(*, household: Household, name: str, phone: str = "", id_number: str = "") -> Person:
    """Add a resident to the person register (import, a staff page, the demo). The phone and ID number
    are stored encrypted with keyed hashes for exact lookups."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("请填写姓名")
    elif len(name) > 50:
        errors["name"] = _("姓名最多50字")
    try:
        phone = normalise_phone(phone, field="phone")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    id_number = (id_number or "").strip().upper()
    if id_number and not ID_NUMBER_RE.match(id_number):
        errors["id_number"] = _("身份证号格式不正确（18位，末位可为X）")
    if errors:
        raise ValidationFailed(_("居民信息有误"), errors=errors)
    return Person.objects.create(household=household, name=name, phone=phone, phone_hash=lookup_hash(phone),
                                 id_number=id_number, id_number_hash=lookup_hash(id_number))
