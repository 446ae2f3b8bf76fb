"""Fixed-window counters in the cache: per client IP and per business."""

from django.core.cache import cache


def client_ip(request) -> str:
    # Behind a proxy, the production config sets REMOTE_ADDR from the trusted header (gunicorn's forwarded_allow_ips).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(*, key: str, limit: int, window: int) -> bool:
    """Count one hit; False when the limit is exceeded. A limit of 0 means no limit."""
    if limit <= 0:
        return True
    cache_key = f"ratelimit:{key}"
    if cache.add(cache_key, 1, timeout=window):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window)
        return True
    return count <= limit
