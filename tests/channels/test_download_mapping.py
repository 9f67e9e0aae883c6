"""What a download creates when it first sees an order (SPEC S5), the rule the tests and
`make soak` compare the local orders with."""

import pytest

from channels.download.mapping import imported_when_first_seen


@pytest.mark.parametrize(
    ("status", "allow_unpaid", "imported"),
    [
        ("InPreparation", False, True),
        ("Shipped", False, True),
        ("Delivered", False, True),
        ("WaitingAcceptance", False, False),
        ("WaitingAcceptance", True, True),
        ("Processing", True, True),
        ("Accepted", True, True),
        ("Cancelled", True, False),
        ("Refused", True, False),
        ("Rejected", True, False),
        ("Teleported", True, False),
    ],
)
def test_imported_when_first_seen(status, allow_unpaid, imported):
    assert imported_when_first_seen(status=status, allow_unpaid=allow_unpaid) is imported
