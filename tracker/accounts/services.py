"""One-time login links: signed, short-lived, bound to the last login so that a used link is dead."""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

SALT = "tracker.accounts.login-link"
MAX_AGE_SECONDS = 15 * 60


def _last_login_stamp(user) -> str:
    return user.last_login.isoformat() if user.last_login else ""


def login_link_token(*, user) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"u": user.pk, "l": _last_login_stamp(user)}, compress=True)


def _used_key(token: str) -> str:
    return "login-link-used:" + hashlib.sha256(token.encode()).hexdigest()


def login_link_user(*, token: str):
    """The user a valid, unused link belongs to, or None."""
    if len(token) > 400:
        return None
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or cache.get(_used_key(token)):
        return None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or _last_login_stamp(user) != data.get("l"):
        return None
    return user


def login_link_consume(*, token: str) -> None:
    """Remember a used link's hash (logging in also moves last_login, which kills it)."""
    cache.set(_used_key(token), 1, timeout=MAX_AGE_SECONDS + 60)


def login_link_users_for(*, email: str):
    User = get_user_model()
    return (
        User.objects.filter(is_active=True).filter(Q(email__iexact=email) | Q(contact__email__iexact=email)).distinct()
    )


def login_link_send(*, user_id: int, language: str) -> bool:
    """Send the link by e-mail (from a task, never inside the request)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).select_related("contact").first()
    if user is None:
        return False
    contact = getattr(user, "contact", None)
    to = user.email or (contact.email if contact else "")
    if not to:
        return False
    url = settings.SITE_URL + reverse("accounts:login_link", args=[login_link_token(user=user)])
    with override(language):
        EmailMessage(
            subject=_("Your login link"),
            body=_(
                "Hello,\n\nUse this link within %(minutes)s minutes to log in. It works once.\n\n%(url)s\n\n"
                "If you did not ask for it, ignore this message."
            )
            % {"minutes": MAX_AGE_SECONDS // 60, "url": url},
            to=[to],
        ).send()
    return True
