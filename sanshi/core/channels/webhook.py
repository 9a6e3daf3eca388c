"""Webhooks: the JSON body POSTed to an endpoint, signed with HMAC-SHA256.

Headers: `X-Sanshi-Delivery` (the delivery's UUID: the same on every retry, so receivers can
drop duplicates), `X-Sanshi-Event` (the notification kind), `X-Sanshi-Timestamp` (Unix seconds)
and `X-Sanshi-Signature: sha256=<hex>` over `<timestamp>.<body>` with the endpoint's secret.
Any answer other than 2xx, a redirect, a refused connection or a timeout is a failure."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit


class WebhookFailed(Exception):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is reported as the 3xx it is, never followed with the body


_opener = urllib.request.build_opener(_NoRedirects)


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def check_url(url: str) -> None:
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookFailed("webhook URL must start with http:// or https://")


def send_webhook(*, url: str, payload: dict, secret: str, delivery_id: str, event: str, timeout: float) -> int:
    """POST the payload once; return the HTTP status, raise WebhookFailed otherwise."""
    check_url(url)
    body = encode(payload)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "sanshi-webhook/1",
               "X-Sanshi-Delivery": delivery_id, "X-Sanshi-Event": event, "X-Sanshi-Timestamp": timestamp}
    if secret:
        headers["X-Sanshi-Signature"] = signature(secret, timestamp, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 — scheme checked
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise WebhookFailed(f"connection failed: {exc.reason}") from None
    except TimeoutError:
        raise WebhookFailed(f"no answer within {timeout:g} s") from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"HTTP {status}")
    return status
