"""Checks on what users type: webhook addresses must not reach inside our network (no SSRF)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast)


def resolve_public_host(url: str) -> None:
    """Raise ValidationError unless every address the URL's host resolves to is public.

    Called when the URL is saved and again before each request (the DNS answer may change).
    Outside DEBUG only: a developer may point a webhook at a local receiver.
    """
    if settings.DEBUG:
        return
    host = urlsplit(url).hostname
    if not host:
        raise ValidationError(_("Enter a complete address."), code="invalid")
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise ValidationError(
            _("The host %(host)s cannot be found.") % {"host": host[:100]}, code="unresolvable"
        ) from None
    if not infos or not all(_is_public(info[4][0]) for info in infos):
        raise ValidationError(
            _("The host %(host)s is not on the public internet.") % {"host": host[:100]}, code="private"
        )


def validate_webhook_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme != "https" and not settings.DEBUG:
        raise ValidationError(_("The webhook address must start with https://."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(_("The webhook address must not contain a user name or password."), code="userinfo")
    resolve_public_host(value)
