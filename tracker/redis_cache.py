"""Django's Redis cache backend, with one redis-py client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call. Each one copies
redis-py's table of response callbacks (about 80 µs here), and a signed-in request makes several cache calls
(session, user, throttles). A ``redis.Redis`` is safe to share between threads: it takes a connection from its
pool for each command.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        try:
            return self._clients[id(pool)]  # pools live as long as this object: their ids are not reused
        except KeyError:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
            return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
