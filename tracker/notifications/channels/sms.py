"""SMS backends. settings.SMS_BACKEND names the class; every backend has send(to=, body=, idempotency_key=)."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from . import PermanentFailure, TemporaryFailure

logger = logging.getLogger(__name__)


class BaseSmsBackend:
    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints each SMS on standard output (development)."""

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        sys.stdout.write(f"SMS to {to} [{idempotency_key}]: {body}\n")
        sys.stdout.flush()
        return f"console-{idempotency_key}"


class FileSmsBackend(BaseSmsBackend):
    """Appends each SMS as one JSON line to a file per day under SMS_FILE_PATH (the default)."""

    _lock = threading.Lock()

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": to, "body": body, "idempotency_key": idempotency_key, "at": timezone.now().isoformat()},
            ensure_ascii=False,
        )
        with self._lock, (folder / f"{timezone.now():%Y-%m-%d}.jsonl").open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")
        return f"file-{idempotency_key}"


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in LocmemSmsBackend.outbox (tests)."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        type(self).outbox.append({"to": to, "body": body, "idempotency_key": idempotency_key})
        return f"locmem-{idempotency_key}"


class HttpSmsBackend(BaseSmsBackend):
    """POSTs {"to", "body"} as JSON to SMS_GATEWAY_URL with a bearer token and an Idempotency-Key."""

    transport: httpx.BaseTransport | None = None  # tests plug an httpx.MockTransport here

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        if not settings.SMS_GATEWAY_URL:
            raise PermanentFailure("SMS_GATEWAY_URL is not set.")
        try:
            with httpx.Client(timeout=10.0, transport=self.transport, follow_redirects=False) as client:
                response = client.post(
                    settings.SMS_GATEWAY_URL,
                    json={"to": to, "body": body},
                    headers={
                        "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
                        "Idempotency-Key": idempotency_key,
                    },
                )
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"SMS gateway unreachable: {exc.__class__.__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryFailure(f"SMS gateway answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentFailure(f"SMS gateway refused the message: {response.status_code} {response.text[:200]}")
        try:
            provider_id = str(response.json().get("id") or "")
        except (ValueError, AttributeError):
            provider_id = ""
        return provider_id or f"gateway-{idempotency_key}"


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
