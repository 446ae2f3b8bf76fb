"""Throttles per user and per client IP; rates read from settings.API_THROTTLE_RATES at each request."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    # DRF reads its rates once at import; reading them here lets the environment and tests set them.
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonThrottle(_SettingsRateThrottle):
    """Anonymous requests, per IP."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserThrottle(_SettingsRateThrottle):
    """Authenticated requests, per user."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class IpThrottle(_SettingsRateThrottle):
    """Every request, per client IP: many accounts behind one address are still bounded."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignThrottle(_SettingsRateThrottle):
    """Petition signatures, per IP (on top of the petitions app's own abuse controls)."""

    scope = "sign"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BatchedThrottlesMixin:
    """Checks a view's throttles with one cache read and one cache write per request, not one of each per throttle.

    The same sliding window as DRF's ``SimpleRateThrottle.allow_request``, for every throttle in turn: each keeps
    its own history, only the throttles that allow the request record it, and a throttle that refuses sets the
    wait. Throttles of other kinds are asked one by one, as DRF does.
    """

    def check_throttles(self, request):
        durations = []
        batched = []
        for throttle in self.get_throttles():
            if not isinstance(throttle, _SettingsRateThrottle):
                if not throttle.allow_request(request, self):
                    durations.append(throttle.wait())
                continue
            throttle.rate = throttle.get_rate()
            if throttle.rate is None:
                continue
            throttle.num_requests, throttle.duration = throttle.parse_rate(throttle.rate)
            throttle.key = throttle.get_cache_key(request, self)
            if throttle.key is not None:
                batched.append(throttle)
        if batched:
            cache = batched[0].cache
            histories = cache.get_many(list(dict.fromkeys(t.key for t in batched)))
            changed: dict[int, dict] = {}  # timeout -> {key: history}
            for throttle in batched:
                throttle.history = list(histories.get(throttle.key, []))
                throttle.now = throttle.timer()
                while throttle.history and throttle.history[-1] <= throttle.now - throttle.duration:
                    throttle.history.pop()
                if len(throttle.history) >= throttle.num_requests:
                    durations.append(throttle.wait())
                    continue
                throttle.history.insert(0, throttle.now)
                histories[throttle.key] = throttle.history
                changed.setdefault(throttle.duration, {})[throttle.key] = throttle.history
            for timeout, values in changed.items():
                cache.set_many(values, timeout)
        if durations:
            # As DRF: None (a rate changed since) does not count; the longest wait is announced.
            self.throttled(request, max((d for d in durations if d is not None), default=None))
