"""Pages written one after another while the next page is read (SPEC S11: the import hides
behind the network).

A page is written in one transaction on the writer's own database connection, in a thread of
its own, while the run's thread fetches and parses the next page: the database works on one
page while Python works on the next. Pages are still written in their order and one at a time,
each committed before the next starts, so a run that stops (a killed worker, a failed write)
leaves whole pages behind it and never moves the watermark: the next run reads the same window
again, as before.

Inline (no thread) where a second connection could not see the run's rows: inside a transaction
(the tests' own, say) or on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

from django.db import connection, connections

logger = logging.getLogger(__name__)


def can_write_aside() -> bool:
    """Whether a second connection sees what this one committed: PostgreSQL, no open transaction."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class PageWriter:
    """Runs each page's write after the previous one finished; its errors surface in the run's
    thread at the next page or at the end."""

    def __init__(self, *, aside: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="download-writer") if aside else None
        self._pending: Future[None] | None = None

    def submit(self, write: Callable[..., None], *args: Any) -> None:
        """Write a page: after the previous page's write (whose error is raised here)."""
        self.wait()
        if self._pool is None:
            write(*args)
        else:
            self._pending = self._pool.submit(write, *args)

    def wait(self) -> None:
        """Until the page being written is committed; raises what stopped its write."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> PageWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                self.wait()
            elif self._pending is not None:
                # The page being written ends (committed or rolled back) before the run does; the
                # error that stopped the run is the one reported.
                failed = self._pending.exception()
                self._pending = None
                if failed is not None:
                    logger.warning("event=download_page_write_failed error=%r", failed)
        finally:
            if self._pool is not None:
                self._pool.submit(connections.close_all).result()  # the writer thread's connection
                self._pool.shutdown()
