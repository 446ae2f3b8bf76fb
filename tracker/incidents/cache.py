"""The public status pages' cache: anonymous hits never touch the database.

A page is keyed by its path (never the query string, so ``?x=1`` cannot bypass
it) and the active language, under a version that every publish, correction
and resolution bumps (after commit). Each process also keeps the pages it
served last under the same version, so a hit costs one shared-cache read.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

VERSION_KEY = "incidents:status:version"
# Only paths under the status pages' prefix are looked up.
PREFIX = "/status/"
# Pages also show times relative to now (uptime bars, overdue updates): rebuild at least this often.
PAGE_TTL = 60
BROWSER_MAX_AGE = 15
_LOCAL_MAX = 256
# key -> (content, content type, expiry as a Unix time)
_local: OrderedDict[str, tuple[bytes, str, float]] = OrderedDict()


# Other processes see a new version within this many seconds; the process that publishes, at once.
VERSION_MEMO_SECONDS = 1.0
_version_memo: list = [None, 0.0]  # [version, monotonic expiry]


def status_cache_version() -> str:
    now = time.monotonic()
    if _version_memo[0] is not None and _version_memo[1] > now:
        return _version_memo[0]
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY) or version
    _version_memo[:] = [version, now + VERSION_MEMO_SECONDS]
    return version


def status_cache_invalidate() -> None:
    """Every cached public page goes stale at once (call it after commit)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    forget_local_copies()


def forget_local_copies() -> None:
    """Drop this process's copies (the shared cache decides again)."""
    _version_memo[:] = [None, 0.0]
    _local.clear()
    _responses.clear()


def is_anonymous(request: HttpRequest) -> bool:
    # The cookie, not request.user: looking at the user would read the session.
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def _key(version: str, request: HttpRequest, language: str | None = None) -> str:
    language = language or get_language()
    digest = hashlib.sha256(request.path.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return f"incidents:status:page:{version}:{language}:{digest}"


def _response(content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    patch_vary_headers(response, ["Cookie"])
    return response


def public_cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve anonymous GET/HEAD from the cache; the view renders without touching the user.

    The view receives ``anonymous=True`` when its page will be shared: it must
    then render with a plain context (no user, no CSRF token, no session).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or not is_anonymous(request):
            return view(request, *args, anonymous=False, **kwargs)
        key = _key(status_cache_version(), request)
        now = time.time()
        hit = _local.get(key)
        if hit is None or hit[2] <= now:
            hit = cache.get(key)
            if hit is not None:
                _remember(key, hit)
        if hit is not None and hit[2] > now:
            response = _response(hit[0], hit[1])
            response.status_shareable = True
            return response
        response = view(request, *args, anonymous=True, **kwargs)
        if response.status_code == 200 and not response.streaming:
            entry = (response.content, response["Content-Type"], now + PAGE_TTL)
            cache.set(key, entry, PAGE_TTL)
            _remember(key, entry)
            response = _response(entry[0], entry[1])
            response.status_shareable = True
        return response

    return wrapper


def _remember(key: str, entry: tuple[bytes, str, float]) -> None:
    # A local copy is valid while its version is current and until the shared copy's expiry.
    if len(_local) >= _LOCAL_MAX:
        _local.popitem(last=False)
    _local[key] = entry


# --- Whole responses, served before the rest of the middleware --------------------------------------------------

# key -> (content, [(header, value), ...], expiry as a Unix time)
_responses: OrderedDict[str, tuple[bytes, list[tuple[str, str]], float]] = OrderedDict()
# Headers that belong to one response only, never replayed.
_NOT_REPLAYED = {"set-cookie", "date", "content-length"}


class StatusPageCacheMiddleware:
    """Serves shared status pages to anonymous visitors without running the rest of the stack.

    Placed right after SecurityMiddleware (which still redirects to HTTPS and adds its
    headers). A response marked ``status_shareable`` by a ``public_cached`` view is kept
    with the headers the inner middleware gave it (CSP, frame options...) except cookies;
    the next anonymous GET of the same path and language gets it back with no session,
    no user, no database. Pages stay valid under the version bumped on every publish.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not request.path.startswith(PREFIX) or not is_anonymous(request):
            return self.get_response(request)
        request.get_host()  # a Host outside ALLOWED_HOSTS is still refused (400)
        language = translation.get_language_from_request(request)
        key = _key(status_cache_version(), request, language)
        now = time.time()
        hit = _responses.get(key)
        if hit is None or hit[2] <= now:
            hit = cache.get(f"{key}:full")
            if hit is not None:
                _keep(_responses, key, hit)
        if hit is not None and hit[2] > now:
            response = HttpResponse(hit[0])
            for header, value in hit[1]:
                response.headers[header] = value
            response.headers["Content-Length"] = str(len(hit[0]))
            return response
        response = self.get_response(request)
        if getattr(response, "status_shareable", False) and response.status_code == 200 and not response.cookies:
            headers = [(h, v) for h, v in response.items() if h.lower() not in _NOT_REPLAYED]
            entry = (response.content, headers, now + PAGE_TTL)
            cache.set(f"{key}:full", entry, PAGE_TTL)
            _keep(_responses, key, entry)
        return response


def _keep(store: OrderedDict, key: str, entry) -> None:
    if len(store) >= _LOCAL_MAX:
        store.popitem(last=False)
    store[key] = entry
