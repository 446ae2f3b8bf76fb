"""The Redis cache backend reuses its redis-py client; CACHE_URL=redis://... selects it."""

import os
import socket
import subprocess
import sys
import threading

import pytest
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

from tracker.redis_cache import RedisCache, RedisCacheClient

from .test_settings import ROOT

SERVER = "redis://127.0.0.1:6379/11"


def test_one_client_per_pool_not_one_per_call():
    client = RedisCacheClient([SERVER])  # building clients does not connect

    first = client.get_client(write=True)

    assert client.get_client(write=False) is first
    assert client.get_client("any-key") is first
    assert first.connection_pool is client._get_connection_pool(write=True)
    # Django's own client makes a new one per call: what this class avoids.
    django_client = DjangoRedisCacheClient([SERVER])
    assert django_client.get_client() is not django_client.get_client()


def test_reads_from_replicas_with_their_own_client():
    client = RedisCacheClient([SERVER, "redis://127.0.0.1:6380/11"])

    writer = client.get_client(write=True)
    reader = client.get_client(write=False)

    assert writer is not reader
    assert reader.connection_pool.connection_kwargs["port"] == 6380
    assert client.get_client(write=False) is reader


def test_a_redis_cache_url_selects_this_backend():
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default'])"
    env = {**os.environ, "CACHE_URL": SERVER, "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "'BACKEND': 'tracker.redis_cache.RedisCache'" in result.stdout
    assert f"'LOCATION': '{SERVER}'" in result.stdout


def _redis_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_running(), reason="needs a Redis server on 127.0.0.1:6379")
def test_the_shared_client_serves_threads_at_once():
    cache = RedisCache(SERVER, {"KEY_PREFIX": "redis-cache-test"})
    errors = []

    def work(n):
        try:
            for i in range(50):
                cache.set(f"k{n}-{i}", (n, i), 30)
                assert cache.get(f"k{n}-{i}") == (n, i)
        except Exception as exc:  # reported below, from the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert cache.get_many([f"k{n}-49" for n in range(8)]) == {f"k{n}-49": (n, 49) for n in range(8)}
    cache.delete_many([f"k{n}-{i}" for n in range(8) for i in range(50)])
