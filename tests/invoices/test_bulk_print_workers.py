"""Bulk Print Invoices on a real Celery worker with two processes (issue 19, point 2): the job's
chunks are rendered by both processes side by side, and the PDF comes out in the grid's order."""

from __future__ import annotations

import re

import pytest

from invoices import bulk_print
from invoices.models import Invoice
from invoices.tasks import bulk_print_task
from tests.channels.test_download_workers import wait_for
from tests.factories import MembershipFactory, UserFactory
from tests.invoices.conftest import make_order
from tests.invoices.test_bulk_print import LINES, invoice_numbers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_two_worker_processes_render_the_chunks_and_the_pdf_keeps_the_grid_order(start_worker, legal_company, settings):
    user = UserFactory()
    MembershipFactory(user=user, company=legal_company, can_view_orders=True, can_process_orders=True)
    orders = [make_order(legal_company, LINES) for _ in range(8)]
    worker = start_worker(
        pool="prefork", concurrency=2, env={"MEDIA_ROOT": str(settings.MEDIA_ROOT), "INVOICES_BULK_PRINT_CHUNK": "1"}
    )

    job_id = bulk_print.bulk_print_start(
        user=user,
        order_ids=[o.pk for o in orders],
        enqueue=lambda job: bulk_print_task.apply_async(args=(job,), queue=worker.queue),
    )
    # bulk_print_start enqueues on commit: outside a transaction, that is at once.
    status = wait_for(
        lambda: (s := bulk_print.bulk_print_status(job_id, user=user)) and s["finished"] and s,
        timeout=120,
        what="the job finished",
        worker=worker,
    )

    assert (status["printed"], status["failed"]) == (8, 0)
    pdf, _ = bulk_print.bulk_print_pdf(job_id, user=user)
    numbers = {i.order_id: i.number for i in Invoice.objects.all()}
    assert invoice_numbers(pdf.read()) == [numbers[o.pk] for o in orders]
    chunk_lines = [
        line for line in worker.log().splitlines() if "bulk_print_chunk_task" in line and "succeeded" in line
    ]
    assert len(chunk_lines) == 8
    processes = {m.group(0) for line in chunk_lines if (m := re.search(r"ForkPoolWorker-\d+", line))}
    assert len(processes) == 2, chunk_lines
