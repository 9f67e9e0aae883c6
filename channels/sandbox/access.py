"""Tokens, injected faults and the request log of the sandbox."""

from __future__ import annotations

import random
import secrets
import string
import threading
import time
from collections import deque
from typing import Any

from .config import Faults, SandboxConfig


class Access:
    """Part of SandboxState: the tokens it issues, the faults it injects, the requests it saw."""

    config: SandboxConfig
    faults: Faults
    lock: threading.RLock
    tokens: dict[str, dict[str, Any]]
    requests: deque[dict[str, Any]]
    dirty: bool
    _request_seq: int
    _fault_rng: random.Random

    def issue_token(self, client_id: str) -> tuple[str, int]:
        """A JWT-looking token. It really dies after faults.token_ttl if set (an early expiry)."""
        lifetime = self.config.token_lifetime
        real = self.faults.token_ttl if self.faults.token_ttl is not None else lifetime
        token = ".".join(
            [
                "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9",
                secrets.token_urlsafe(48),
                "".join(secrets.choice(string.ascii_letters + string.digits + "-_") for _ in range(43)),
            ]
        )
        with self.lock:
            now = time.time()
            self.tokens = {t: v for t, v in self.tokens.items() if v["expires_at"] > now}
            self.tokens[token] = {"client_id": client_id, "expires_at": now + real}
            self.dirty = True
        return token, lifetime

    def token_valid(self, token: str) -> bool:
        with self.lock:
            entry = self.tokens.get(token)
            return entry is not None and entry["expires_at"] > time.time()

    def expire_tokens(self) -> int:
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
            self.dirty = True
        return count

    # --- faults and the request log ------------------------------------------------------------

    def draw_fault(self, *, method: str) -> str | None:
        """Which fault (if any) hits this API request: one-shot counters first, then the rates."""
        f = self.faults
        with self.lock:
            if f.next_timeouts > 0:
                f.next_timeouts -= 1
                return "timeout"
            if f.next_errors > 0:
                f.next_errors -= 1
                return "error"
            if f.next_rate_limits > 0:
                f.next_rate_limits -= 1
                return "rate_limit"
            roll = self._fault_rng.random()
            if roll < f.timeout_rate:
                return "timeout"
            roll -= f.timeout_rate
            if roll < f.error_rate:
                return "error"
            roll -= f.error_rate
            if roll < f.rate_limit_rate:
                return "rate_limit"
        return None

    def draw_lost_answer(self) -> bool:
        f = self.faults
        with self.lock:
            if f.next_lost_answers > 0:
                f.next_lost_answers -= 1
                return True
            return self._fault_rng.random() < f.lost_answer_rate

    def log_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self._request_seq += 1
            entry["seq"] = self._request_seq
            self.requests.append(entry)

    def requests_since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for e in self.requests if e["seq"] > seq]
