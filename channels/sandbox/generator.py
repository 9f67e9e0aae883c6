"""Realistic French Cdiscount orders for the sandbox (Faker fr_FR), in the API's own shape.

Names and addresses only: the API gives a pseudonymous customer reference, no email or phone.
Seeded, so the same seed gives the same people, products and prices.
"""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

# (title, typical price in EUR). Accents on purpose: they must survive every page and PDF.
CATALOGUE: list[tuple[str, float]] = [
    ("Lampe de chevet en laiton", 49.90),
    ("Cafetière à piston 1 L en verre borosilicaté", 24.99),
    ("Théière en fonte émaillée 0,8 L", 39.90),
    ("Coussin en lin lavé 45 × 45 cm, écru", 19.90),
    ("Sèche-cheveux ionique 2000 W", 34.99),
    ("Bougie parfumée fève tonka & vanille", 14.50),
    ("Plaid en laine mérinos 130 × 170 cm", 79.00),
    ("Couteau d'office lame inox 8 cm", 12.90),
    ("Lot de 6 verres à pied cristallin", 29.99),
    ("Tapis de yoga éco-conçu 4 mm", 27.50),
    ("Poêle en fonte Ø 28 cm induction", 59.90),
    ("Casque audio sans fil à réduction de bruit", 129.00),
    ("Aspirateur balai sans fil 25,2 V", 189.99),
    ("Jeu de société « Les Châteaux de la Loire »", 32.90),
    ("Sac à dos randonnée 30 L imperméable", 44.90),
    ("Montre connectée étanche 5 ATM", 89.99),
    ("Cocotte en fonte ovale 29 cm", 119.00),
    ("Ensemble de draps en percale 240 × 260 cm", 64.90),
    ("Chargeur USB-C 65 W GaN", 29.90),
    ("Perceuse-visseuse 18 V + 2 batteries", 99.90),
    ("Robot pâtissier 1000 W bol inox 5 L", 249.00),
    ("Pèse-personne impédancemètre", 22.99),
    ("Guirlande lumineuse 10 m blanc chaud", 16.90),
    ("Étagère murale en chêne massif 80 cm", 54.00),
]

DELIVERY_MODES = [
    ("TrackedHomeDelivery", 0.45),
    ("StandardHomeDelivery", 0.25),
    ("RelayPoint", 0.20),
    ("ExpressDelivery", 0.10),
]
SHIPPING_COSTS = [0.0, 2.99, 4.99, 6.90]
PAYMENT_METHODS = [("Card", 0.85), ("PayPal", 0.15)]


