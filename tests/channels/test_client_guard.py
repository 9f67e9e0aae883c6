"""The marketplace client cannot be turned against this machine's network (SPEC S12).

A Custom URL is typed by a person. Before, a token URL at an internal address echoed the first
300 characters of whatever answered there, and "ConnectionError" against "HTTP 403" told open
ports from closed ones. Now private, loopback and link-local peers are refused on every
connection (unless their network is listed as allowed), redirects are not followed and only
problem+json bodies are ever repeated.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse

from channels.account_status import account_carriers, account_get_token
from channels.cdiscount.transport import AddressPolicy
from tests.factories import CdiscountAccountFactory

pytestmark = pytest.mark.django_db

LEAK = "INTERNAL-ONLY: db_password=hunter2"


class Listener:
    """A tiny HTTP server on loopback that answers every request the same way and records them."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                listener.requests.append((self.command, self.path, self.rfile.read(length)))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/token", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listen():
    started: list[Listener] = []

    def start(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Listener:
        started.append(Listener(status, body, headers))
        return started[-1]

    yield start
    for listener in started:
        listener.stop()


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_MAX_ATTEMPTS = 1


def custom_account(token_url: str, api_url: str = "http://127.0.0.1:9/seller/v2"):
    return CdiscountAccountFactory(
        environment="custom", custom_token_url=token_url, custom_api_base_url=api_url, client_secret="the-secret"
    )


def test_a_name_that_resolves_to_loopback_is_refused_before_any_request(settings, listen):
    settings.CDISCOUNT_ALLOWED_PRIVATE_NETWORKS = []
    listener = listen(200, b'{"access_token": "x"}', {"Content-Type": "application/json"})
    account = custom_account(listener.url(host="localhost"))

    result = account_get_token(account=account)

    assert not result.ok
    assert "private, local or link-local address" in result.message
    assert listener.requests == []  # the secret never left


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379/token", "http://[::1]:5432/token", "http://169.254.169.254/latest/meta-data/"]
)
def test_internal_services_answer_alike_whether_a_port_is_open_or_not(settings, url):
    settings.CDISCOUNT_ALLOWED_PRIVATE_NETWORKS = []

    result = account_get_token(account=custom_account(url))

    assert not result.ok
    assert result.message.startswith("Token URL refused:") and "private, local or link-local" in result.message
    assert "ConnectionError" not in result.message


def test_the_check_is_made_on_each_connection_not_when_the_url_was_saved(settings, listen):
    listener = listen(200, b'{"access_token": "tok", "expires_in": 7200}', {"Content-Type": "application/json"})
    account = custom_account(listener.url())
    assert account_get_token(account=account).ok  # allowed while 127.0.0.0/8 is listed

    settings.CDISCOUNT_ALLOWED_PRIVATE_NETWORKS = []
    refused = account_get_token(account=account)

    assert not refused.ok and len(listener.requests) == 1


def test_a_redirect_is_not_followed(listen):
    inside = listen(200, b'{"access_token": "tok"}', {"Content-Type": "application/json"})
    redirecting = listen(307, b"", {"Location": inside.url()})

    result = account_get_token(account=custom_account(redirecting.url()))

    assert not result.ok and "redirect, which is not followed" in result.message
    assert len(redirecting.requests) == 1 and inside.requests == []


def test_the_body_of_an_answer_that_is_not_problem_json_is_never_shown(listen, client_admin):
    listener = listen(403, LEAK.encode(), {"Content-Type": "text/plain"})
    account = custom_account(listener.url())
    browser = Client()
    browser.force_login(client_admin)

    response = browser.post(reverse("cdiscount_get_token", args=[account.company_id]), follow=True)
    page = response.content.decode()

    assert "Get Token failed: HTTP 403 on POST token" in page
    assert "INTERNAL-ONLY" not in page and "hunter2" not in page


def test_a_json_body_with_oauth_words_is_told_in_ours(listen):
    body = b'{"error": "invalid_client", "error_description": "' + LEAK.encode() + b'"}'
    listener = listen(401, body, {"Content-Type": "application/json"})

    result = account_get_token(account=custom_account(listener.url()))

    assert result.message == "HTTP 401 on POST token: invalid_client - the client ID or client secret is wrong"


def test_the_carriers_request_of_the_edit_page_goes_nowhere_private(settings, listen):
    settings.CDISCOUNT_ALLOWED_PRIVATE_NETWORKS = []
    listener = listen(200, b"[]", {"Content-Type": "application/json"})
    account = custom_account(listener.url(), api_url=listener.url("/seller/v2"))

    choices = account_carriers(account=account)

    assert choices.error and "private, local or link-local" in choices.error
    assert listener.requests == []


@pytest.mark.parametrize(
    "address, allowed",
    [
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.10", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("fd00::1", False),
        ("fe80::1%2", False),
        ("224.0.0.1", False),
        ("93.184.215.14", True),
        ("2a00:1450:4007:80f::200e", True),
    ],
)
def test_which_peers_are_allowed_by_default(address, allowed):
    assert AddressPolicy().permits(address) is allowed


def test_a_listed_network_is_allowed_and_nothing_else_of_its_kind():
    policy = AddressPolicy(["127.0.0.0/8"])

    assert policy.permits("127.0.0.1") and policy.permits("127.3.2.1")
    assert not policy.permits("::1") and not policy.permits("10.0.0.1")
