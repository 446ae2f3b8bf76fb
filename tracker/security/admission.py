"""Admission limit on password checks, so slow password hashing cannot be turned into a denial of service.

Two limits, checked before a password is hashed:
- a rate per client address and per username within a short window (shared through the cache, so it
  holds across web processes); a known user is slowed for at most one window, never locked out;
- a concurrency limit per process: at most LOGIN_MAX_CONCURRENT_HASHES hashes at once; a request
  that waits longer than a few seconds for a slot is refused.
"""

import hashlib
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

_semaphore: threading.BoundedSemaphore | None = None
_semaphore_size = 0
_lock = threading.Lock()
SLOT_WAIT_SECONDS = 3.0


class LoginAdmissionDenied(Exception):
    def __init__(self, retry_after: int):
        super().__init__("login admission refused")
        self.retry_after = retry_after


def _slots() -> threading.BoundedSemaphore:
    global _semaphore, _semaphore_size
    size = max(1, settings.LOGIN_MAX_CONCURRENT_HASHES)
    with _lock:
        if _semaphore is None or _semaphore_size != size:
            _semaphore, _semaphore_size = threading.BoundedSemaphore(size), size
        return _semaphore


def _over_limit(key: str, limit: int, window: int) -> bool:
    if limit <= 0:
        return False
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def check_rate(*, ip: str, username: str) -> None:
    window = settings.LOGIN_RATE_WINDOW_SECONDS
    bucket = int(time.time() // window)
    retry_after = window - int(time.time() % window)
    # The username is hashed: no personal data in cache keys.
    user_key = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    over_ip = _over_limit(f"login-admission:ip:{ip}:{bucket}", settings.LOGIN_RATE_PER_IP, window)
    over_user = _over_limit(f"login-admission:user:{user_key}:{bucket}", settings.LOGIN_RATE_PER_USERNAME, window)
    if over_ip or over_user:
        raise LoginAdmissionDenied(retry_after=retry_after)


@contextmanager
def password_check_admitted(*, ip: str, username: str):
    """Raise LoginAdmissionDenied, or run the block holding one hashing slot."""
    check_rate(ip=ip, username=username)
    slots = _slots()
    if not slots.acquire(timeout=SLOT_WAIT_SECONDS):
        raise LoginAdmissionDenied(retry_after=1)
    try:
        yield
    finally:
        slots.release()
