"""What a session's HTTP calls met, counted for the run that made them (issue 24)."""

from __future__ import annotations

import threading


class CallCounter:
    """HTTP calls made, by kind ("token" or "api"), every attempt counted (retries included), and
    what the calls met on the way: GETs sent again, rate-limit (429) answers and the time waited,
    so a run can say it (issue 24)."""

    KINDS = ("token", "api", "retry", "rate_limit")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def add(self, kind: str) -> None:
        with self._lock:
            setattr(self, kind, getattr(self, kind) + 1)

    def waited(self, seconds: float) -> None:
        with self._lock:
            self.wait_seconds += seconds

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {**{kind: getattr(self, kind) for kind in self.KINDS}, "wait_seconds": self.wait_seconds}

    def reset(self) -> None:
        with self._lock:
            self.token = self.api = self.retry = self.rate_limit = 0
            self.wait_seconds = 0.0
