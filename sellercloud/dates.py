"""One date format everywhere (issue 24, point 6): the company's, day first (dd/mm/yyyy, a French
product). Pages, messages and date inputs use these; a date input is a text input in this
format, since a browser's own date input follows the browser's locale (mm/dd/yyyy in en-US)."""

from datetime import date, datetime

from django import forms

DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
DATE_PLACEHOLDER = "dd/mm/yyyy"
# What a date input takes: the format shown, and ISO (old bookmarks, saved views, scripts).
DATE_INPUT_FORMATS = [DATE_FORMAT, "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"]


def date_text(value: date | datetime) -> str:
    return value.strftime(DATE_FORMAT)


class DateTextInput(forms.DateInput):
    """A date typed as dd/mm/yyyy, shown the same way."""

    input_type = "text"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        defaults = {"placeholder": DATE_PLACEHOLDER, "inputmode": "numeric", "autocomplete": "off", "size": "10"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DATE_FORMAT)
