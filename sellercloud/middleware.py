"""The Content-Security-Policy header, which Django 5.2 does not send itself (Django 6 does)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
