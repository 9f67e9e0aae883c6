"""Real Celery worker processes for the tests that SPEC S12 wants run on real workers (a worker
killed with SIGKILL mid-run, two downloads at once). PostgreSQL only: a separate process cannot
see pytest's SQLite test database, and the tests' data must be committed (transactional_db)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class WorkerProcess:
    """A `celery worker` consuming its own queue, so no other test's task reaches it."""

    process: subprocess.Popen[bytes]
    queue: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL: no cleanup, no ack, the lock left to expire, as when a machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Factory: start a worker (pool solo or prefork) on a fresh queue; stopped after the test."""
    workers: list[WorkerProcess] = []

    def start(
        *, pool: str = "solo", concurrency: int = 1, env: dict[str, str] | None = None, include: str = ""
    ) -> WorkerProcess:
        from sellercloud.celery import app

        assert not app.conf.task_always_eager, (
            "Celery was left eager by an earlier test: tasks would not reach the worker"
        )
        queue = f"test-{uuid.uuid4().hex[:10]}"
        log_path = tmp_path / f"worker-{len(workers)}.log"
        worker_env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "DJANGO_SETTINGS_MODULE": "sellercloud.settings",
            "CDISCOUNT_HTTP_TIMEOUT": "0.5",
            "CDISCOUNT_BACKOFF_BASE": "0.005",
            "CDISCOUNT_MAX_ATTEMPTS": "8",
            **(env or {}),
        }
        command = [
            sys.executable, "-m", "celery", "-A", "sellercloud", "worker",
            "--pool", pool, "--concurrency", str(concurrency), "-Q", queue,
            "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info",
            *(["--include", include] if include else []),  # test-only task modules
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                command, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = WorkerProcess(process=process, queue=queue, log_path=log_path)
        workers.append(worker)
        deadline = time.monotonic() + 60
        while "ready." not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Celery worker did not start:\n{worker.log()[-3000:]}")
            time.sleep(0.1)
        return worker

    yield start
    for worker in workers:
        worker.stop()
