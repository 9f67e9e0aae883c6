"""Shared fixtures. Embedded services are started by the root conftest.py."""

import pytest
from django.db import connection

from tests.factories import CompanyFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    # Row locks and real concurrency need PostgreSQL; SQLite serialises writers.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); this run is on SQLite")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def client_admin(db):
    return UserFactory(username="admin", is_client_admin=True)
