"""What a run tells people when our own code fails (issue 14), rather than Python's words.

The Sync Log, a package's upload error and a run's problems are read by the people who retry
them. An exception's text ("invalid literal for int() ...", a DataError's "value too long for type
character varying(64)") tells them nothing and may quote another order's data, so it goes to the
server log with its traceback (`logger.exception(..., event=...)`), and the page says what
happened, where the details are, and what to do.
"""

from __future__ import annotations

__all__ = ["unexpected_error"]


def unexpected_error(*, what: str, event: str, then: str) -> str:
    """`what`, as stopped by an error in our software, with the log `event` to look for and `then`."""
    return f"{what}: an error in our software stopped it (the details are in the server log, event={event}). {then}"
