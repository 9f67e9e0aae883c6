"""The one permission function of SPEC S3 answers per company."""

import pytest
from django.http import Http404

from sellercloud.permissions import Permission, company_for_user_or_404, user_can, user_companies
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_employee_may_refund_in_company_a_but_not_in_b():
    # given an employee with refunds in A, and only viewing in B
    a, b = CompanyFactory(), CompanyFactory()
    employee = UserFactory()
    MembershipFactory(user=employee, company=a, can_issue_refunds=True)
    MembershipFactory(user=employee, company=b, can_issue_refunds=False)

    # then
    assert user_can(employee, Permission.ISSUE_REFUNDS, a)
    assert not user_can(employee, Permission.ISSUE_REFUNDS, b)
    assert user_can(employee, Permission.VIEW_ORDERS, b)


def test_employee_may_do_nothing_in_a_company_without_membership():
    a, c = CompanyFactory(), CompanyFactory()
    employee = UserFactory()
    MembershipFactory(user=employee, company=a, can_process_orders=True)

    assert not any(user_can(employee, p, c) for p in Permission)
    assert list(user_companies(employee)) == [a]
    with pytest.raises(Http404):
        company_for_user_or_404(employee, c.pk)


def test_client_admin_may_do_everything_everywhere():
    a, b = CompanyFactory(), CompanyFactory()
    admin = UserFactory(is_client_admin=True)

    assert all(user_can(admin, p, company) for p in Permission for company in (a, b))
    assert set(user_companies(admin)) == {a, b}


def test_inactive_user_may_do_nothing():
    a = CompanyFactory()
    admin = UserFactory(is_client_admin=True, is_active=False)

    assert not user_can(admin, Permission.VIEW_ORDERS, a)
    assert not user_companies(admin).exists()


def test_permission_accepts_a_company_id():
    a = CompanyFactory()
    employee = UserFactory()
    MembershipFactory(user=employee, company=a, can_manage_channel=True)

    assert user_can(employee, Permission.MANAGE_CHANNEL, a.pk)
    assert not user_can(employee, Permission.MANAGE_INVOICES, a.pk)
