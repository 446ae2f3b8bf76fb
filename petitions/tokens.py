"""Signed, expiring tokens for the confirmation and withdrawal links."""

from django.conf import settings
from django.core import signing

CONFIRM = "confirm"
WITHDRAW = "withdraw"


class TokenError(Exception):
    def __init__(self, *, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def max_age(action: str) -> int:
    if action == CONFIRM:
        return getattr(settings, "PETITIONS_CONFIRM_DAYS", 7) * 86400
    return getattr(settings, "PETITIONS_WITHDRAW_DAYS", 365) * 86400


def make(*, signature_id: int, action: str, slug: str = "") -> str:
    """A signed link token; with the petition's slug the confirmation needs no lookup to redirect."""
    payload = [signature_id, slug] if slug else signature_id
    return signing.dumps(payload, salt=f"petitions.signature.{action}")


def read(token: str, *, action: str) -> int:
    return read_payload(token, action=action)[0]


def read_payload(token: str, *, action: str) -> tuple[int, str]:
    """(signature id, petition slug or "") from a token; TokenError when tampered with or too old."""
    if len(token) > 300:
        raise TokenError(expired=False)
    try:
        value = signing.loads(token, salt=f"petitions.signature.{action}", max_age=max_age(action))
    except signing.SignatureExpired:
        raise TokenError(expired=True) from None
    except signing.BadSignature:
        raise TokenError(expired=False) from None
    slug = ""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
        value, slug = value
    if not isinstance(value, int) or isinstance(value, bool):
        raise TokenError(expired=False)
    return value, slug[:80]
