"""The page shell's moving parts, each declared once: the left navigation, the Company Settings
Toolbox, the channels named on Manage Companies, the items of an Actions menu, and the current
company of a request.

The core knows none of the other apps (they import it, never the reverse), so the menus that
list their pages are registries each app fills in. To add a navigation entry, call
`register_nav(NavEntry(...))` in your app's `AppConfig.ready()`; to add a Toolbox entry, call
`register_toolbox(ToolboxEntry(...))` there; a channel names itself on Manage Companies with
`register_integrated_channel(...)`. Each entry carries its section or group and an explicit
position, so the menus come out in one order whatever order the apps load in. Templates only
render what the registries hold, so a page appears in the menus in exactly one edit.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import KW_ONLY, dataclass, field
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from .http import AuthenticatedHttpRequest
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
    # (label, url) of what to do instead, shown under a disabled item's reason as links.
    links: tuple[tuple[str, str], ...] = ()

    @property
    def is_post(self) -> bool:
        return self.method.lower() == "post"


# --- Left navigation and Toolbox: the entries and their registries ---------------------------


def _always(user: User) -> bool:
    return True


def _client_admin(user: User) -> bool:
    return bool(user.is_active and user.is_client_admin)


@dataclass(frozen=True)
class NavEntry:
    """A link of the left navigation.

    `url` builds the href from the request's current company (None when the user has none), or
    returns "" to hide the entry. `active_prefix` marks the entry current for every page under it.
    `section` is the heading it is listed under. `position` orders the whole navigation: entries
    by position, sections by their first entry. It is explicit because apps register their entries
    in their ready(), and the menu must not change when INSTALLED_APPS is reordered.
    """

    label: str
    url: Callable[[Company | None], str]
    active_prefix: str
    visible: Callable[[User], bool] = _always
    _: KW_ONLY
    section: str
    position: int


@dataclass(frozen=True)
class ToolboxEntry:
    """An item of the Toolbox on Company Settings.

    `url_name` is reversed with the company id; while it is None (its page does not exist yet) the
    entry is listed without a link. `permission`, when set, hides it from users who lack it there.
    `position` orders the Toolbox (explicit, as for `NavEntry`); the entries of one `group` need
    neighbouring positions, since the template shows adjacent entries of a group under one heading.
    """

    label: str
    group: str = ""
    url_name: str | None = None
    permission: Permission | None = None
    _: KW_ONLY
    position: int


_Entry = TypeVar("_Entry", NavEntry, ToolboxEntry)

# Keyed by (section or group, label): a second ready() (an app registry built again) replaces an
# entry instead of listing it twice.
_navigation: dict[tuple[str, str], NavEntry] = {}
_toolbox: dict[tuple[str, str], ToolboxEntry] = {}


def _add(registry: dict[tuple[str, str], _Entry], key: tuple[str, str], entry: _Entry) -> None:
    # Two entries at one position would be ordered by whichever app loaded first: refuse it at startup.
    for other_key, other in registry.items():
        if other_key != key and other.position == entry.position:
            raise ImproperlyConfigured(f"{entry.label!r} and {other.label!r} both ask for position {entry.position}.")
    registry[key] = entry


def register_nav(entry: NavEntry) -> None:
    """List `entry` in the left navigation. Call it from your app's `AppConfig.ready()`."""
    _add(_navigation, (entry.section, entry.label), entry)


def register_toolbox(entry: ToolboxEntry) -> None:
    """List `entry` in the Company Settings Toolbox. Call it from your app's `AppConfig.ready()`."""
    _add(_toolbox, (entry.group, entry.label), entry)


def nav_entries() -> list[NavEntry]:
    """Every registered navigation entry, in position order."""
    return sorted(_navigation.values(), key=lambda entry: entry.position)


def toolbox_entries() -> list[ToolboxEntry]:
    """Every registered Toolbox entry, in position order."""
    return sorted(_toolbox.values(), key=lambda entry: entry.position)


# --- Left navigation -------------------------------------------------------------------------


def _company_settings_url(company: Company | None) -> str:
    # Company Settings follows the company switcher; without any company there is nothing to show.
    return reverse("company_settings", args=[company.pk]) if company else ""


