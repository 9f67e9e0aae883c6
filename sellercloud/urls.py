"""URL configuration: the core pages and sign-in, each app's urls, and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import PasswordResetRequestForm

# Sign-in and account pages: Django's auth views with our templates (templates/registration/).
# Their names (login, logout, password_change, password_reset, ...) are the ones Django expects.
auth_patterns = [
    path("login/", auth_views.LoginView.as_view(extra_context={"title": "Log in"}), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),  # POST only (Django 5)
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # The mail is sent by a worker, so known and unknown emails take the same time (forms.py).
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetRequestForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

core_patterns = [
    path("", views.home, name="home"),
    path("companies/", views.company_list, name="company_list"),
    path("companies/add/", views.company_add, name="company_add"),
    path("companies/switch/", views.company_switch, name="company_switch"),
    path("companies/<int:company_id>/", views.company_settings, name="company_settings"),
    path("companies/<int:company_id>/edit/", views.company_edit, name="company_edit"),
    path("users/", views.user_list, name="user_list"),
    path("users/add/", views.user_add, name="user_add"),
    path("users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("users/<int:user_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include(auth_patterns)),
    path("", include(core_patterns)),
    path("orders/", include("orders.urls")),
    path("", include("invoices.urls")),
    path("rmas/", include("orders.rma.urls")),
    path("companies/", include("orders.rma.urls_settings")),
    path("dashboard/", include("orders.urls_dashboard")),
    path("", include("channels.urls")),
]
