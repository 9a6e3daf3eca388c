"""API tokens: issue one for a username and password (and a one-time code when the second factor is
required), revoke the one in use."""

from datetime import datetime

from ninja import Router, Schema, Status
from ninja.schema import Field

from sanshi.core.schemas import public_errors, router_errors

from .auth import staff
from .services import token_issue, token_revoke
from .throttling import AnonymousRate, SignInRate

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str = Field(..., max_length=150)
    password: str
    otp: str = ""  # the authenticator's one-time code; required when SANSHI_REQUIRE_OTP is on


class TokenOut(Schema):
    token: str
    expires_at: datetime


@router.post("/token", response={200: TokenOut, **public_errors(401)}, auth=None, summary="换取接口令牌（开启动态口令时须带 otp）",
             throttle=[AnonymousRate(), SignInRate()])  # sign-in attempts per address, with the page's
def auth_token(request, payload: TokenIn):
    raw, token = token_issue(username=payload.username, password=payload.password, otp=payload.otp, request=request)
    return {"token": raw, "expires_at": token.expires_at}


@router.post("/revoke", response={204: None, **router_errors()}, auth=staff, summary="注销当前使用的接口令牌")
def auth_revoke(request):
    token_revoke(raw=request.bearer_token)
    return Status(204, None)