# The core's own entries. A navigation entry appears once its page exists (SPEC S7); the other
# apps add theirs (Orders 100s, Sync 700s) in their ready().
register_nav(NavEntry("Company Settings", _company_settings_url, "/companies/", section="Settings", position=500))
register_nav(
    NavEntry("Users", lambda company: reverse("user_list"), "/users/", _client_admin, section="Settings", position=510)
)


@dataclass(frozen=True)
class NavLink:
    """A navigation entry resolved for one request, ready for the template."""

    label: str
    url: str
    active: bool


def navigation_for(request: AuthenticatedHttpRequest, company: Company | None) -> list[tuple[str, list[NavLink]]]:
    """The sections and links this user sees, with the current page's entry marked."""
    sections: dict[str, list[NavLink]] = {}
    for entry in nav_entries():
        if not entry.visible(request.user):
            continue
        url = entry.url(company)
        if url:
            link = NavLink(entry.label, url, request.path.startswith(entry.active_prefix))
            sections.setdefault(entry.section, []).append(link)
    return list(sections.items())


# --- Company Settings > Toolbox --------------------------------------------------------------


@dataclass(frozen=True)
class ToolboxLink:
    label: str
    group: str
    url: str
    active: bool


def toolbox_for(request: AuthenticatedHttpRequest, company: Company) -> list[ToolboxLink]:
    """The Toolbox entries this user sees for `company`, in position order."""
    links = []
    for entry in toolbox_entries():
        if entry.permission and not user_can(request.user, entry.permission, company):
            continue
        url = ""
        if entry.url_name:
            try:
                url = reverse(entry.url_name, args=[company.pk])
            except NoReverseMatch:
                url = ""  # declared before its page was merged: listed, not linked
        links.append(ToolboxLink(entry.label, entry.group, url, bool(url) and request.path == url))
    return links


# --- Manage Companies > Integrated channels --------------------------------------------------


@dataclass(frozen=True)
class IntegratedChannel:
    """A channel a company can be integrated with, named in the Integrated channels column of
    Manage Companies. `companies_with` answers, in one query, which of the given company ids have
    it; `position` orders the names when a company has several."""

    label: str
    companies_with: Callable[[list[int]], Collection[int]]
    _: KW_ONLY
    position: int


_integrated_channels: dict[str, IntegratedChannel] = {}


def register_integrated_channel(channel: IntegratedChannel) -> None:
    """Name `channel` on Manage Companies. Call it from your app's `AppConfig.ready()`."""
    _integrated_channels[channel.label] = channel


def integrated_channels(company_ids: list[int]) -> dict[int, list[str]]:
    """The names of each company's integrated channels, by company id (absent: none)."""
    names: dict[int, list[str]] = {}
    for channel in sorted(_integrated_channels.values(), key=lambda channel: channel.position):
        for company_id in channel.companies_with(company_ids):
            names.setdefault(company_id, []).append(channel.label)
    return names


# --- The current company ---------------------------------------------------------------------


def current_company(request: AuthenticatedHttpRequest) -> Company | None:
    """The company the switcher selected, else the user's first one; None without any company.

    The session only remembers an id: it is checked against the user's companies on every request,
    so a removed membership takes effect at once.
    """
    if hasattr(request, "_current_company"):
        return request._current_company
    companies = switcher_companies(request)
    company_id = request.session.get(SESSION_COMPANY_KEY)
    company = next((c for c in companies if c.pk == company_id), companies[0] if companies else None)
    request._current_company = company
    return company


def switcher_companies(request: AuthenticatedHttpRequest) -> list[Company]:
    """The user's companies by name, read once per request (the switcher and the current company)."""
    if not hasattr(request, "_switcher_companies"):
        request._switcher_companies = list(user_companies(request.user).order_by("name"))
    return request._switcher_companies


def set_current_company(request: AuthenticatedHttpRequest, company: Company) -> None:
    """Remember `company` for this session (the caller checked it is one of the user's)."""
    request.session[SESSION_COMPANY_KEY] = company.pk
    request._current_company = company
