"""orders.money: the one rule for money typed by people, and its re-check in services."""

from decimal import Decimal

import pytest
from django import forms

from orders.money import MAX_AMOUNT, MoneyError, MoneyField, check_money, parse_money

MESSAGE = "Enter an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."

GOOD = [
    ("12", "12.00"),
    ("12.5", "12.50"),
    ("12,50", "12.50"),
    (" 12.50 ", "12.50"),
    ("0", "0.00"),
    ("0,01", "0.01"),
    ("9999999999.99", "9999999999.99"),
]
# "\u0661\u0662" is 12 in Arabic-Indic digits and "\u00b2" a superscript 2: str.isdigit() takes
# both, Decimal() the first, and Python's \d in a regex both.
BAD = [
    "99999999999",
    "10000000000",
    "1E1",
    "1e5",
    "\u0661\u0662",
    "\u00b2",
    "\uff11\uff12",  # fullwidth 12
    "12.345",
    "12,345",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "+5",
    "1_000",
    "0x10",
    "1 000",
    "12.",
    ".5",
    "1.2.3",
    "1,000.00",
    "12€",
    "abc",
]


@pytest.mark.parametrize(("text", "amount"), GOOD)
def test_parse_money_takes_up_to_10_digits_and_2_decimals_with_a_point_or_a_comma(text, amount):
    assert str(parse_money(text)) == amount


@pytest.mark.parametrize("text", BAD)
def test_parse_money_refuses_what_the_column_cannot_hold_or_is_not_plainly_written(text):
    with pytest.raises(MoneyError) as refused:
        parse_money(text)
    assert str(refused.value) == MESSAGE


def test_parse_money_names_the_amount_when_told_and_refuses_negatives_with_their_own_message():
    with pytest.raises(MoneyError, match=r"^Shipping cost must be an amount such as 12\.50 \(at most 10 digits"):
        parse_money("1E1", label="Shipping cost")
    with pytest.raises(MoneyError, match=r"^Shipping cost cannot be negative\.$"):
        parse_money("-5", label="Shipping cost")
    with pytest.raises(MoneyError, match=r"^Enter an amount of 0 or more, such as 12\.50\.$"):
        parse_money(" - 5,50")


def test_a_money_error_is_a_value_error():
    assert issubclass(MoneyError, ValueError)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("12.5"), Decimal("12.500"), MAX_AMOUNT])
def test_check_money_returns_what_the_column_holds(amount):
    assert check_money(amount, label="Amount") is amount


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("10000000000"),
        Decimal("9999999999.995"),
        Decimal("1E+30"),
        Decimal("12.345"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        12.5,
        12,
        "12.50",
        None,
        True,
    ],
)
def test_check_money_refuses_what_the_column_cannot_hold(amount):
    with pytest.raises(MoneyError) as refused:
        check_money(amount, label="Amount To Refund")
    assert str(refused.value) == (
        "Amount To Refund must be an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."
    )


def test_check_money_refuses_a_negative_amount():
    with pytest.raises(MoneyError, match=r"^Shipping cost cannot be negative\.$"):
        check_money(Decimal("-0.01"), label="Shipping cost")


class CostForm(forms.Form):
    cost = MoneyField(label="Shipping cost")
    tip = MoneyField(required=False)


@pytest.mark.parametrize(("text", "amount"), GOOD)
def test_money_field_cleans_to_a_decimal(text, amount):
    form = CostForm({"cost": text})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"cost": Decimal(amount), "tip": None}


@pytest.mark.parametrize("text", [*BAD, "-5"])
def test_money_field_refuses_with_the_message(text):
    form = CostForm({"cost": text})
    assert not form.is_valid()
    expected = "Enter an amount of 0 or more, such as 12.50." if text == "-5" else MESSAGE
    assert form.errors["cost"] == [expected]


@pytest.mark.parametrize("text", ["", "   "])
def test_money_field_empty_is_required_unless_optional(text):
    form = CostForm({"cost": text, "tip": text})
    assert not form.is_valid()
    assert form.errors == {"cost": ["This field is required."]}


def test_money_field_is_a_text_input_that_shows_its_initial_amount():
    html = str(CostForm(initial={"cost": Decimal("0.00")})["cost"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html and 'value="0.00"' in html
