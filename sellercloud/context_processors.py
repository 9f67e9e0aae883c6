"""Template context for the page shell: top bar (company switcher, user menu) and left navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .http import is_authenticated_request
from .shell import MenuItem, current_company, navigation_for, switcher_companies


def shell(request: HttpRequest) -> dict[str, Any]:
    """What base.html needs on every page; nothing for anonymous visitors (login, reset pages)."""
    if not is_authenticated_request(request):
        return {}
    user = request.user
    company = current_company(request)
    return {
        "shell_company": company,
        "shell_companies": switcher_companies(request),
        "shell_navigation": navigation_for(request, company),
        "shell_user_label": user.display_name,
        "shell_user_menu": [
            MenuItem("Change password", reverse("password_change")),
            MenuItem("Log out", reverse("logout"), method="post"),  # Django 5 logs out on POST only
        ],
    }
