"""Manage Orders URLs (names in the "orders" namespace): the grid, Saved Views, bulk actions,
Import Tracking."""

from django.urls import path

from .views import bulk_actions, manage, tracking_import

urlpatterns = [
    path("", manage.order_list, name="list"),
    path("views/", manage.saved_view_create, name="saved_view_create"),
    path("views/<int:view_id>/", manage.saved_view_open, name="saved_view_open"),
    path("views/<int:view_id>/delete/", manage.saved_view_delete, name="saved_view_delete"),
    path("bulk/", bulk_actions.bulk_action, name="bulk"),
    path("bulk/favorites/", manage.bulk_favorite, name="bulk_favorite"),
    path("bulk/jobs/<str:job_id>/", bulk_actions.bulk_job, name="bulk_job"),
    path("import-tracking/", tracking_import.import_tracking, name="import_tracking"),
    path("import-tracking/report/", tracking_import.import_tracking_report, name="import_tracking_report"),
    path("import-tracking/<int:job_id>/", tracking_import.import_tracking_job, name="import_tracking_job"),
    path(
        "import-tracking/<int:job_id>/progress/",
        tracking_import.import_tracking_job_progress,
        name="import_tracking_job_progress",
    ),
    path(
        "import-tracking/<int:job_id>/resume/",
        tracking_import.import_tracking_job_resume,
        name="import_tracking_job_resume",
    ),
]
