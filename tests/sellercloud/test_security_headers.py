"""The Content-Security-Policy header on every page, and templates that live within it (issue 13)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    assert "Content-Security-Policy-Report-Only" not in response.headers
    header = response.headers["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


def assert_strict(directives: dict[str, list[str]]) -> None:
    assert directives["script-src"] == ["'self'"]  # our static files only: no inline script, no eval
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    for sources in directives.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & {s.lower() for s in sources}


def test_the_login_page_sends_the_policy(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert_strict(policy(response))


def test_signed_in_pages_send_the_policy(client, client_admin):
    client.force_login(client_admin)
    order = OrderFactory()

    for url in (reverse("home"), reverse("orders:list"), reverse("orders:detail", args=[order.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(policy(response))


def test_redirects_and_errors_send_it_too(client, client_admin):
    assert_strict(policy(client.get(reverse("home"))))  # the redirect to log in
    client.force_login(client_admin)
    assert_strict(policy(client.get("/no-such-page/")))
    assert_strict(policy(client.post(reverse("logout"))))


def test_the_500_page_needs_no_inline_style():
    html = render_to_string("500.html")

    assert "style=" not in html and "<style" not in html
    assert 'rel="stylesheet"' in html


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_style_or_handlers(path):
    # The policy would block them: scripts and styles come from static files, data through
    # data- attributes or json_script.
    text = path.read_text()

    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text), "an inline <script>"
    assert not re.findall(r"<style\b", text), "a <style> element"
    assert not re.findall(r"\sstyle=", text), "a style= attribute"
    assert not re.findall(r"\son[a-z]+\s*=", text), "an inline event handler"
    assert "javascript:" not in text.lower()
