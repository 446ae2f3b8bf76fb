"""Recovery codes as a django-otp device, stored as salted digests.

django-otp's own static device keeps its 8-character codes in clear text; ASVS 5.0 6.5.2 asks
for lookup secrets to be hashed. These codes carry 120 bits each (24 base32 characters), so a
salted SHA-256 is enough (6.5.2 allows a plain hash from 112 bits on).
"""

import hashlib
import hmac
import secrets
from base64 import b32encode

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

RECOVERY_CODE_COUNT = 10


def _new_salt() -> str:
    return secrets.token_hex(16)


def normalize_code(token: str) -> str:
    return "".join(ch for ch in str(token).upper() if ch.isalnum())[:64]


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


class RecoveryCodeDevice(ThrottlingMixin, Device):
    salt = models.CharField(_("salt"), max_length=32, default=_new_salt, editable=False)
    digests = models.JSONField(_("unused code digests"), default=list, editable=False)

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def _digest(self, code: str) -> str:
        return hashlib.sha256(f"{self.salt}:{normalize_code(code)}".encode()).hexdigest()

    def generate_codes(self, count: int = RECOVERY_CODE_COUNT) -> list[str]:
        """New codes replace all old ones; the clear text is returned once and never stored."""
        codes = [b32encode(secrets.token_bytes(15)).decode() for _ in range(count)]
        self.salt = _new_salt()
        self.digests = [self._digest(code) for code in codes]
        return [format_code(code) for code in codes]

    @property
    def remaining(self) -> int:
        return len(self.digests)

    def verify_token(self, token) -> bool:
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        candidate = self._digest(str(token))
        match = next((d for d in self.digests if hmac.compare_digest(d, candidate)), None)
        if match is None:
            self.throttle_increment(commit=True)
            return False
        self.digests = [d for d in self.digests if d != match]
        self.throttle_reset(commit=False)
        self.save(update_fields=["digests", "throttling_failure_timestamp", "throttling_failure_count"])
        return True

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)


class UserSession(models.Model):
    """One signed-in browser of a user, for the "your sessions" page.

    Holds a SHA-256 of the session key (never the key), a shortened user agent and the
    address's network (IPv4 /24, IPv6 /48), never the address itself.
    """

    session_key_hash = models.CharField(_("session key digest"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_sessions", verbose_name=_("user")
    )
    user_agent = models.CharField(_("device"), max_length=200, blank=True)
    network = models.CharField(_("approximate place"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("signed in at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="security_usersession_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.user_agent[:40]}"
