"""Sign-in backends whose per-request user lookup is served from the cache.

Every signed-in request loads its user; the cached copy is kept under the user's version
(chapters/freshness.py), which any save of the user (a new password, deactivation, the staff
flag, a name) renews, so a change applies from the very next request.
"""

from allauth.account import auth_backends
from django.contrib.auth import backends

from chapters import freshness


class _CachedUser:
    def get_user(self, user_id):
        return freshness.cached(
            f"signed-in-user:{user_id}",
            [("user", user_id)],
            lambda: (super(_CachedUser, self).get_user(user_id), freshness.PAGE_SECONDS),
        )


class ModelBackend(_CachedUser, backends.ModelBackend):
    pass


class AuthenticationBackend(_CachedUser, auth_backends.AuthenticationBackend):
    pass
