"""Model fields shared by the apps."""

from typing import Any

from django.db import models


class BulkJSONField(models.JSONField):
    """A JSONField that bulk-inserts as plain VALUES rows.

    On PostgreSQL, Django 5.2 bulk-inserts through UNNEST of arrays, and psycopg escapes every
    quote of a jsonb array element in Python: storing a page of 100 marketplace payloads took
    seconds. A placeholder per value makes Django use VALUES rows, each value sent as it is.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"
