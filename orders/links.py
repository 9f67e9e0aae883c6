"""The one rule for URLs we store and link: absolute http:// or https:// only (SPEC S8, S12).

A tracking URL comes from a user (Ship Order, Import Tracking), a carrier's template, or the
marketplace (a parcel's trackingUrl). Whatever the source, anything else (`javascript:`, `data:`,
a relative or protocol-relative URL) would turn into a script or an odd link on our pages, so it
is refused where a user typed it and dropped where the marketplace sent it.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

# A scheme, then a host that starts with a character a host can start with, then anything but
# whitespace and control characters: browsers remove tabs and newlines from a URL before they
# read its scheme, so such a character must never get through.
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f/\\$.?#][^\s\x00-\x1f\x7f]*", re.IGNORECASE)
# Invisible characters no address needs: controls (C0, DEL, C1) and formats (U+202E turns the
# text after it around, U+200B is a zero-width space): a link would not say where it leads.
_INVISIBLE = frozenset({"Cc", "Cf"})


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host and no invisible character, nothing else."""
    return _HTTP_URL.fullmatch(value) is not None and not any(
        unicodedata.category(char) in _INVISIBLE for char in value
    )


def http_url_or_empty(value: str) -> str:
    """The URL when it is http(s), else "" (what we keep of a URL the marketplace sends)."""
    return value if is_http_url(value) else ""


def validate_http_url(value: str) -> None:
    """Model and form validator: refuses anything but an http(s) URL (empty is left to blank=)."""
    if value and not is_http_url(value):
        raise ValidationError("Enter an http:// or https:// address.", code="invalid")
