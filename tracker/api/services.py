"""Writes of the API app: issuing and revoking tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ApiToken

PREFIX_LENGTH = 8


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Issue a token; returns the row and the secret, which is never stored and cannot be shown again."""
    for _attempt in range(5):
        token = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                row = ApiToken.objects.create(
                    user=user,
                    name=(name or "").strip()[:100],
                    prefix=token[:PREFIX_LENGTH],
                    digest=token_digest(token),
                    expires_at=expires_at,
                )
        except IntegrityError:  # same prefix as another token: draw again
            continue
        return row, token
    raise RuntimeError("Could not draw a unique token prefix.")


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke at once; revoking twice keeps the first time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token
