"""The company's return reasons (Company Settings > Toolbox > Return Settings).

A company starts with orders.rma_choices.DEFAULT_RETURN_REASONS, written the first time its
list is read: the core app creates companies and knows nothing of returns.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from sellercloud.models import Company

from ..models import ReturnReason
from ..rma_choices import DEFAULT_RETURN_REASONS
from ..rules import OrderRuleError


def return_reasons(company: Company, *, include_hidden: bool = False) -> list[ReturnReason]:
    """The company's reasons in their order, seeded with the defaults if it has none yet."""
    reasons = list(ReturnReason.objects.filter(company=company))
    if not reasons:
        ReturnReason.objects.bulk_create(
            [ReturnReason(company=company, name=name, position=i) for i, name in enumerate(DEFAULT_RETURN_REASONS)],
            ignore_conflicts=True,  # a concurrent first read seeded them too
        )
        reasons = list(ReturnReason.objects.filter(company=company))
    return reasons if include_hidden else [r for r in reasons if not r.hidden]


@transaction.atomic
def return_reason_add(*, company: Company, name: str) -> ReturnReason:
    """Add a reason at the end of the list; a name already there (hidden or not) is refused."""
    name = " ".join(name.split())
    if not name:
        raise OrderRuleError("Type the reason's name.")
    if len(name) > 100:
        raise OrderRuleError("A reason is at most 100 characters.")
    existing = return_reasons(company, include_hidden=True)
    if any(r.name.casefold() == name.casefold() for r in existing):
        raise OrderRuleError(f"“{name}” is already in the list (show it again if it is hidden).")
    last = ReturnReason.objects.filter(company=company).aggregate(last=Max("position"))["last"] or 0
    return ReturnReason.objects.create(company=company, name=name, position=last + 1)


def return_reason_set_hidden(*, company: Company, reason_id: int, hidden: bool) -> ReturnReason:
    """Hide a reason from Create RMA (RMAs that used it keep it), or show it again."""
    reason = ReturnReason.objects.filter(company=company, pk=reason_id).first()
    if reason is None:
        raise OrderRuleError("No such reason in this company.")
    reason.hidden = hidden
    reason.save(update_fields=["hidden"])
    return reason