def ean13(rng: random.Random) -> str:
    """A valid EAN-13 with a French GS1 prefix (300-379)."""
    digits = [3, rng.randint(0, 7)] + [rng.randint(0, 9) for _ in range(10)]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _weighted(rng: random.Random, choices: list[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


class OrderGenerator:
    """Makes order dicts in the API shape, plus sandbox-only keys that start with `_`."""

    def __init__(self, *, seed: int, seller_id: str, sales_channel_id: str = "CDISFR") -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)
        self.seller_id = seller_id
        self.sales_channel_id = sales_channel_id

    def order_id(self, created: datetime, taken: set[str] | dict[str, Any]) -> str:
        # Cdiscount's legacy order-number format, e.g. 2101011234THLDJ: yymmdd, 4 digits, 5 letters.
        while True:
            candidate = (
                f"{created:%y%m%d}{self.rng.randint(0, 9999):04d}"
                f"{''.join(self.rng.choices(string.ascii_uppercase, k=5))}"
            )
            if candidate not in taken:
                return candidate

    def address(self, *, business: bool) -> dict[str, Any]:
        female = self.rng.random() < 0.55
        line2 = None
        if self.rng.random() < 0.25:
            line2 = self.rng.choice(
                [f"Appartement {self.rng.randint(1, 60)}", "Bât. B", "Résidence Les Tilleuls", "Escalier C"]
            )
        return {
            "civility": "Mme" if female else "M.",
            "firstName": self.fake.first_name_female() if female else self.fake.first_name_male(),
            "lastName": self.fake.last_name(),
            "companyName": self.fake.company() if business else None,
            "companyVatNumber": f"FR{self.rng.randint(10, 99)}{self.rng.randint(100000000, 999999999)}"
            if business
            else None,
            "addressLine1": self.fake.street_address(),
            "addressLine2": line2,
            "addressLine3": None,
            "postalCode": self.fake.postcode(),
            "city": self.fake.city(),
            "stateOrRegion": None,
            "countryCode": "FR",
        }

    def order(
        self,
        *,
        order_id: str,
        created: datetime,
        status: str,
        supply_mode: str | None = None,
        line_count: int | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        business = rng.random() < 0.05
        billing = self.address(business=business)
        # Most parcels go to the buyer's billing address; some to someone else (a gift, a relay).
        shipping = dict(billing) if rng.random() < 0.8 else self.address(business=business)
        supply_mode = supply_mode or ("Seller" if rng.random() < 0.9 else "Fulfillment")
        delivery_mode = _weighted(rng, DELIVERY_MODES)
        shipped_at_max = created + timedelta(days=2)
        lines: list[dict[str, Any]] = []
        line_ids: set[str] = set()
        products = rng.sample(CATALOGUE, k=line_count or rng.choice([1, 1, 1, 2, 2, 3]))
        for title, base_price in products:
            while True:
                line_id = "".join(rng.choices(string.ascii_uppercase + string.digits, k=4))
                if line_id not in line_ids:
                    line_ids.add(line_id)
                    break
            quantity = rng.choice([1, 1, 1, 1, 2, 2, 3])
            unit = round(base_price * rng.uniform(0.85, 1.15), 2)
            shipping_cost = rng.choice(SHIPPING_COSTS)
            line_total = round(unit * quantity, 2)
            rate = rng.choice([12, 15])
            commission_vat = round(line_total * rate / 100, 2)
            sku = "".join(w[0] for w in title.upper().split() if w[0].isalnum())[:6]
            lines.append(
                {
                    "orderLineId": line_id,
                    "status": status,
                    "quantity": quantity,
                    "offer": {
                        "id": f"OF{rng.randint(100000, 999999)}",
                        "sellerProductId": f"{sku}-{CATALOGUE.index((title, base_price)) + 1:03d}",
                        "productId": f"AUC{rng.randint(1000000000, 9999999999)}",
                        "productGtin": ean13(rng),
                        "productTitle": title,
                        "condition": "New",
                        "supplyMode": supply_mode,
                    },
                    "sellingPrice": {"unitSalesPrice": unit, "shippingCost": shipping_cost, "taxes": []},
                    "offerPrice": {
                        "unitSalesPrice": unit,
                        "shippingCost": shipping_cost,
                        "commission": {
                            "amountWithVat": commission_vat,
                            "amountWithoutVat": round(commission_vat / 1.2, 2),
                            "rate": rate,
                        },
                        "taxes": [],
                    },
                    "totalPrice": {"offerPrice": line_total, "sellingPrice": line_total},
                    "delivery": {
                        "mode": delivery_mode,
                        "promisedAtMin": _stamp(created + timedelta(days=3)),
                        "promisedAtMax": _stamp(created + timedelta(days=6)),
                        "shippedAtMax": _stamp(shipped_at_max),
                    },
                    "parcels": [],
                    # Shown only from InPreparation (the API hides it before).
                    "_shippingAddress": shipping,
                }
            )
        total = round(
            sum(line["totalPrice"]["sellingPrice"] + line["sellingPrice"]["shippingCost"] for line in lines), 2
        )
        return {
            "orderId": order_id,
            "reference": order_id,
            "businessOrder": business,
            "salesChannel": {"id": self.sales_channel_id, "name": "Cdiscount"},
            "seller": {"id": self.seller_id},
            "customer": {"reference": f"CUST-{rng.getrandbits(40):010x}"},
            "purchasedAt": _stamp(created),
            "createdAt": _stamp(created),
            "updatedAt": _stamp(created),
            "shippedAtMax": _stamp(shipped_at_max),
            "status": status,
            "payment": {"method": _weighted(rng, PAYMENT_METHODS)},
            "currencyCode": "EUR",
            "billingAddress": billing,
            "totalPrice": {"offerPrice": total, "sellingPrice": total},
            "serviceFees": [],
            "statusEvents": [],
            "lines": lines,
        }

    def parcel(self, carrier: str) -> dict[str, Any]:
        number = f"6A{self.rng.randint(10**10, 10**11 - 1)}"
        return {
            "parcelNumber": number,
            "carrierName": carrier,
            "trackingUrl": f"https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        }


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
