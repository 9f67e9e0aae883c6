"""Forms of the RMA pages. They parse what a user typed (a number, a choice) and nothing more: the
rules (how many may be returned or received, which resolutions are allowed) are the services'."""

from __future__ import annotations

from typing import Any

from django import forms

from ..models import RMA, OrderItem
from ..rma_choices import ItemCondition, Resolution
from .services import Receipt, ReturnLine

_NO_CHOICE = [("", "—")]


def _qty(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, widget=forms.NumberInput(attrs={"class": "rma-qty"}))


class CreateRMAForm(forms.Form):
    """Create RMA: per item a tick, Qty to Return and a Reason; or one Return Reason For All Items."""

    reason_for_all = forms.ChoiceField(label="Return Reason For All Items", required=False)
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )
    channel_reference = forms.CharField(label="Channel Return Reference", required=False, max_length=100)

    def __init__(self, *args: Any, items: list[OrderItem], reasons: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _NO_CHOICE + [(name, name) for name in reasons]
        reason_field = self.fields["reason_for_all"]
        assert isinstance(reason_field, forms.ChoiceField)
        reason_field.choices = choices
        self.items = items
        for item in items:
            self.fields[f"return_{item.pk}"] = forms.BooleanField(label=f"Return {item.sku}", required=False)
            self.fields[f"qty_{item.pk}"] = _qty(f"Qty to Return of {item.sku}")
            self.fields[f"reason_{item.pk}"] = forms.ChoiceField(
                label=f"Reason for {item.sku}", choices=choices, required=False
            )

    def rows(self) -> list[tuple[OrderItem, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(i, self[f"return_{i.pk}"], self[f"qty_{i.pk}"], self[f"reason_{i.pk}"]) for i in self.items]

    def lines(self) -> list[ReturnLine]:
        data = self.cleaned_data
        return [
            ReturnLine(item.pk, data.get(f"qty_{item.pk}") or 0, data.get(f"reason_{item.pk}") or "")
            for item in self.items
            if data.get(f"return_{item.pk}")
        ]


class ReceiveForm(forms.Form):
    """Receive Return: per item the quantity received now and its condition."""

    def __init__(self, *args: Any, rma: RMA, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rma_items = list(rma.items.all())
        for item in self.rma_items:
            sku = item.order_item.sku
            self.fields[f"received_{item.pk}"] = _qty(f"Qty received now of {sku}")
            self.fields[f"condition_{item.pk}"] = forms.ChoiceField(
                label=f"Condition of {sku}", choices=ItemCondition.choices, initial=ItemCondition.SELLABLE
            )

    def rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(i, self[f"received_{i.pk}"], self[f"condition_{i.pk}"]) for i in self.rma_items]

    def receipts(self) -> list[Receipt]:
        data = self.cleaned_data
        return [
            Receipt(item.pk, data.get(f"received_{item.pk}") or 0, data.get(f"condition_{item.pk}") or "")
            for item in self.rma_items
        ]


class ResolutionForm(forms.Form):
    """Set Resolution: the ticked items get one resolution, with a comment."""

    items = forms.TypedMultipleChoiceField(
        label="Items", coerce=int, widget=forms.CheckboxSelectMultiple, error_messages={"required": "Tick the items."}
    )
    resolution = forms.ChoiceField(label="Resolution", choices=Resolution.choices)
    comment = forms.CharField(
        label="Comment", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )
    exchange_sku = forms.CharField(
        label="Exchange SKU", required=False, max_length=100, help_text="Exchange only: the SKU sent instead."
    )

    def __init__(self, *args: Any, rma: RMA, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items_field = self.fields["items"]
        assert isinstance(items_field, forms.ChoiceField)
        items_field.choices = [
            (
                i.pk,
                f"{i.order_item.sku} · {i.quantity} expected, {i.received_quantity} received"
                f" · {i.get_resolution_display()}",
            )
            for i in rma.items.all()
        ]


class NoteForm(forms.Form):
    """Put On Hold: an optional note."""

    note = forms.CharField(label="Note", required=False, max_length=255)
