"""Where the beat's last tick and a worker's last heartbeat are kept, for /healthz: two times in
Redis, written in one place.

The beat entry `heartbeat` sends `sellercloud.heartbeat_task` every HEALTH_HEARTBEAT_SECONDS.
The beat records its tick as it sends it (Celery's before_task_publish signal, connected in
sellercloud.celery, fires in the process that publishes: the beat); a worker records its
heartbeat when it runs the task. So a dead beat and dead (or jammed) workers show apart.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

TASK_NAME = "sellercloud.heartbeat_task"
BEAT_KEY = "health:beat:last_tick"
WORKER_KEY = "health:worker:last_heartbeat"
# /healthz must answer fast when Redis hangs: a load balancer's probe times out in seconds.
REDIS_TIMEOUT_SECONDS = 1.0


def redis_client() -> redis.Redis:
    """A short-timeout connection to REDIS_URL (read at call time)."""
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )


def record(key: str) -> None:
    """Stamp `key` with now; kept a day, so a long-gone process reads as "never"."""
    try:
        redis_client().set(key, repr(time.time()), ex=86400)
    except redis.RedisError:
        logger.warning("event=heartbeat_not_recorded key=%s", key)


def last(key: str, client: redis.Redis) -> float | None:
    """When `key` was last stamped (Unix time), or None. Raises redis.RedisError."""
    value = client.get(key)
    return float(value) if value is not None else None


def on_publish(sender: str | None = None, **_: Any) -> None:
    """before_task_publish: the beat sending the heartbeat task is its tick."""
    if sender == TASK_NAME:
        record(BEAT_KEY)
