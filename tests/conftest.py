"""Shared fixtures. Embedded services are started by the root conftest.py."""

from collections.abc import Iterator

import pytest
from django.db import connection

from sellercloud.celery import app as celery_app
from tests.factories import CompanyFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    # Row locks and real concurrency need PostgreSQL; SQLite serialises writers.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); this run is on SQLite")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Files the tests store (the demo's logo) go to a temporary MEDIA_ROOT, never to media/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def dashboard_charts_drawn_each_time(settings):
    """The dashboard's charts are not kept between views in tests: the cache (Redis) outlives a
    test, and on SQLite a rolled-back test's company ids come again. tests/orders/test_dashboard.py
    turns the keeping on where it tests it."""
    settings.DASHBOARD_CHARTS_SECONDS = 0


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def client_admin(db):
    return UserFactory(username="admin", is_client_admin=True)


@pytest.fixture
def eager_celery(settings) -> Iterator[None]:
    """Run Celery tasks in the test's process. The Celery app has its own copy of the settings:
    read it before anything changes, set it there too, and put it back afterwards (a leak would
    make later tests that need a real worker run their tasks in-process)."""
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before
