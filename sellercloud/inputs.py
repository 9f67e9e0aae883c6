"""What a request may hold, each rule in one place (issue 14): ids and dates.

Every app parses ids and dates from requests through this module, so an odd value gets a sentence
for people instead of an exception from Python or from the database:

- An id is ASCII digits only, 1 to 9223372036854775807 (the largest bigint). `str.isdigit()`
  also takes `²` and `①`, which `int()` then refuses; `str.isdecimal()` alone takes Arabic-Indic
  digits; and SQLite cannot bind an integer above the bigint range.
- A date lies between 2000-01-01 and a year from today. Outside that nothing of ours exists, and
  the edges break: the day after 9999-12-31 does not exist (a filter "to the end of the day"
  adds one), and year 1 at midnight in Paris is before year 1 in UTC (SQLite converts it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from .dates import DATE_INPUT_FORMATS, DATE_PLACEHOLDER, DateTextInput, date_text

__all__ = [
    "EARLIEST_DATE",
    "ID_MAX",
    "BoundedDateField",
    "IdField",
    "IdListField",
    "IdModelChoiceField",
    "coerce_id",
    "date_bounds",
    "parse_id",
    "parse_ids",
]

ID_MAX = 2**63 - 1  # 9223372036854775807: PostgreSQL bigint, SQLite INTEGER
_ID_MAX_DIGITS = len(str(ID_MAX))
ID_HINT = "a whole number such as 1234"

EARLIEST_DATE = date(2000, 1, 1)
DAYS_AHEAD = 366  # a year from today, whatever the year's length


def parse_id(value: object) -> int | None:
    """The id `value` writes, or None when it is not one (see the module docstring)."""
    text = value if isinstance(value, str) else str(value)
    # The length first: int() of thousands of digits is slow, and refused past 4300 digits.
    if not (text.isascii() and text.isdecimal()) or len(text) > _ID_MAX_DIGITS:
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


def coerce_id(value: object) -> int:
    """parse_id for a form's `coerce=`: ValueError when `value` is not an id."""
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


def parse_ids(values: Iterable[object]) -> tuple[list[int], list[str]]:
    """The ids among `values`, and the values that are not ids (as text), each in the order given."""
    ids: list[int] = []
    refused: list[str] = []
    for value in values:
        number = parse_id(value)
        if number is None:
            refused.append(str(value))
        else:
            ids.append(number)
    return ids, refused


class IdField(forms.Field):
    """One id (parse_id); anything else is "Enter an ID: a whole number such as 1234."."""

    widget = forms.NumberInput
    default_error_messages = {"invalid": f"Enter an ID: {ID_HINT}."}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = parse_id(str(value).strip())
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdListField(forms.Field):
    """Several ids (ticked checkboxes): every one must be an id, or none is taken."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": f"The selection holds something that is not an ID ({ID_HINT}): choose again from the list."
    }

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids, refused = parse_ids(values)
        if refused:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class IdModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose value must be an id first (Django's would take `١٢` as 12)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and parse_id(str(value)) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def date_bounds() -> tuple[date, date]:
    """The dates a user may type: from 2000-01-01 to a year from today."""
    return EARLIEST_DATE, timezone.localdate() + timedelta(days=DAYS_AHEAD)


class BoundedDateField(forms.DateField):
    """A DateField that refuses a date outside date_bounds(), saying which dates it takes. Typed
    and shown as dd/mm/yyyy (sellercloud.dates), ISO also taken.

    Narrower rules (not in the future, not before the order date) stay with the services; this
    one only keeps dates where the code around them works.
    """

    widget = DateTextInput
    default_error_messages = {"invalid": f"Enter a date as {DATE_PLACEHOLDER}, such as 31/12/2026."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        super().__init__(**kwargs)

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is None:
            return
        earliest, latest = date_bounds()
        if not earliest <= value <= latest:
            raise forms.ValidationError(
                f"Enter a date from {date_text(earliest)} to {date_text(latest)}.", code="out_of_range"
            )
