"""Returns (issue 22): RMAs of shipped orders, their receipt, resolutions, refunds and replacements.

The models live in orders.models.rma. The words, what an item is worth and the rules are modules
of their own beside this package (orders.rma_choices, orders.rma_values, orders.rma_rules), since
the order modules below it (models, events, the refund service) read them; this package holds
the services, the replacement orders, the return reasons and the pages. RMA lives in orders: it
never imports channels or invoices.
"""
