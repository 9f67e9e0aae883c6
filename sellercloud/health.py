"""/healthz for load balancers and monitors: the database, Redis, the beat's last tick and a
worker's heartbeat, each ok or not ok with its age in seconds; HTTP 200 when all are ok, else 503.
No login and nothing else in the answer (no versions, hosts or counts).

Served by HealthzMiddleware, first in MIDDLEWARE, before any host check, HTTPS redirect, session
or login: a probe addresses the machine by its IP (not an allowed host name) over plain HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from . import heartbeat
from .middleware import csp_header

PATH = "/healthz"


@dataclass(frozen=True)
class Check:
    ok: bool
    age_s: float | None = None  # seconds since the last tick or heartbeat

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "age_s": None if self.age_s is None else round(self.age_s, 1)}


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return Check(ok=False)
    return Check(ok=True)


def _stamp(key: str, client: redis.Redis, now: float) -> Check:
    """Ok when stamped within twice the heartbeat interval."""
    stamped = heartbeat.last(key, client)
    if stamped is None:
        return Check(ok=False)
    age = max(0.0, now - stamped)
    return Check(ok=age <= 2 * settings.HEALTH_HEARTBEAT_SECONDS, age_s=age)


def health_checks() -> dict[str, Check]:
    """Each check by name. Redis down makes the beat and worker checks not ok (unknown) too."""
    checks = {"database": _database()}
    client = heartbeat.redis_client()
    try:
        client.ping()
        now = time.time()
        checks["redis"] = Check(ok=True)
        checks["beat"] = _stamp(heartbeat.BEAT_KEY, client, now)
        checks["worker"] = _stamp(heartbeat.WORKER_KEY, client, now)
    except redis.RedisError:
        checks.update(redis=Check(ok=False), beat=Check(ok=False), worker=Check(ok=False))
    finally:
        client.close()
    return checks


def healthz(request: HttpRequest) -> HttpResponse:
    """GET or HEAD /healthz: 200 when every check is ok, 503 otherwise."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    checks = health_checks()
    healthy = all(check.ok for check in checks.values())
    body = {"status": "ok" if healthy else "not ok", "checks": {name: c.as_dict() for name, c in checks.items()}}
    response = JsonResponse(body, status=200 if healthy else 503)
    add_never_cache_headers(response)  # a monitor must see now, not a cached answer
    response.headers["Content-Security-Policy"] = csp_header(settings.SECURE_CSP)  # as every response
    return response


class HealthzMiddleware:
    """Answer /healthz before the rest of the stack (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") == PATH:
            return healthz(request)
        return self.get_response(request)
