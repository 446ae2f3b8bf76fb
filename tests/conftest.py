import pytest

from tracker.celery import app as celery_app

collect_ignore = ["benchmarks"]
pytest_plugins = ["tests.fixtures.browser", "tests.fixtures.celery_worker"]


def pytest_configure(config):
    # Business-logic tests run tasks in-process; tests marked "worker" start a real one.
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Locmem storage is shared by every LocMemCache instance: start each test empty. The status
    # pages' per-process copies (tracker/incidents/cache.py) must not outlive a test either.
    from django.core.cache import cache

    from tracker.incidents.cache import forget_local_copies

    cache.clear()
    forget_local_copies()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ADMIN_REQUIRE_OTP = False
    settings.LOGIN_RATE_PER_IP = settings.LOGIN_RATE_PER_USERNAME = 0  # tests/security turns them on
