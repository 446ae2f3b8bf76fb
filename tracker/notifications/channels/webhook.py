"""Webhooks signed per the Standard Webhooks specification (webhook-id, -timestamp, -signature)."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from ..validators import resolve_public_host
from . import PermanentFailure, TemporaryFailure

# Tests plug an httpx.MockTransport here (the network is the process boundary).
transport: httpx.BaseTransport | None = None


def signed_headers(*, secret: str, msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id, timestamp, body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def send(*, url: str, secret: str, delivery_id: int, event_type: str, payload: dict) -> str:
    msg_id = f"msg_delivery_{delivery_id}"  # the same on every retry: receivers deduplicate on it
    now = timezone.now()
    body = json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": payload}, separators=(",", ":"))
    try:
        # Resolve again right before sending: the DNS answer may have changed since the URL was saved.
        resolve_public_host(url)
    except ValidationError as exc:
        raise PermanentFailure("; ".join(exc.messages)) from exc
    headers = signed_headers(secret=secret, msg_id=msg_id, timestamp=now, body=body)
    try:
        with httpx.Client(
            timeout=settings.NOTIFY_WEBHOOK_TIMEOUT, transport=transport, follow_redirects=False
        ) as client:
            response = client.post(url, content=body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        raise TemporaryFailure(f"Webhook unreachable: {exc.__class__.__name__}") from exc
    if 200 <= response.status_code < 300:
        return msg_id
    # Every non-2xx answer is retried: the receiver may be redeploying.
    raise TemporaryFailure(f"Webhook answered {response.status_code}")
