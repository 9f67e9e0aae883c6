"""Response headers Django does not send itself: Content-Security-Policy (Django 5.2 has none;
Django 6 does) and Cache-Control: no-store on signed-in pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


def csp_header(policy: dict[str, list[str]]) -> str:
    """`{"script-src": ["'self'"], ...}` as the header's text: `script-src 'self'; ...`."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Send settings.SECURE_CSP on every response (pages, redirects, errors, static files).

    Scripts and styles come from our static files only: an inline `<script>`, an event handler
    attribute, a `style=` attribute or a `javascript:` URL that slipped into a page (marketplace
    data included) does not run. A view that sets its own header keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = csp_header(settings.SECURE_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Content-Security-Policy", self.header)
        return response


class NoStoreWhenSignedInMiddleware:
    """Forbid caching of every response to a signed-in user (Cache-Control: no-store, private...).

    Signed-in pages show customers' names, addresses and orders: the browser must not keep them on
    disk or show them again with Back after logout, and no shared proxy may store them. Static
    files (answered by WhiteNoise before this runs) and pages of anonymous visitors, such as the
    login page, are left as they are.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
