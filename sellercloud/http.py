"""The request type of the signed-in pages.

`HttpRequest.user` is `User | AnonymousUser`. Behind `login_required` it is always our `User`:
views behind it take an `AuthenticatedHttpRequest`, so mypy knows that too (django-stubs'
advice), and nothing has to narrow or ignore `request.user` one view at a time.
"""

from __future__ import annotations

from typing import TypeGuard

from django.http import HttpRequest

from .models import Company, User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user signed in: what views behind `login_required` receive.

    Only a type: Django builds plain `HttpRequest`s (WSGIRequest), never this class. It also
    declares what `sellercloud.shell` keeps on a request for its duration (the current company
    and the switcher's companies), set on first use.
    """

    user: User
    _current_company: Company | None
    _switcher_companies: list[Company]


def is_authenticated_request(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """True when a user signed in (for code that also serves anonymous pages, e.g. context
    processors). A request that never went through the authentication middleware has no user."""
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
