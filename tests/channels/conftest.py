"""Logged-in clients for the channel pages: a manager and a reader of `company`, and a user with
every right in another company only."""

import pytest
from django.test import Client

from tests.factories import CompanyFactory, MembershipFactory, UserFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(company):
    user = UserFactory(username="manager")
    MembershipFactory(user=user, company=company, can_manage_channel=True)
    return user


@pytest.fixture
def manager_client(manager):
    return logged_in(manager)


@pytest.fixture
def reader_client(company):
    """An employee of the company without the Manage channel permission."""
    user = UserFactory(username="reader")
    MembershipFactory(user=user, company=company, can_view_orders=True)
    return logged_in(user)


@pytest.fixture
def outsider_client():
    """A user with every right in another company only."""
    user = UserFactory(username="outsider")
    MembershipFactory(user=user, company=CompanyFactory(name="Autre Maison SARL"), can_manage_channel=True)
    return logged_in(user)
