"""Signed-in sessions of a user: recorded at login, touched now and then, ended one by one or all but this one.

Sessions are Django database sessions; a UserSession row describes one of them without holding
its key (a SHA-256 of it) or the client's address (only its /24 or /48 network).
"""

import hashlib
import ipaddress
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from tracker.customers.models import Contact

from .models import UserSession
from .net import client_ip

# A row's last-seen time is written at most this often (the session itself keeps the exact time).
TOUCH_EVERY_SECONDS = 5 * 60
USER_AGENT_MAX = 200


def session_key_digest(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def network_of(address: str) -> str:
    """The address's network, IPv4 /24 or IPv6 /48: enough to recognise a place, not a line."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _describe(request) -> dict[str, str]:
    return {
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
        "network": network_of(client_ip(request)),
    }


def user_session_record(*, request, user) -> None:
    """At login: a row for the new session key (login has already cycled it)."""
    session_key = request.session.session_key
    if not session_key:
        return
    UserSession.objects.update_or_create(
        session_key_hash=session_key_digest(session_key),
        defaults={"user": user, "last_seen_at": timezone.now(), **_describe(request)},
    )


def user_session_touch(*, request) -> None:
    """Last seen now; creates the row of a session opened before sessions were recorded."""
    session_key = request.session.session_key
    if not session_key:
        return
    UserSession.objects.update_or_create(
        session_key_hash=session_key_digest(session_key),
        defaults={"user": request.user, "last_seen_at": timezone.now(), **_describe(request)},
    )


def user_session_rekey(*, old_key: str, new_key: str) -> None:
    """The session got a new key (second factor verified): the row follows it.

    When a login recorded the new key itself (someone else signed in from this browser, which
    flushes the old session), the old row describes a session that is gone.
    """
    old = UserSession.objects.filter(session_key_hash=session_key_digest(old_key))
    if UserSession.objects.filter(session_key_hash=session_key_digest(new_key)).exists():
        old.delete()
    else:
        old.update(session_key_hash=session_key_digest(new_key))


def user_session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key_hash=session_key_digest(session_key)).delete()


def _oldest_live(now: datetime | None = None) -> datetime:
    # Older rows belong to sessions the idle timeout or the cookie age has already ended.
    idle = min(settings.SESSION_IDLE_TIMEOUT_MINUTES * 60, settings.SESSION_COOKIE_AGE)
    return (now or timezone.now()) - timedelta(seconds=idle + TOUCH_EVERY_SECONDS)


def user_session_list(*, user, current_key: str | None) -> list[UserSession]:
    """The user's live sessions, newest first; the current one is flagged `is_current`."""
    UserSession.objects.filter(user=user, last_seen_at__lt=_oldest_live()).delete()
    current = session_key_digest(current_key) if current_key else None
    rows = list(UserSession.objects.filter(user=user).order_by("-last_seen_at", "-pk"))
    for row in rows:
        row.is_current = row.session_key_hash == current
    return rows


def _delete_sessions(*, digests: set[str], keep_key: str | None = None) -> int:
    """Delete the Session rows whose key has one of these digests, through the session store
    (so a cached_db cache entry goes too). Keys are not stored, hence the pass over live sessions."""
    if not digests:
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    live_keys = Session.objects.filter(expire_date__gt=timezone.now()).values_list("session_key", flat=True)
    for key in live_keys.iterator(chunk_size=2000):
        if key != keep_key and session_key_digest(key) in digests:
            store(session_key=key).delete()
            ended += 1
    return ended


@transaction.atomic
def user_session_logout_others(*, user, current_key: str | None) -> int:
    """End every session of `user` but the current one; returns how many were ended."""
    others = UserSession.objects.filter(user=user)
    if current_key:
        others = others.exclude(session_key_hash=session_key_digest(current_key))
    digests = set(others.values_list("session_key_hash", flat=True))
    _delete_sessions(digests=digests, keep_key=current_key)
    others.delete()
    return len(digests)


# --- Personal data (tracker/security/privacy.py) ------------------------------------


def _export_sessions(contact: Contact) -> list[dict[str, Any]]:
    if contact.user_id is None:
        return []
    return [
        {
            "device": row.user_agent,
            "approximate_place": row.network,
            "signed_in_at": row.created_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
        }
        for row in UserSession.objects.filter(user_id=contact.user_id).order_by("pk")
    ]


def _erase_sessions(contact: Contact) -> None:
    if contact.user_id is None:
        return
    rows = UserSession.objects.filter(user_id=contact.user_id)
    _delete_sessions(digests=set(rows.values_list("session_key_hash", flat=True)))
    rows.delete()


def _retain_sessions(now: datetime) -> int:
    """Rows of sessions that have ended (idle or too old) go: their browser and network are kept no longer."""
    return UserSession.objects.filter(last_seen_at__lt=_oldest_live(now)).delete()[0]


def register_privacy() -> None:
    from .privacy import register

    register(name="sessions", export=_export_sessions, erase=_erase_sessions, retain=_retain_sessions)
