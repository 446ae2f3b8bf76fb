"""Abuse controls for signing: canonical e-mail, disposable domains, IP hashes, rate limits."""

import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as django_cache

# Providers where dots in the local part do not matter.
DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Shared webmail providers: a per-domain limit on them would throttle honest signers.
# The domain limit catches catch-all domains that mint addresses in bulk.
LARGE_PROVIDERS = {
    "gmail.com", "outlook.com", "hotmail.com", "hotmail.fr", "live.com", "yahoo.com", "yahoo.fr", "icloud.com",
    "gmx.ch", "gmx.de", "gmx.net", "web.de", "t-online.de", "bluewin.ch", "orange.fr", "wanadoo.fr", "free.fr",
    "sfr.fr", "neuf.fr", "laposte.net", "libero.it", "proton.me", "protonmail.com",
}  # fmt: skip


def email_canonical(email: str) -> tuple[str, str]:
    """(canonical address, domain): lower case, no +tag, no dots for Gmail."""
    local, _, domain = email.strip().lower().rpartition("@")
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"[:254], domain[:253]


@cache
def disposable_domains() -> frozenset[str]:
    path = Path(__file__).with_name("disposable_domains.txt")
    lines = (line.strip().lower() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_disposable(domain: str) -> bool:
    parts = domain.lower().split(".")
    # sub.mailinator.com is mailinator.com too.
    return any(".".join(parts[i:]) in disposable_domains() for i in range(len(parts) - 1))


def ip_hash(*, salt: str, ip: str) -> str:
    return hashlib.sha256(f"{salt}:{ip}".encode()).hexdigest()


def rate_limited(key: str, *, limit: int, window: int) -> bool:
    """Count one hit on key; True once more than limit hits fell in the window (fixed window). 0: no limit."""
    if limit <= 0:
        return False
    full = f"petitions:rl:{key}"
    django_cache.add(full, 0, timeout=window)
    try:
        hits = django_cache.incr(full)
    except ValueError:  # expired between add and incr
        django_cache.set(full, 1, timeout=window)
        hits = 1
    return hits > limit


def limits() -> dict[str, int]:
    return {
        "ip": getattr(settings, "PETITIONS_SIGNATURES_PER_IP_PER_HOUR", 10),
        "domain": getattr(settings, "PETITIONS_SIGNATURES_PER_DOMAIN_PER_HOUR", 200),
    }
