"""The one answer to "may this user do X in this company" (SPEC S3), and the company scoping
every view uses. Nothing else checks memberships."""

from django.db.models import QuerySet
from django.http import Http404

from .models import Company, Membership, Permission, User

__all__ = ["Permission", "user_can", "user_companies", "company_for_user_or_404"]


def user_can(user: User, permission: Permission, company: Company | int) -> bool:
    """True when `user` may do `permission` in `company`.

    A Client Admin may do everything everywhere; an Employee only what their membership in that
    company grants. Inactive and anonymous users may do nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_client_admin:
        return True
    company_id = company if isinstance(company, int) else company.pk
    membership = _memberships(user).get(company_id)
    return membership is not None and membership.grants(permission)


def user_companies(user: User) -> QuerySet[Company]:
    """The companies this user may see at all (every one for a Client Admin)."""
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    if user.is_client_admin:
        return Company.objects.all()
    return Company.objects.filter(memberships__user=user)


def company_for_user_or_404(user: User, company_id: int) -> Company:
    """The company, or 404 when it is outside the user's companies (never 403: SPEC S3)."""
    try:
        return user_companies(user).get(pk=company_id)
    except Company.DoesNotExist:
        raise Http404("No such company.") from None


def _memberships(user: User) -> dict[int, Membership]:
    # Cached on the user object for the request: menus ask many times per page.
    cached: dict[int, Membership] | None = getattr(user, "_membership_cache", None)
    if cached is None:
        cached = {m.company_id: m for m in Membership.objects.filter(user=user)}
        user._membership_cache = cached  # type: ignore[attr-defined]  # a cache on the instance, not a field
    return cached
