"""Database helpers shared by the apps."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

# Columns whose Python value the database driver takes as it is (exact types: a subclass such as
# an encrypted field has its own conversion and goes through Django's).
PLAIN_FIELD_TYPES = frozenset(
    {
        models.CharField,
        models.TextField,
        models.SlugField,
        models.EmailField,
        models.URLField,
        models.IntegerField,
        models.BigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SmallIntegerField,
        models.BooleanField,
        models.DecimalField,
        models.DateField,
        models.UUIDField,
        models.ForeignKey,
        models.OneToOneField,
    }
)


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field `name` of `model` that is a column of the model itself, for its verbose name or
    default. (`_meta.get_field` also returns reverse relations, which have neither.)"""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a field of its own"
    return field


class DumpedJSON(dict[str, Any]):
    """A JSON object with its text already dumped: `bulk_insert` COPYs that text instead of
    dumping the object again (a marketplace payload is hashed from the same text). Anywhere else
    it is the plain dict it copies."""

    __slots__ = ("text",)

    def __init__(self, value: dict[str, Any], text: str) -> None:
        super().__init__(value)
        self.text = text


class _Blueprint:
    """What `unsaved` needs of a model, worked out once: its constant defaults, the fields whose
    default is computed each time, and its relations."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = list(model._meta.concrete_fields)
        self.dynamic = [f for f in fields if f.has_default() and callable(f.default)]
        self.static = {f.attname: f.get_default() for f in fields if f not in self.dynamic}
        self.relations: dict[str, models.ForeignKey[Any, Any]] = {
            f.name: f for f in fields if isinstance(f, models.ForeignKey)
        }
        self.names = {f.attname for f in fields} | set(self.relations)


_blueprints: dict[type[models.Model], _Blueprint] = {}


def unsaved(model: type[M], /, **values: Any) -> M:
    """A new instance of `model`, unsaved, as `model(**values)` makes it but for the pre_init and
    post_init signals (none of our models has receivers): the fields' defaults set straight into
    the instance, then `values`, a relation given as its object or its id. A page of new orders
    makes tens of thousands of rows, and Model.__init__ was the largest share of writing them."""
    blueprint = _blueprints.get(model) or _blueprints.setdefault(model, _Blueprint(model))
    obj = model.__new__(model)
    obj._state = ModelState()
    attributes = obj.__dict__
    attributes.update(blueprint.static)
    for field in blueprint.dynamic:
        attributes[field.attname] = field.get_default()
    for name, value in values.items():
        if (relation := blueprint.relations.get(name)) is not None:
            attributes[relation.attname] = None if value is None else value.pk
            relation.set_cached_value(obj, value)
        elif name in blueprint.names:
            attributes[name] = value
        else:
            raise TypeError(f"{model.__name__} has no field {name!r}")
    return obj


def _is_plain(field: models.Field) -> bool:
    return type(field) in PLAIN_FIELD_TYPES or (
        type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add)
    )


def _is_timestamp(field: models.Field) -> bool:
    return type(field) is models.DateTimeField and (field.auto_now or field.auto_now_add)


def replan_foreign_key_checks() -> None:
    """Have PostgreSQL plan its foreign-key checks again, for the tables as they are now.

    A connection plans each foreign-key check once and keeps the plan. Planned while the orders
    table's statistics said it was empty (here: every download after its orders were deleted and
    the table vacuumed), the check of each item, payment and event against its order was a
    sequential scan, and stayed one while the download added thousands of orders: in
    `bench/download.py`, 20,000 orders took 70 s instead of 12.6 s, with 121,000 scans of the
    table. Called before each page's bulk write; it costs one statement and a few replans.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DISCARD PLANS")


def commit_without_flush_wait() -> None:
    """Let the current transaction's commit return before its WAL reaches the disk (PostgreSQL's
    synchronous_commit off, for this transaction only). Only for writes that a later, ordinary
    commit vouches for (that commit flushes the WAL up to itself, earlier commits included, and a
    crash before it loses only work the next attempt redoes), or that may be lost in a database
    crash without harm (a print counted, its event); never for numbers or money."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")


def bulk_insert(objs: Sequence[models.Model]) -> None:
    """Insert new rows of one model, setting their primary keys.

    On PostgreSQL with COPY, the ids taken from the table's sequence first: a page of marketplace
    orders is then written for a fraction of what INSERTs of bound parameters cost (SPEC S11).
    Elsewhere, bulk_create. Constraint violations raise Django's IntegrityError either way.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    # Plain columns are read with one attrgetter per row; the others go through Django's
    # conversion (JSON, encryption), except auto_now timestamps: one `now` for the whole batch.
    plain_fields = [f for f in fields if _is_plain(f)]
    timestamps = [f for f in fields if _is_timestamp(f)]
    converted = [f for f in fields if f not in plain_fields and f not in timestamps]
    plain = operator.attrgetter(meta.pk.attname, *(f.attname for f in plain_fields))
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, meta.pk.attname, pk)
            for field in timestamps:
                setattr(obj, field.attname, now)
            obj._state.adding = False
            obj._state.db = connection.alias
        ordered = [meta.pk, *plain_fields, *timestamps, *converted]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in ordered)
        copy_sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        stamps = (now,) * len(timestamps)

        def prepared(field: models.Field, obj: models.Model) -> Any:
            value = field.pre_save(obj, True)
            return value.text if type(value) is DumpedJSON else field.get_db_prep_save(value, connection)

        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            for obj in objs:
                copy.write_row((*plain(obj), *stamps, *(prepared(f, obj) for f in converted)))
