"""The outcome of one delivery attempt, and how an HTTP exchange maps to it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status: int | None  # HTTP status or SMTP reply code; None when nothing answered
    error: str = ""
    retryable: bool = False  # worth another attempt later (timeouts, 5xx, 429, rate limits)


OK = DeliveryResult(True, 200)

# 408 Request Timeout and 429 Too Many Requests are the 4xx that may pass on their own; other 4xx answers
# (bad token, bad payload, revoked robot) will not improve by retrying and go straight to "undelivered".
_RETRYABLE_4XX = {408, 429}

BodyCheck = Callable[[Any], DeliveryResult | None]


def post_json(
    url: str, payload: dict, *, timeout: float, check_body: BodyCheck | None = None
) -> DeliveryResult:
    """POST JSON; network failures and 5xx/408/429 are retryable. `check_body` reads a 2xx answer for the
    errors chat robots report inside a 200 (an `errcode`), returning a result or None for success."""
    try:
        response = httpx.post(url, json=payload, timeout=timeout)
    except httpx.TimeoutException as exc:
        return DeliveryResult(False, None, f"timed out after {timeout}s: {type(exc).__name__}", True)
    except httpx.HTTPError as exc:
        return DeliveryResult(False, None, f"could not reach {_host(url)}: {exc}", True)
    status = response.status_code
    if status >= 300:
        retryable = status >= 500 or status in _RETRYABLE_4XX
        return DeliveryResult(False, status, f"HTTP {status}: {response.text[:200]}", retryable)
    if check_body is not None:
        try:
            body = response.json()
        except ValueError:
            return DeliveryResult(False, status, f"answer is not JSON: {response.text[:200]}", False)
        verdict = check_body(body)
        if verdict is not None:
            return verdict
    return DeliveryResult(True, status)


def errcode_check(
    ok_code: int, code_field: str, message_field: str, retry_codes: frozenset[int]
) -> BodyCheck:
    """A body check for robots answering {code_field: 0, message_field: "ok"} inside HTTP 200."""

    def check(body: Any) -> DeliveryResult | None:
        code = body.get(code_field, ok_code) if isinstance(body, dict) else ok_code
        if code == ok_code:
            return None
        message = body.get(message_field, "") if isinstance(body, dict) else ""
        return DeliveryResult(False, 200, f"{code_field} {code}: {message}", code in retry_codes)

    return check


def _host(url: str) -> str:
    return httpx.URL(url).host or url
