"""sellercloud.inputs: the one rule for ids and dates typed into a request (issue 14)."""

from datetime import date, timedelta

import pytest
from django import forms
from django.utils import timezone

from sellercloud.inputs import (
    ID_MAX,
    BoundedDateField,
    IdField,
    IdListField,
    IdModelChoiceField,
    coerce_id,
    parse_id,
    parse_ids,
)
from sellercloud.models import Company
from tests.factories import CompanyFactory


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("0042", 42),
        ("9223372036854775807", ID_MAX),
        (17, 17),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("1e3", None),
        (" 1", None),
        ("", None),
        ("²", None),  # isdigit() but not decimal
        ("①", None),  # isdigit() but not decimal
        ("٣", None),  # isdecimal() but not ASCII
        ("１２", None),  # fullwidth digits: isdecimal() but not ASCII
        ("9223372036854775808", None),  # one above bigint
        ("99999999999999999999", None),
        ("9" * 5000, None),  # int() refuses more than 4300 digits
    ],
)
def test_parse_id_takes_ascii_digits_within_bigint(text, expected):
    assert parse_id(text) == expected


def test_coerce_id_raises_value_error_for_a_form():
    assert coerce_id("12") == 12
    with pytest.raises(ValueError):
        coerce_id("²")


def test_parse_ids_keeps_the_order_and_says_what_was_refused():
    assert parse_ids(["3", "²", "1", "99999999999999999999"]) == ([3, 1], ["²", "99999999999999999999"])


def test_id_field_says_what_to_type():
    field = IdField()
    assert field.clean(" 12 ") == 12
    with pytest.raises(forms.ValidationError, match="Enter an ID: a whole number such as 1234"):
        field.clean("①")


def test_id_list_field_takes_all_or_nothing():
    field = IdListField(required=False)
    assert field.clean(["1", "2"]) == [1, 2]
    assert field.clean([]) == []
    with pytest.raises(forms.ValidationError, match="not an ID"):
        field.clean(["1", "99999999999999999999"])


def test_bounded_date_field_takes_2000_to_a_year_from_today():
    field = BoundedDateField(required=False)
    latest = timezone.localdate() + timedelta(days=366)
    assert field.clean("2000-01-01") == date(2000, 1, 1)
    assert field.clean(latest.isoformat()) == latest
    assert field.clean("") is None
    for text in ("1999-12-31", "0001-01-01", "9999-12-31", (latest + timedelta(days=1)).isoformat()):
        with pytest.raises(forms.ValidationError, match=f"Enter a date from 01/01/2000 to {latest:%d/%m/%Y}."):
            field.clean(text)


@pytest.mark.django_db
def test_id_model_choice_field_takes_only_ascii_ids():
    company = CompanyFactory()
    field = IdModelChoiceField(queryset=Company.objects.all())
    arabic_indic = str(company.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    assert field.clean(str(company.pk)) == company
    for value in (arabic_indic, "99999999999999999999", "²"):
        with pytest.raises(forms.ValidationError, match="Select a valid choice"):
            field.clean(value)
