"""Offline rendering: the only URL fetcher WeasyPrint gets (SPEC S9, S12).

It serves our own static files and media (the invoice stylesheet, a company's logo) from disk and
refuses every other URL: a template or data can make no request to the network or to internal
addresses. Data never reaches WeasyPrint as markup anyway (templates escape it); this is the
second wall.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# The base URL documents are rendered against. `.invalid` never resolves (RFC 2606), so even a
# fetcher bypassed by mistake could not reach anything with it.
BASE_URL = "https://invoices.sellercloud.invalid/"
_ORIGIN = urlsplit(BASE_URL)


class FetchRefused(ValueError):
    """A URL outside our static files and media."""


def _inside(root: Path, relative: str) -> Path | None:
    path = (root / relative).resolve()
    return path if path.is_file() and path.is_relative_to(root.resolve()) else None


def local_path(url: str) -> Path | None:
    """The file behind one of our own static or media URLs, or None for any other URL."""
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (_ORIGIN.scheme, _ORIGIN.netloc) or parts.query:
        return None
    path = unquote(parts.path)
    static_prefix, media_prefix = "/" + settings.STATIC_URL.strip("/") + "/", "/" + settings.MEDIA_URL.strip("/") + "/"
    if path.startswith(static_prefix):
        relative = path.removeprefix(static_prefix)
        if ".." in Path(relative).parts:
            return None
        found = finders.find(relative)
        if found:
            return Path(found if isinstance(found, str) else found[0])
        return _inside(Path(settings.STATIC_ROOT), relative)
    if path.startswith(media_prefix):
        return _inside(Path(settings.MEDIA_ROOT), path.removeprefix(media_prefix))
    return None


class OfflineFetcher(URLFetcher):
    """Serves our static files and media from disk; every other URL is refused, unopened."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = local_path(url)
        if path is None:
            logger.warning("event=invoice_fetch_refused url=%s", url[:200])
            raise FetchRefused(f"Refused: {url[:200]} is not one of our static or media files.")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime_type})
