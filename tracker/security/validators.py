"""Passwords: words of this service's own context are refused (ASVS 5.0 6.1.2, 6.2.11)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class ContextWordsValidator:
    """Refuses a password that contains a word everyone associates with this service."""

    def __init__(self, words: list[str] | None = None):
        self.words = [w.lower() for w in (words or settings.SECURITY_PASSWORD_CONTEXT_WORDS)]

    def validate(self, password, user=None):
        lowered = password.lower()
        found = next((word for word in self.words if word in lowered), None)
        if found:
            raise ValidationError(
                _("Your password may not contain the word “%(word)s”: it is too easy to guess here.") % {"word": found},
                code="password_context_word",
            )

    def get_help_text(self):
        return _("Your password may not contain words tied to this service, such as its name.")
