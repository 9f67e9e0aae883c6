"""Core pages: home, companies (Company Settings, the switcher) and Users.

Small function views: GET renders, every state change is a POST that validates a form, calls
one service, adds a message and redirects. Company scoping goes through `permissions` only.
"""

from __future__ import annotations

import copy
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import services
from .forms import (
    CompanyCreateForm,
    CompanyForm,
    CompanySwitchForm,
    EmployeeCreateForm,
    MembershipGridForm,
    UserEditForm,
)
from .http import AuthenticatedHttpRequest
from .models import Membership, User
from .permissions import company_for_user_or_404, user_companies
from .shell import MenuItem, current_company, integrated_channels, set_current_company, toolbox_for


def _require_client_admin(request: AuthenticatedHttpRequest) -> User:
    """The Users pages exist only for Client Admins: everyone else gets 404 (SPEC S3)."""
    user: User = request.user
    if not (user.is_active and user.is_client_admin):
        raise Http404("No such page.")
    return user


# --- Home and companies ----------------------------------------------------------------------


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Landing page after login: the current company and the way to the user's companies."""
    return render(
        request,
        "sellercloud/home.html",
        {"title": "Home", "company": current_company(request), "companies": user_companies(request.user)},
    )


@login_required
def company_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every company this user may see (Sellercloud's Manage Companies grid)."""
    companies = list(user_companies(request.user).order_by("name"))
    channels = integrated_channels([company.pk for company in companies])
    rows = [(company, channels.get(company.pk, [])) for company in companies]
    return render(
        request,
        "sellercloud/company_list.html",
        {"title": "Companies", "companies": companies, "rows": rows, "can_add": request.user.is_client_admin},
    )


@login_required
def company_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add Company (Client Admins): then on to its Company Settings to fill in the legal details."""
    admin = _require_client_admin(request)
    form = CompanyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            company = services.company_create(values=values, by=admin)
        except (services.ServiceError, ValidationError) as e:
            messages.error(request, "; ".join(getattr(e, "messages", [str(e)])))
        else:
            messages.success(
                request, f"Company {company.name} added. Fill in its legal details (Edit) before printing invoices."
            )
            return redirect("company_settings", company_id=company.pk)
    return render(request, "sellercloud/company_add.html", {"title": "Add Company", "form": form})


@login_required
def company_settings(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Company Settings: details (read-only here) and the Toolbox."""
    company = company_for_user_or_404(request.user, company_id)
    can_edit = request.user.is_client_admin
    actions = [MenuItem("View all companies", reverse("company_list"))]
    return render(
        request,
        "sellercloud/company_settings.html",
        {
            "title": f"Company Settings — {company.name}",
            "company": company,
            "toolbox": toolbox_for(request, company),
            "can_edit": can_edit,
            "actions": actions,
        },
    )


@login_required
def company_edit(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Edit the company details (Client Admins; others may only read them)."""
    company = company_for_user_or_404(request.user, company_id)
    if not request.user.is_client_admin:
        # The company is one of theirs (no 404 to hide), but editing it is a Client Admin's job.
        raise PermissionDenied("Only a Client Admin can edit company details.")
    # A copy for the form: validation writes into its instance, and the page title keeps the name.
    form = CompanyForm(request.POST or None, request.FILES or None, instance=copy.copy(company))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.company_update(company=company, changes=changes, by=request.user)
        except (services.ServiceError, ValidationError) as e:
            messages.error(request, "; ".join(getattr(e, "messages", [str(e)])))
        else:
            messages.success(request, "Company details saved.")
            return redirect("company_settings", company_id=company.pk)
    return render(
        request,
        "sellercloud/company_edit.html",
        {
            "title": f"Edit Company Settings — {company.name}",
            "company": company,
            "toolbox": toolbox_for(request, company),
            "form": form,
        },
    )


_COMPANY_PATH = re.compile(r"^/companies/\d+/")


@login_required
@require_POST
def company_switch(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The top bar's switcher: remember the chosen company and go back where the user was.

    On a page of another company (`/companies/<id>/...`) the user lands on the chosen company's
    Company Settings instead, so settings pages follow the switcher.
    """
    form = CompanySwitchForm(request.POST)
    if not form.is_valid():
        raise Http404("No such company.")
    company = company_for_user_or_404(request.user, form.cleaned_data["company"])
    set_current_company(request, company)
    messages.success(request, f"Current company: {company.name}.")
    target = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("home")
    if _COMPANY_PATH.match(target):
        target = reverse("company_settings", args=[company.pk])
    return redirect(target)


# --- Users (Client Admins) -------------------------------------------------------------------


@login_required
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every user of the installation, with their role, companies and status."""
    _require_client_admin(request)
    users = User.objects.order_by("username").prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("company").order_by("company__name"))
    )
    actions = [MenuItem("Add Employee", reverse("user_add"))]
    return render(request, "sellercloud/user_list.html", {"title": "Users", "users": users, "actions": actions})


@login_required
def user_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add an Employee with an initial password and their companies and permissions."""
    admin = _require_client_admin(request)
    companies = user_companies(admin).order_by("name")
    data = request.POST if request.method == "POST" else None
    form = EmployeeCreateForm(data)
    grid = MembershipGridForm(data, companies=companies)
    if request.method == "POST" and form.is_valid() and grid.is_valid():
        try:
            user = services.employee_create(
                username=form.cleaned_data["username"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                grants=grid.grants(),
                by=admin,
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"Employee {user.username} added.")
            return redirect("user_list")
    return render(request, "sellercloud/user_form.html", {"title": "Add Employee", "form": form, "grid": grid})


@login_required
def user_edit(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Edit a user's name, email, role, and their companies and permissions."""
    admin = _require_client_admin(request)
    user = get_object_or_404(User, pk=user_id)
    companies = user_companies(admin).order_by("name")
    data = request.POST if request.method == "POST" else None
    form = UserEditForm(data, instance=User.objects.get(pk=user.pk))  # a copy: validation mutates it
    grid = MembershipGridForm(data, companies=companies, memberships=user.memberships.all())
    if request.method == "POST" and form.is_valid() and grid.is_valid():
        try:
            services.user_edit(
                user=user,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                is_client_admin=form.cleaned_data["is_client_admin"],
                grants=grid.grants(),
                by=admin,
            )
        except (services.ServiceError, ValidationError) as e:
            messages.error(request, "; ".join(getattr(e, "messages", [str(e)])))
        else:
            messages.success(request, f"User {user.username} saved.")
            return redirect("user_list")
    if user.is_active:
        toggle = MenuItem(
            "Deactivate",
            reverse("user_deactivate", args=[user.pk]),
            method="post",
            confirm=f"Deactivate {user.username}? They will no longer be able to log in.",
            disabled_reason="You cannot deactivate yourself." if user.pk == admin.pk else "",
        )
    else:
        toggle = MenuItem("Reactivate", reverse("user_reactivate", args=[user.pk]), method="post")
    return render(
        request,
        "sellercloud/user_form.html",
        {
            "title": f"Edit User — {user.username}",
            "edited": user,
            "form": form,
            "grid": grid,
            "actions": [toggle, MenuItem("Back to Users", reverse("user_list"))],
        },
    )


@login_required
@require_POST
def user_deactivate(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    admin = _require_client_admin(request)
    user = get_object_or_404(User, pk=user_id)
    try:
        services.user_deactivate(user=user, by=admin)
    except services.ServiceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"User {user.username} deactivated: they can no longer log in.")
    return redirect("user_edit", user_id=user.pk)


@login_required
@require_POST
def user_reactivate(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    admin = _require_client_admin(request)
    user = get_object_or_404(User, pk=user_id)
    services.user_reactivate(user=user, by=admin)
    messages.success(request, f"User {user.username} reactivated.")
    return redirect("user_edit", user_id=user.pk)
