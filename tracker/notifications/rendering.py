"""A kind's message wrapped in the e-mail layout, once per language; per-contact links added by replace()."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .kinds import Message, MessageKind

PREFERENCES_MARK = "@@PREFERENCES_URL@@"
UNSUBSCRIBE_MARK = "@@UNSUBSCRIBE_URL@@"
_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def contact_language(contact) -> str:
    """The contact's language, else the business's, else English."""
    if contact.language in _LANGUAGES:
        return contact.language
    business = contact.business if contact.business_id else None
    if business is not None and business.language in _LANGUAGES:
        return business.language
    return "en"


@dataclass(frozen=True)
class Rendering:
    language: str
    message: Message
    text: str
    html: str
    sms: str

    def email_text(self, links, contact_id: int) -> str:
        return self._links(self.text, links, contact_id)

    def email_html(self, links, contact_id: int) -> str:
        return self._links(self.html, links, contact_id)

    def sms_text(self, links, contact_id: int) -> str:
        return self.sms.replace(PREFERENCES_MARK, links.preferences(contact_id))

    @staticmethod
    def _links(body: str, links, contact_id: int) -> str:
        # Signed tokens hold only [A-Za-z0-9_:-]: safe in HTML without escaping.
        return body.replace(PREFERENCES_MARK, links.preferences(contact_id)).replace(
            UNSUBSCRIBE_MARK, links.unsubscribe(contact_id)
        )


def render(kind: MessageKind, job, *, language: str) -> Rendering:
    with translation.override(language):
        message = kind.render(job, language=language)
        context = {
            "message": message,
            "language": language,
            "preferences_url": PREFERENCES_MARK,
            "unsubscribe_url": UNSUBSCRIBE_MARK,
            "site_url": settings.SITE_URL,
        }
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
        sms = render_to_string("notifications/sms/message.txt", context).strip()
    return Rendering(language=language, message=message, text=text, html=html, sms=sms)
