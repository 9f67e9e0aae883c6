"""Login throttling: which address a request comes from, and a limit per address (SPEC S12).

django-axes counts failed logins per (username, address) and refuses a pair after
LOGIN_FAILURE_LIMIT failures. That alone lets one address try a password on every username, so
`LoginThrottleHandler` adds a second, higher limit per address across usernames
(LOGIN_ADDRESS_FAILURE_LIMIT). django-axes cannot do this itself: with several lockout parameters
it compares the largest count against its one failure limit.

The address is the client's, not the proxy's: behind TRUSTED_PROXY_COUNT proxies it is read from
X-Forwarded-For (`client_ip_address`), else everyone behind a TLS proxy would share one address,
and five bad tries would lock a user out for everybody.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip_address(request: HttpRequest) -> str | None:
    """The address the request came from, as our outermost proxy saw it (AXES_CLIENT_IP_CALLABLE).

    With TRUSTED_PROXY_COUNT = 0 (nothing in front of gunicorn) it is REMOTE_ADDR, and
    X-Forwarded-For is ignored: the client wrote it. With N proxies in front, each one appends the
    address it got the request from, so the Nth entry from the right is the one our outermost
    proxy wrote: the client's. Entries further left came from the client and may be forged. With
    fewer entries than N (a request that entered past the outermost proxy), the leftmost one was
    still written by one of ours. An entry that is not an address gives REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    candidate = forwarded[-count] if len(forwarded) >= count else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        logger.warning("event=bad_forwarded_for remote=%s entry=%r", remote, candidate[:64])
        return remote


class AxesHttpRequest(HttpRequest):
    """A login request as django-axes' proxy handler prepares it (the attributes it and its
    handlers set), plus ours: `login_address_locked`, which the locked-out page reads to say why.
    Only a type: the request is Django's."""

    axes_ip_address: str | None
    axes_locked_out: bool
    axes_credentials: dict[str, Any] | None
    login_address_locked: bool


class LoginThrottleHandler(AxesDatabaseHandler):
    """django-axes' database handler, plus a limit of failed logins per address, any username.

    A (username, address) pair is refused after AXES_FAILURE_LIMIT failures, as before; an
    address is refused for every username after LOGIN_ADDRESS_FAILURE_LIMIT failures within the
    cool-off (counted from the same AccessAttempt rows, so a successful login of one user, which
    resets that user's failures, lowers the address's count by as much).
    """

    def address_failures(self, request: AxesHttpRequest) -> int:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def is_address_locked(self, request: AxesHttpRequest) -> bool:
        return self.address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT

    def is_locked(self, request: AxesHttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        if self.is_address_locked(request):
            request.login_address_locked = True
            return True
        return False

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: AxesHttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if self.is_whitelisted(request, credentials) or not self.is_address_locked(request):
            return
        # The failure that reached the address's limit is answered with the locked-out page,
        # as django-axes answers the one that reaches a pair's limit.
        logger.warning("event=login_address_locked_out address=%s", request.axes_ip_address)
        request.axes_locked_out = True
        request.login_address_locked = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )
