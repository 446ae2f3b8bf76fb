"""Signed links in every message: a contact's preferences page and one-click unsubscribe."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

PREFERENCES = "notifications.preferences"
UNSUBSCRIBE = "notifications.unsubscribe"


def make_token(contact_id: int, *, purpose: str) -> str:
    return signing.Signer(salt=purpose).sign(str(contact_id))


def read_token(token: str, *, purpose: str) -> int | None:
    """The contact id a token was made for, or None when it was altered or is malformed."""
    try:
        value = signing.Signer(salt=purpose).unsign(token[:200])
        return int(value)
    except (signing.BadSignature, ValueError):
        return None


class LinkMaker:
    """Absolute links for many contacts: reverse() once, sign per contact."""

    def __init__(self) -> None:
        self._preferences = settings.SITE_URL + reverse("notifications:preferences", args=["TOKEN"])
        self._unsubscribe = settings.SITE_URL + reverse("notifications:unsubscribe", args=["TOKEN"])

        self._made: dict[tuple[str, int], str] = {}

    def preferences(self, contact_id: int) -> str:
        key = (PREFERENCES, contact_id)
        if key not in self._made:
            self._made[key] = self._preferences.replace("TOKEN", make_token(contact_id, purpose=PREFERENCES))
        return self._made[key]

    def unsubscribe(self, contact_id: int) -> str:
        key = (UNSUBSCRIBE, contact_id)
        if key not in self._made:
            self._made[key] = self._unsubscribe.replace("TOKEN", make_token(contact_id, purpose=UNSUBSCRIBE))
        return self._made[key]
