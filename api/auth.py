"""How the API knows its caller: a personal token in the Authorization header, and a rate limit per token."""

import time

from django.conf import settings
from django.core.cache import cache
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from . import services

RATE_WINDOW_SECONDS = 60


class TokenAuth(HttpBearer):
    """``Authorization: Bearer atmp_…``: the token's owner is the user of the request, with their rights."""

    def authenticate(self, request, token):
        found = services.token_for(token)
        if found is None:
            return None
        # The pages' permission questions then ask about this user; the audit trail records them too.
        request.user = found.user
        return found


class TokenRateLimit(BaseThrottle):
    """At most ``API_RATE_LIMIT`` calls per token in each minute: a fixed window counted in the cache."""

    def allow_request(self, request) -> bool:
        window = int(time.time() // RATE_WINDOW_SECONDS)
        key = f"api-rate:{request.auth.pk}:{window}"
        # add() then incr() are atomic in Redis and in the local-memory cache: simultaneous calls count apart.
        cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
        try:
            calls = cache.incr(key)
        except ValueError:  # the window's key expired between add() and incr()
            cache.add(key, 1, timeout=RATE_WINDOW_SECONDS)
            calls = 1
        return calls <= settings.API_RATE_LIMIT

    def wait(self) -> float:
        return RATE_WINDOW_SECONDS - time.time() % RATE_WINDOW_SECONDS
