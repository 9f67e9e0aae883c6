"""Fixtures that run the Cdiscount sandbox on a free loopback port for a test.

    def test_something(cdiscount_sandbox, cdiscount_client):
        cdiscount_sandbox.control.set_faults(next_errors=1)
        ...
        assert cdiscount_sandbox.requests(path_contains="/orders")

`make_cdiscount_sandbox(orders=..., seed=..., **config)` starts one with other settings. Each
sandbox keeps its state file in the test's tmp_path and stops when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from channels.cdiscount.client import CdiscountClient
from channels.cdiscount.tokens import InMemoryTokenStore
from channels.sandbox import Faults, SandboxConfig, SandboxControl, SandboxServer
from channels.sandbox.control import RecordedRequest

# Short enough to keep the suite fast, long enough for a loaded CI machine (SPEC S12).
TEST_CLIENT_TIMEOUT = 0.5
TEST_BACKOFF_BASE = 0.005
# Past the client's timeout, so a "timeout" fault really times the client out.
TEST_TIMEOUT_SLEEP = 1.0


@dataclass
class RunningSandbox:
    """A sandbox serving on loopback, with what a test needs to talk to it and inspect it."""

    server: SandboxServer
    control: SandboxControl
    state_file: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_base_url(self) -> str:
        return self.server.api_base_url

    @property
    def token_url(self) -> str:
        return self.server.token_url

    @property
    def config(self) -> SandboxConfig:
        return self.server.config

    def requests(self, *, path_contains: str | None = None) -> list[RecordedRequest]:
        """Every request the marketplace received, accepted or refused, oldest first."""
        return self.control.requests(path_contains=path_contains)

    def make_client(self, **overrides: Any) -> CdiscountClient:
        """A client configured for this sandbox, with test-sized timeouts and backoff."""
        options: dict[str, Any] = {
            "api_base_url": self.api_base_url,
            "token_url": self.token_url,
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "seller_id": self.config.seller_id,
            "token_store": InMemoryTokenStore(),
            "timeout": TEST_CLIENT_TIMEOUT,
            "backoff_base": TEST_BACKOFF_BASE,
            "backoff_max": 0.05,
            "allowed_networks": ("127.0.0.0/8",),
        }
        options.update(overrides)
        return CdiscountClient(**options)


@pytest.fixture
def make_cdiscount_sandbox(tmp_path: Path) -> Iterator[Callable[..., RunningSandbox]]:
    """Factory: start a sandbox with the given SandboxConfig fields (orders, seed, faults, ...)."""
    started: list[RunningSandbox] = []

    def start(*, orders: int = 20, seed: int = 1234, faults: Faults | None = None, **config: Any) -> RunningSandbox:
        state_file = config.pop("state_file", tmp_path / f"sandbox-state-{len(started)}.json")
        sandbox_config = SandboxConfig(
            orders=orders,
            seed=seed,
            state_file=state_file,
            tick_seconds=0,  # tests move the lifecycle with control.advance(), never with a clock
            faults=faults or Faults(timeout_sleep=TEST_TIMEOUT_SLEEP),
            **config,
        )
        server = SandboxServer(config=sandbox_config).start()
        running = RunningSandbox(server=server, control=SandboxControl(server.base_url), state_file=state_file)
        started.append(running)
        return running

    yield start
    for running in started:
        running.server.stop()


@pytest.fixture
def cdiscount_sandbox(make_cdiscount_sandbox: Callable[..., RunningSandbox]) -> RunningSandbox:
    """A sandbox with 20 generated orders on a free port, stopped after the test."""
    return make_cdiscount_sandbox()


@pytest.fixture
def cdiscount_client(cdiscount_sandbox: RunningSandbox) -> Iterator[CdiscountClient]:
    """A CdiscountClient for `cdiscount_sandbox` (0.5 s timeouts, millisecond backoff)."""
    client = cdiscount_sandbox.make_client()
    yield client
    client.close()
