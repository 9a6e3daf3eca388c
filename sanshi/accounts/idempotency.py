"""Safe retries (issue 19). A client that sent a POST and never got the answer — a crash, a timeout,
a dropped connection — cannot tell whether it acted; a hotline system that simply sends it again
made a second case. Sent again with the same `Idempotency-Key` header, within
SANSHI_IDEMPOTENCY_HOURS, the request gets the first answer (status and body, with
`Idempotent-Replayed: true`) and acts on nothing.

- The key is the caller's: a user's keys are theirs whatever token they use, a caller without an
  account's are its client address's.
- The same key with another request (method, path or body) answers 422; while a request with the
  key is under way, another answers 409 (PostgreSQL: a transaction-scoped advisory lock on the key;
  SQLite's single writer makes the second wait and then get the first answer).
- The first answer is stored in the act's own transaction: the operation runs inside one
  `transaction.atomic()` with the key's row, so a commit leaves both the act and its answer and a
  crash neither. Only a 2xx answer is kept; a refusal leaves the key free to try again.

`idempotent` puts this on an API operation (under `@router.post`); `claim` and `remember` are the
same steps for a page (the report form's one-time token, sanshi/intake/views.py). Expired keys are
deleted hourly by the worker (`accounts.jobs`). docs/operations.md, "Retries".

On SQLite a foreign key is checked only when the outermost transaction commits — with a key, the
request's — so a service that handles such a failure itself must look before that: intake checks its
grid inside the caller's transaction, which holds SQLite's write lock. PostgreSQL checks them at each
statement inside a claimed transaction (`claim`)."""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.decorators import decorate_view

from sanshi.core.errors import ApplicationError, ValidationFailed

from .models import IdempotencyKey
from .throttling import client_ip

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_FORMAT = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, e.g. a UUID
KEYED: set[str] = set()  # "module.function" of every operation that takes the header (the API's test reads it)


class KeyReused(ApplicationError):
    """The key answered another request."""

    status_code = 422


class KeyInUse(ApplicationError):
    """A request with the key is under way."""

    status_code = 409


def claim(*, scope: str, key: str, fingerprint: str, wait: bool = False) -> IdempotencyKey | None:
    """Inside the act's transaction: hold the key until the transaction ends and return the answer
    kept under it, or None — then act, and `remember` the answer before the commit. Raises KeyReused
    when the kept answer was to another request, and, without `wait`, KeyInUse while another
    transaction holds the key (with `wait`, wait for it)."""
    if not connection.in_atomic_block:
        raise RuntimeError("claim an idempotency key inside the act's transaction.atomic()")
    if connection.vendor == "postgresql":
        # Django's foreign keys are checked at commit, which is now this outer transaction's: checked at
        # each statement instead, a service still sees the failure inside its own block and handles it as
        # it would at its own commit (intake retries once after a grid deleted by another process)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _lock(scope, key, wait=wait)
    kept = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if kept is not None and kept.expires_at <= timezone.now():
        kept.delete()  # expired, not yet purged: the key is free again
        kept = None
    if kept is not None and kept.fingerprint != fingerprint:
        raise KeyReused(_("这个 Idempotency-Key 已用于另一个内容不同的请求；新的请求请使用新的 Idempotency-Key"),
                        errors={HEADER: _("已用于另一个请求")})
    return kept


def remember(*, scope: str, key: str, fingerprint: str, status: int, content_type: str, body: str) -> IdempotencyKey:
    """Keep the answer to a claimed key (in the same transaction as the act)."""
    now = timezone.now()
    return IdempotencyKey.objects.create(scope=scope, key=key, fingerprint=fingerprint, status=status,
                                         content_type=content_type, body=body, created_at=now,
                                         expires_at=now + timedelta(hours=settings.SANSHI_IDEMPOTENCY_HOURS))


def idempotency_keys_purge() -> int:
    """Delete the expired keys; return how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _lock(scope: str, key: str, *, wait: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: the transaction holds the database's only write lock (BEGIN IMMEDIATE)
    number = int.from_bytes(hashlib.sha256(f"{scope}\n{key}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])
            return
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [number])
        (locked,) = cursor.fetchone()
    if not locked:
        raise KeyInUse(_("使用同一 Idempotency-Key 的请求正在处理中，请稍后重试"),
                       errors={HEADER: _("正在处理中")})


def caller_scope(request: HttpRequest) -> str:
    """Whose key: the signed-in user, else the client address."""
    user = getattr(request, "auth", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{client_ip(request)}"


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, the path with its query and the body (a multipart body, parsed before
    any view runs, as `form_fingerprint`)."""
    try:
        body = request.body
    except RawPostDataException:
        return form_fingerprint(request)
    return hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode() + body).hexdigest()


def form_fingerprint(request: HttpRequest, *, ignore: frozenset[str] = frozenset()) -> str:
    """SHA-256 of the method, the path, the form's fields (but those in `ignore`) and its files' names
    and contents: a browser sends the same form with another multipart boundary every time."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    fields = sorted((name, values) for name, values in request.POST.lists() if name not in ignore)
    digest.update(json.dumps(fields).encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(json.dumps([name, upload.name, upload.size]).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


# ---- the API's operations -------------------------------------------------------------------------

@dataclass
class _Retry:
    key: str
    fingerprint: str
    scope: str = ""
    claimed: bool = False


def idempotent(view):
    """For an API operation that creates or moves something (below `@router.post`): with an
    `Idempotency-Key` header, the operation and the keeping of its answer run in one transaction,
    and a request sent again gets the kept answer. Without the header, nothing changes.

    Two steps, because the key is the caller's and the caller is known only once ninja has checked
    the token: around ninja's run of the operation (`decorate_view`: the whole answer, rendered,
    which is what is kept) the transaction; inside it, after authentication, the claim."""

    KEYED.add(f"{view.__module__}.{view.__name__}")

    @wraps(view)
    def claim_then_act(request, *args, **kwargs):
        retry: _Retry | None = getattr(request, "idempotency", None)
        if retry is None:
            return view(request, *args, **kwargs)
        if not KEY_FORMAT.match(retry.key):
            raise ValidationFailed(_("Idempotency-Key 请求头须为1至255个可见ASCII字符（如 UUID）"),
                                   errors={HEADER: _("格式有误")})
        retry.scope = caller_scope(request)
        kept = claim(scope=retry.scope, key=retry.key, fingerprint=retry.fingerprint)
        if kept is not None:
            response = HttpResponse(kept.body, status=kept.status, content_type=kept.content_type)
            response[REPLAYED_HEADER] = "true"
            return response
        retry.claimed = True
        return view(request, *args, **kwargs)

    return decorate_view(_one_transaction)(claim_then_act)


def _one_transaction(run):
    @wraps(run)
    def run_once(request, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, **kwargs)
        retry = request.idempotency = _Retry(key=key, fingerprint=request_fingerprint(request))
        with transaction.atomic():
            response = run(request, **kwargs)
            if retry.claimed and 200 <= response.status_code < 300:
                remember(scope=retry.scope, key=retry.key, fingerprint=retry.fingerprint,
                         status=response.status_code, content_type=response.get("Content-Type", ""),
                         body=response.content.decode())
            elif response.status_code >= 500:
                transaction.set_rollback(True)  # what failed keeps nothing, as without a key
        return response

    return run_once
