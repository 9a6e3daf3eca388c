"""The registry's API: roles (mounted by sanshi.api.api under /api/v1/roles, bearer token), the
security administrator's. The same services and scope as the pages (/staff/roles/):

- 403 for anyone who is not an active security administrator, and for a grant or revocation on
  one's own account;
- 404 for a role or a node outside the administrator's subtree (the same answer as a missing one);
- 409 for a grant that would give one account two of the three administrator roles (三员分立);
- 400 with field messages for bad input (an unknown account, role or department).
"""

from dataclasses import asdict

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from sanshi.accounts.idempotency import idempotent
from sanshi.core.errors import NotPermitted, ValidationFailed
from sanshi.core.schemas import router_errors as errors

from . import handover
from .models import Department, Role, StaffRole
from .selectors import manageable_node, manageable_role, manageable_roles, security_admin_roles
from .services import staff_role_grant, staff_role_revoke

router = Router(tags=["roles"])


class RoleOut(Schema):
    id: int
    user: str = Field(..., description="账号（用户名）")
    user_name: str = Field(..., description="姓名")
    role: str
    role_label: str
    node: str = Field(..., description="组织节点编码")
    node_name: str
    department: str | None = Field(None, description="区级部门联络员所属部门编码")
    active: bool


class RoleIn(Schema):
    user: str = Field(..., description="账号（用户名）")
    role: str = Field(..., description="角色编码，如 grid_worker、street_officer、department_liaison")
    node: str = Field(..., description="组织节点编码（须在您的管辖范围内）")
    department: str = Field("", description="区级部门编码：仅区级部门联络员（department_liaison）填写")


class CandidateOut(Schema):
    username: str
    name: str


class HandoverItemOut(Schema):
    kind: str = Field(..., description="ledger_entry 台账事项 | follow_up_visit 回访 | meeting 未召开的议事会")
    kind_label: str
    id: int
    label: str
    url: str = Field(..., description="事项页面（供接手人打开）")
    note: str = ""
    candidates: list[CandidateOut] = Field([], description="可以接手的人员（在岗位页面移交）")


def _out(role: StaffRole) -> dict:
    return {"id": role.pk, "user": role.user.username, "user_name": str(role.user), "role": role.role,
            "role_label": role.get_role_display(), "node": role.node.code, "node_name": role.node.name,
            "department": role.department.code if role.department_id else None, "active": role.active}


def _security_admin(request) -> list[StaffRole]:
    held = security_admin_roles(request.auth)
    if not held:
        raise NotPermitted(_("只有安全管理员可以管理岗位"))
    return held


@router.get("", response={200: list[RoleOut], **errors(403, 404)}, summary="岗位列表（本人安全管理员岗位所辖节点）")
def role_list(request, node: str = Query("", description="节点编码：该节点及其下级"),
              role: str = Query("", description="角色编码"),
              active: bool | None = Query(None, description="true 在岗；false 已收回；不填为全部"),
              limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000)):
    held = _security_admin(request)
    at = manageable_node(request.auth, node) if node else None
    qs = manageable_roles(request.auth, node=at, role=role, active=active, roles=held)
    return [_out(r) for r in qs[offset:offset + limit]]


@router.post("", response={201: RoleOut, **errors(403, 404, 409)}, summary="分配岗位（安全管理员）")
@idempotent
def role_grant(request, payload: RoleIn):
    _security_admin(request)
    user = get_user_model().objects.filter(username=payload.user.strip(), is_active=True).first()
    department = None
    if payload.department:
        department = Department.objects.filter(code=payload.department.strip(), active=True).first()
    bad = {}
    if user is None:
        bad["user"] = _("账号不存在或已停用")
    if payload.role not in Role.values:
        bad["role"] = _("未知的角色")
    if payload.department and department is None:
        bad["department"] = _("部门不存在或已停用")
    if bad:
        raise ValidationFailed(_("岗位信息有误"), errors=bad)
    node = manageable_node(request.auth, payload.node)
    granted = staff_role_grant(actor=request.auth, user=user, node=node, role=payload.role, department=department)
    return Status(201, _out(manageable_role(request.auth, granted.pk)))


@router.delete("/{role_id}", response={204: None, **errors(403, 404)},
               summary="收回岗位（记录保留为已收回；先查看 /handover 的待移交事项）")
def role_revoke(request, role_id: int):
    _security_admin(request)
    staff_role_revoke(actor=request.auth, staff_role=manageable_role(request.auth, role_id))
    return Status(204, None)


@router.get("/{role_id}/handover", response={200: list[HandoverItemOut], **errors(403, 404)},
            summary="岗位的待移交事项（已认领的台账、回访、未召开的议事会）")
def role_handover(request, role_id: int):
    _security_admin(request)
    return [asdict(item) for item in handover.open_items(manageable_role(request.auth, role_id))]
