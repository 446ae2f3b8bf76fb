"""The notification engine's interface for its callers.

The engine never imports the apps that use it. An app describes each kind of
message it sends with a MessageKind subclass and registers it in its
AppConfig.ready(); then it calls services.notification_job_create() inside its
own transaction. The engine stores the kind's key and JSON params on the job,
and asks the kind, after commit, whom to tell and what to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from tracker.customers.models import Contact, Subscription

    from .models import NotificationJob


@dataclass(frozen=True)
class Message:
    """One message in one language; the engine adds the per-contact links."""

    subject: str
    text: str
    html: str = ""
    sms: str = ""
    # JSON-serialisable body of the webhook event, without personal data.
    payload: dict[str, Any] = field(default_factory=dict)


class MessageKind:
    key: str = ""
    # Contacts may mute a kind by its category (e.g. "incident", "complaint").
    category: str = ""

    def audience(self, job: NotificationJob) -> QuerySet[Contact]:
        """Every contact to tell. A plain queryset: the engine expands it in SQL."""
        raise NotImplementedError

    def render(self, job: NotificationJob, *, language: str) -> Message:
        """The message in one of fr, de, it, en (called once per language per batch)."""
        raise NotImplementedError

    def broken_subscriptions(self, job: NotificationJob) -> QuerySet[Subscription] | None:
        """Subscriptions the outage behind this job takes down, or None.

        When one of them is for a service that carries a channel (Fixed e-mail
        carries e-mail), that channel is broken for the business's contacts and
        the engine reaches them on another one instead.
        """
        return None


_registry: dict[str, MessageKind] = {}


def register(kind: MessageKind) -> MessageKind:
    if not kind.key:
        raise ValueError("A message kind needs a key.")
    _registry[kind.key] = kind
    return kind


def get_kind(key: str) -> MessageKind:
    return _registry[key]


def registered_keys() -> list[str]:
    return sorted(_registry)
