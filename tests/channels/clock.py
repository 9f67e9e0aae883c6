"""One clock for the app and the sandbox, moved by the test: days pass in a second.

`timezone.now()` (every module reads it through `django.utils.timezone`) and the sandbox's clock
both read it, so windows, `updatedAt` and the ledger agree on what "now" is.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock


class TestClock:
    """Starts at `start` and moves with real time, plus whatever `advance` adds."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, start: datetime) -> None:
        self.start = start.astimezone(UTC)
        self.offset = timedelta()
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + self.offset + timedelta(seconds=time.monotonic() - self._origin)

    def advance(self, **delta: float) -> datetime:
        self.offset += timedelta(**delta)
        return self()


@contextmanager
def app_clock(clock: TestClock) -> Iterator[TestClock]:
    with mock.patch("django.utils.timezone.now", clock):
        yield clock
