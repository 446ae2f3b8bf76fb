"""Bearer tokens (hashed at rest) and session authentication with CSRF."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiToken
from .services import PREFIX_LENGTH, token_digest

# last_used_at is written at most this often per token: one UPDATE per minute, not per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 100


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``; the token's first characters find the row, digests are compared."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Authorization: Bearer <token>."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return self.authenticate_credentials(token)

    def authenticate_credentials(self, token: str):
        if not PREFIX_LENGTH < len(token) <= MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = ApiToken.objects.select_related("user").filter(prefix=token[:PREFIX_LENGTH]).first()
        # Compare even when no row matched, so that timing does not tell which prefixes exist.
        expected = row.digest if row is not None else "0" * 64
        if not hmac.compare_digest(expected, token_digest(token)) or row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not row.is_active:
            raise exceptions.AuthenticationFailed(_("This token was revoked or has expired."))
        if not row.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        now = timezone.now()
        if row.last_used_at is None or row.last_used_at < now - LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=row.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
        return row.user, row

    def authenticate_header(self, request) -> str:
        # Makes unauthenticated requests answer 401 with WWW-Authenticate, not 403.
        return self.keyword
