"""URLs of the Cdiscount settings pages and the Sync Log (included at the root by sellercloud.urls)."""

from django.urls import path

from . import invoice_upload_views, ledger_views, reconcile_views, sync_log_views, views

urlpatterns = [
    path("companies/<int:company_id>/cdiscount/", views.cdiscount_settings, name="cdiscount_settings"),
    path("companies/<int:company_id>/cdiscount/edit/", views.cdiscount_settings_edit, name="cdiscount_settings_edit"),
    path("companies/<int:company_id>/cdiscount/get-token/", views.cdiscount_get_token, name="cdiscount_get_token"),
    path("companies/<int:company_id>/cdiscount/download/", views.cdiscount_download, name="cdiscount_download"),
    path(
        "companies/<int:company_id>/cdiscount/download-order/",
        views.cdiscount_download_order,
        name="cdiscount_download_order",
    ),
    path("companies/<int:company_id>/cdiscount/upload/", views.cdiscount_upload, name="cdiscount_upload"),
    path(
        "companies/<int:company_id>/cdiscount/failed-uploads/",
        views.cdiscount_failed_uploads,
        name="cdiscount_failed_uploads",
    ),
    path(
        "companies/<int:company_id>/cdiscount/failed-uploads/retry/",
        views.cdiscount_failed_uploads_retry,
        name="cdiscount_failed_uploads_retry",
    ),
    path(
        "companies/<int:company_id>/cdiscount/failed-uploads/retry-invoices/",
        invoice_upload_views.cdiscount_failed_invoice_uploads_retry,
        name="cdiscount_failed_invoice_uploads_retry",
    ),
    path(
        "companies/<int:company_id>/cdiscount/reconcile/",
        reconcile_views.cdiscount_reconcile,
        name="cdiscount_reconcile",
    ),
    path(
        "companies/<int:company_id>/cdiscount/reconciliation/",
        reconcile_views.cdiscount_reconciliation,
        name="cdiscount_reconciliation",
    ),
    path(
        "reconciliation/differences/<int:drift_id>/fix/",
        reconcile_views.reconcile_drift_fix,
        name="reconcile_drift_fix",
    ),
    path("sync-log/", sync_log_views.sync_log, name="sync_log"),
    path("sync-log/<int:run_id>/", sync_log_views.sync_run, name="sync_run"),
    path("sync-log/<int:run_id>/progress/", sync_log_views.sync_run_progress, name="sync_run_progress"),
    path("sync-log/accounts/<int:account_id>/backfill-gap/", ledger_views.sync_gap_backfill, name="sync_gap_backfill"),
    path("sync-log/problems/<int:problem_id>/retry/", sync_log_views.sync_problem_retry, name="sync_problem_retry"),
]
