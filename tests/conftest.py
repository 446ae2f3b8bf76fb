import pytest

from tracker.celery import app as celery_app

collect_ignore = ["benchmarks"]


def pytest_configure(config):
    # Business-logic tests run tasks in-process; tests marked "worker" start a real one.
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.MEDIA_ROOT = tmp_path / "media"
