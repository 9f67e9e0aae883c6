"""The one http(s) rule for URLs we store or link (issue 13, SPEC S8, S12)."""

import pytest
from django.core.exceptions import ValidationError

from orders.links import http_url_or_empty, is_http_url, validate_http_url


@pytest.mark.parametrize(
    "url",
    [
        "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        "http://tracking.example/6A1",
        "HTTPS://EXAMPLE.TEST/x",
        "https://…",  # the recorded real payload's (elided) URL
    ],
)
def test_http_and_https_urls_pass(url):
    assert is_http_url(url)
    assert http_url_or_empty(url) == url
    validate_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.test/6A",
        "//evil.example/x",
        "/orders/1/",
        "https://",
        "https:///path",
        "https://exa mple.test/",
        "https://example.test/\njavascript:alert(1)",
        "https://example.test/\x00",
        "https:\\\\evil.example",
        "http://x y",
        "https://example.test/\u202egnp.exe",  # right-to-left override: the link reads otherwise
        "https://example.test/\u200b",  # zero-width space
        "https://exa\u00admple.test/",  # soft hyphen (invisible)
        "https://example.test/\x85",  # a C1 control
        "https://example.test/\x7f",  # DEL
        "https://example.test/\x1b[31m",  # an ESC sequence
    ],
)
def test_anything_else_fails(url):
    assert not is_http_url(url)
    assert http_url_or_empty(url) == ""
    if url:
        with pytest.raises(ValidationError):
            validate_http_url(url)
