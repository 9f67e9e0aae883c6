"""The page shell's moving parts, each declared once: the left navigation, the Company Settings
Toolbox, the items of an Actions menu, and the current company of a request.

To add a navigation entry, append a `NavEntry` to a section of `NAVIGATION`; to add a Toolbox
entry, append a `ToolboxEntry` to `TOOLBOX`. Templates only render what these lists say, so a
page appears in the menus in exactly one edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .models import Company, User
from .permissions import Permission, user_can, user_companies

SESSION_COMPANY_KEY = "current_company_id"


# --- Actions menus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuItem:
    """One entry of a dropdown menu (`_partials/actions_menu.html`).

    `method="post"` renders a CSRF-protected form button: every state change is a POST.
    A non-empty `disabled_reason` shows the item greyed out with the reason, so the user learns
    why it cannot be done and what to do instead (SPEC S7).
    """

    label: str
    url: str = ""
    method: str = "get"
    disabled_reason: str = ""
    confirm: str = ""  # a question asked before a POST ("Deactivate jdupre?")
    fields: dict[str, str] = field(default_factory=dict)  # hidden inputs sent with a POST

    @property
    def is_post(self) -> bool:
        return self.method.lower() == "post"


# --- Left navigation -------------------------------------------------------------------------


def _always(user: User) -> bool:
    return True


def _client_admin(user: User) -> bool:
    return bool(user.is_active and user.is_client_admin)


@dataclass(frozen=True)
class NavEntry:
    """A link of the left navigation.

    `url` builds the href from the request's current company (None when the user has none), or
    returns "" to hide the entry. `active_prefix` marks the entry current for every page under it.
    """

    label: str
    url: Callable[[Company | None], str]
    active_prefix: str
    visible: Callable[[User], bool] = _always


@dataclass(frozen=True)
class NavSection:
    title: str
    entries: tuple[NavEntry, ...]


def _company_settings_url(company: Company | None) -> str:
    # Company Settings follows the company switcher; without any company there is nothing to show.
    return reverse("company_settings", args=[company.pk]) if company else ""


# A navigation entry appears once its page exists (SPEC S7): Orders and Sync come with their pages.
NAVIGATION: tuple[NavSection, ...] = (
    NavSection("Orders", (NavEntry("Manage Orders", lambda company: reverse("orders:list"), "/orders/"),)),
    NavSection(
        "Settings",
        (
            NavEntry("Company Settings", _company_settings_url, "/companies/"),
            NavEntry("Users", lambda company: reverse("user_list"), "/users/", visible=_client_admin),
        ),
    ),
    NavSection("Sync", (NavEntry("Sync Log", lambda company: reverse("sync_log"), "/sync-log/"),)),
)


@dataclass(frozen=True)
class NavLink:
    """A navigation entry resolved for one request, ready for the template."""

    label: str
    url: str
    active: bool


def navigation_for(request: HttpRequest, company: Company | None) -> list[tuple[str, list[NavLink]]]:
    """The sections and links this user sees, with the current page's entry marked."""
    sections = []
    for section in NAVIGATION:
        links = []
        for entry in section.entries:
            if not entry.visible(request.user):  # type: ignore[arg-type]
                continue
            url = entry.url(company)
            if url:
                links.append(NavLink(entry.label, url, request.path.startswith(entry.active_prefix)))
        if links:
            sections.append((section.title, links))
    return sections


# --- Company Settings > Toolbox --------------------------------------------------------------


@dataclass(frozen=True)
class ToolboxEntry:
    """An item of the Toolbox on Company Settings.

    `url_name` is reversed with the company id; while it is None (its page does not exist yet) the
    entry is listed without a link. `permission`, when set, hides it from users who lack it there.
    """

    label: str
    group: str = ""
    url_name: str | None = None
    permission: Permission | None = None


TOOLBOX: tuple[ToolboxEntry, ...] = (
    ToolboxEntry("General Settings", group="Cdiscount", url_name="cdiscount_settings"),
    ToolboxEntry("Invoice Settings"),
)


@dataclass(frozen=True)
class ToolboxLink:
    label: str
    group: str
    url: str
    active: bool


def toolbox_for(request: HttpRequest, company: Company) -> list[ToolboxLink]:
    """The Toolbox entries this user sees for `company`, in declaration order."""
    links = []
    for entry in TOOLBOX:
        if entry.permission and not user_can(request.user, entry.permission, company):  # type: ignore[arg-type]
            continue
        url = ""
        if entry.url_name:
            try:
                url = reverse(entry.url_name, args=[company.pk])
            except NoReverseMatch:
                url = ""  # declared before its page was merged: listed, not linked
        links.append(ToolboxLink(entry.label, entry.group, url, bool(url) and request.path == url))
    return links


# --- The current company ---------------------------------------------------------------------


def current_company(request: HttpRequest) -> Company | None:
    """The company the switcher selected, else the user's first one; None without any company.

    The session only remembers an id: it is checked against the user's companies on every request,
    so a removed membership takes effect at once.
    """
    if hasattr(request, "_current_company"):
        return request._current_company  # type: ignore[no-any-return]
    companies = switcher_companies(request)
    company_id = request.session.get(SESSION_COMPANY_KEY)
    company = next((c for c in companies if c.pk == company_id), companies[0] if companies else None)
    request._current_company = company  # type: ignore[attr-defined]
    return company


def switcher_companies(request: HttpRequest) -> list[Company]:
    """The user's companies by name, read once per request (the switcher and the current company)."""
    if not hasattr(request, "_switcher_companies"):
        request._switcher_companies = list(user_companies(request.user).order_by("name"))  # type: ignore[arg-type,attr-defined]
    return request._switcher_companies  # type: ignore[no-any-return,attr-defined]


def set_current_company(request: HttpRequest, company: Company) -> None:
    """Remember `company` for this session (the caller checked it is one of the user's)."""
    request.session[SESSION_COMPANY_KEY] = company.pk
    request._current_company = company  # type: ignore[attr-defined]
