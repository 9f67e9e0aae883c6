"""Login and headers (issue 14, point 6): the client's address behind proxies, a limit per address
across usernames, a password reset that does the same work for every email, no-store on signed-in
pages. (HSTS follows DJANGO_SECURE_COOKIES: tests/sellercloud/test_production_settings.py.)"""

from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CompanyFactory, OrderFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's password
PROXY = "10.0.0.1"  # the TLS proxy in front of gunicorn: REMOTE_ADDR of every request behind it


def login(client: Client, username: str, password: str, *, forwarded: str | None = None, remote: str = PROXY):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


# --- The client's address --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "", PROXY),
        (0, "203.0.113.7", PROXY),  # no proxy trusted: the header is only the client's word
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.66, 203.0.113.7", "203.0.113.7"),  # what the client wrote on the left is skipped
        (2, "198.51.100.66, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies: the leftmost, written by ours
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "", PROXY),
        (1, "not-an-address", PROXY),
    ],
)
def test_the_client_address_is_the_nth_forwarded_address_from_the_right(settings, count, forwarded, expected):
    from sellercloud.login_throttle import client_ip_address

    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip_address(request) == expected


def test_behind_a_proxy_one_clients_failures_do_not_lock_out_the_others(settings, client_admin):
    # given a TLS proxy in front, and someone behind it who used up the admin's tries
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "admin", "wrong", forwarded="203.0.113.7")
    assert login(Client(), "admin", PASSWORD, forwarded="203.0.113.7").status_code == 429

    # when the admin logs in from their own address, through the same proxy
    response = login(Client(), "admin", PASSWORD, forwarded="198.51.100.20")

    # then they are in
    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_a_forged_forwarded_for_does_not_escape_the_limit(settings, client_admin):
    settings.TRUSTED_PROXY_COUNT = 1
    # each try claims another address on the left; the proxy's entry on the right is the same
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "admin", "wrong", forwarded=f"192.0.2.{n}, 203.0.113.7")

    response = login(Client(), "admin", PASSWORD, forwarded="192.0.2.99, 203.0.113.7")

    assert response.status_code == 429


def test_one_address_is_refused_after_its_limit_whatever_the_usernames(settings, client_admin):
    # given an address limit above the per-user one (5)
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    # one password tried on 7 usernames from one address: no username reaches its limit, nor the address
    for n in range(7):
        assert login(Client(), f"user{n}", "Printemps2026!").status_code == 200
    assert login(Client(), "admin", PASSWORD).status_code == 302  # below the address's limit

    # when the 8th username is tried from there
    response = login(Client(), "user7", "Printemps2026!")

    # then that address is refused, even with the right password of a user who never failed
    assert response.status_code == 429
    assert "Too many failed login attempts from your address." in response.content.decode()
    refused = login(Client(), "admin", PASSWORD)
    assert refused.status_code == 429
    assert "from your address" in refused.content.decode()
    # and another address still logs in
    assert login(Client(), "admin", PASSWORD, remote="10.0.0.2").status_code == 302


def test_the_address_limit_is_above_the_user_limit_by_default(settings):
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT


# --- Password reset --------------------------------------------------------------------------


def request_reset(client: Client, email: str, capture_on_commit):
    """Post the Password reset form with the task's delay mocked; the request's queries,
    on_commit callbacks and delay calls."""
    with (
        mock.patch("sellercloud.tasks.password_reset_send_task.delay") as delay,
        capture_on_commit(execute=True) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    return delay, callbacks, [q["sql"] for q in queries.captured_queries]


def test_password_reset_does_the_same_work_for_known_and_unknown_emails(
    client, client_admin, django_capture_on_commit_callbacks
):
    # when a known and an unknown email ask for a reset
    known_delay, known_callbacks, known_queries = request_reset(
        client, client_admin.email, django_capture_on_commit_callbacks
    )
    unknown_delay, unknown_callbacks, unknown_queries = request_reset(
        client, "personne@example.test", django_capture_on_commit_callbacks
    )

    # then each request enqueued exactly one task, looked nobody up and sent nothing
    assert len(known_callbacks) == len(unknown_callbacks) == 1
    assert known_delay.call_count == unknown_delay.call_count == 1
    assert len(known_queries) == len(unknown_queries)
    assert not [sql for sql in known_queries + unknown_queries if "sellercloud_user" in sql]
    assert mail.outbox == []

    # and the worker sends nothing for the unknown email, the link for the known one
    from sellercloud.tasks import password_reset_send_task

    password_reset_send_task(*unknown_delay.call_args.args, **unknown_delay.call_args.kwargs)
    assert mail.outbox == []
    password_reset_send_task(*known_delay.call_args.args, **known_delay.call_args.kwargs)
    assert [m.to for m in mail.outbox] == [[client_admin.email]]
    assert "http://testserver/password-reset/" in mail.outbox[0].body


# --- Cache-Control ---------------------------------------------------------------------------


def test_signed_in_pages_are_not_stored(client, client_admin):
    client.force_login(client_admin)
    company = CompanyFactory()
    order = OrderFactory()
    urls = [
        reverse("home"),
        reverse("orders:list"),
        reverse("orders:detail", args=[order.pk]),
        reverse("company_settings", args=[company.pk]),
        reverse("user_list"),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
        assert {"no-store", "private"} <= directives, (url, response.headers.get("Cache-Control"))
