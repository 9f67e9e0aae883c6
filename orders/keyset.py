"""Keyset paging for Manage Orders' Next and Previous (issue 25, SPEC S11).

A numbered page is read with OFFSET: page 2,000 walks 100,000 index entries first. Next and
Previous instead carry a cursor, the sort value and id of the page's last (or first) row, and read
the rows just after (or before) it: `WHERE key <= v AND (key < v OR id < x) ORDER BY key, id LIMIT
n`, which the (key, id) indexes answer from the cursor on, however deep the page. The first
condition is redundant but lets the planner start its index scan at the cursor.

Cursors are opaque to users (base64 of JSON) and checked on the way in: a cursor that does not
decode, or whose value is not one of its field's, is refused and the page is read by its number.
Sorts on a column that can be empty (Ship By, Ship Confirmed) page by number only: NULLs do not
compare.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Field, Model, Q, QuerySet


class CursorRefused(ValueError):
    """A cursor that is not one of ours, or not of this sort."""


@dataclass(frozen=True)
class Cursor:
    """The position of one row in an ordering: its sort value and its id."""

    value: Any
    pk: int


def _field(model: type[Model], path: str) -> Field:
    """The model field at `path` ("order_date", "company__name")."""
    current: Any = model
    field = None
    for part in path.split("__"):
        field = current._meta.get_field(part)
        current = field.related_model or current
    assert isinstance(field, Field)
    return field


def keyset_supported(model: type[Model], ordering: tuple[str, ...]) -> bool:
    """Whether `ordering` (a field, then the id the same way) can page by cursor: its field never
    holds NULL."""
    try:
        return not _field(model, ordering[0].lstrip("-")).null
    except FieldDoesNotExist:
        return False


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def cursor_of(row: Model, ordering: tuple[str, ...]) -> str:
    """The cursor of `row` in `ordering`."""
    value: Any = row
    for part in ordering[0].lstrip("-").split("__"):
        value = getattr(value, part)
    raw = json.dumps([_text(value), row.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_read(text: str, model: type[Model], ordering: tuple[str, ...]) -> Cursor:
    """The cursor `text` names, its value in its field's type; CursorRefused when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value, pk = json.loads(raw)
        if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
            raise ValueError("bad id")
        field = _field(model, ordering[0].lstrip("-"))
        return Cursor(value=field.to_python(value), pk=pk)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, ValidationError) as exc:
        raise CursorRefused("This page link is not valid any more.") from exc


def _flip(term: str) -> str:
    return term[1:] if term.startswith("-") else f"-{term}"


def rows_after(
    qs: QuerySet[Any], *, ordering: tuple[str, ...], cursor: Cursor, limit: int, backwards: bool = False
) -> QuerySet[Any]:
    """Up to `limit` rows of `qs` just after `cursor` in `ordering` (just before it, nearest
    first, when `backwards`)."""
    path = ordering[0].lstrip("-")
    descending = ordering[0].startswith("-")
    smaller = descending != backwards  # the rows wanted have smaller keys than the cursor
    less, less_or_equal = ("lt", "lte") if smaller else ("gt", "gte")
    if path == "id":
        condition = Q(**{f"pk__{less}": cursor.pk})
    else:
        condition = Q(**{f"{path}__{less_or_equal}": cursor.value}) & (
            Q(**{f"{path}__{less}": cursor.value}) | Q(**{f"pk__{less}": cursor.pk})
        )
    order = tuple(_flip(term) for term in ordering) if backwards else ordering
    return qs.filter(condition).order_by(*order)[:limit]
