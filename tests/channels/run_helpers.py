"""Runs that hold a lock of their own, for the tests that prove what holds without the lock.

The account's lock keeps one run of a kind per account. To show that the upsert (download) or
the claims (upload) alone keep one row per marketplace order or one post per package, two runs
must go at once: each takes a lock under a name no other run asks for, as if the account's lock
were missing. Only tests do this; production code has no way to skip the lock.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task

from channels.accounts import AccountLock
from channels.models import CdiscountAccount, SyncRun
from channels.runs import RunKind
from channels.services import DOWNLOAD
from channels.upload import UPLOAD


@contextmanager
def held(lock: AccountLock) -> Iterator[AccountLock]:
    """Hold an account's lock for the block, as a run going on elsewhere does."""
    assert lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


def run_with_a_lock_of_its_own(kind: RunKind, *, account: CdiscountAccount, **options) -> SyncRun:
    """One run of `kind` for the account under a private lock (see the module docstring)."""
    lock = AccountLock(account_id=account.pk, kind=f"{kind.kind}-test-{uuid.uuid4().hex}", ttl=kind.lock_ttl)
    assert lock.acquire()
    try:
        run = kind.create(account=account, trigger=SyncRun.Trigger.COMMAND, user=None)
        return kind.execute(run=run, lock=lock, **options)
    finally:
        lock.release()


@shared_task(name="tests.download_with_a_lock_of_its_own")
def download_with_a_lock_of_its_own(account_id: int) -> int:
    """For the tests' real workers (started with this module included)."""
    account = CdiscountAccount.objects.get(pk=account_id)
    return run_with_a_lock_of_its_own(DOWNLOAD, account=account).pk


@shared_task(name="tests.upload_with_a_lock_of_its_own")
def upload_with_a_lock_of_its_own(account_id: int) -> int:
    """For the tests' real workers (started with this module included)."""
    account = CdiscountAccount.objects.get(pk=account_id)
    return run_with_a_lock_of_its_own(UPLOAD, account=account).pk
