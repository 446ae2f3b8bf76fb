import pytest
from django.core.cache import cache

from tracker.incidents import cache as status_cache


@pytest.fixture(autouse=True)
def _fresh_status_cache():
    # Locmem caches and the per-process page copies outlive a test; ids may be reused.
    cache.clear()
    status_cache.forget_local_copies()
    yield
    cache.clear()
    status_cache.forget_local_copies()
