"""Plugins the tests name in INVOICE_PLUGINS: one that raises while rendering, one that is not a
renderer at all."""


class ExplodingInvoice:
    key = "exploding"
    label = "Exploding invoice"

    def render(self, job):
        raise RuntimeError("the label printer template is missing")


class NotARenderer:
    key = "not_a_renderer"
