"""Open redirects refused: a `next` parameter only ever leads to this site."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, default: str, *, field: str = "next") -> str:
    """The `next` value of the POST or GET data if it stays on this site, else `default`.

    Relative paths and absolute URLs on ALLOWED_HOSTS pass; other hosts, other schemes
    (javascript:, data:), protocol-relative `//evil.example` and backslash tricks do not.
    HTTPS is required for absolute URLs when the request itself is secure.
    """
    candidate = request.POST.get(field) or request.GET.get(field) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
