"""Django's Redis cache, keeping one redis-py client per connection pool.

Django builds a new `redis.Redis` object for every cache call, which costs more than the call
itself; every signed-in page makes several (session, access, versions, the page), so the
client is built once per pool and shared. redis-py clients are safe to share between threads.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
