"""Staff browsing the way they do, for the load test of SPEC S11 (bench/load.py starts it).

Each simulated user logs in once, then, 1 to 3 s apart: Manage Orders with filters and search,
deep pages and Next, Order Details, the dashboard, now and then a bulk hold on a few orders
(released again) and a refund of one cent. Response times are kept once every user has logged
in (the ramp-up's password hashing left out); errors count from the start. A user stops by
itself after LOAD_REQUESTS requests. Every answer but the expected status counts as an error.

Read from the environment (bench/load.py writes them): LOAD_ACCOUNTS (a JSON file of
[{"username", "password", "orders": [ids], "refund_orders": [ids]}]), LOAD_TERMS (search terms,
JSON), LOAD_REQUESTS, LOAD_RESULTS (where the response times are written at the end).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

ACCOUNTS: list[dict[str, Any]] = json.loads(open(os.environ["LOAD_ACCOUNTS"]).read())  # noqa: SIM115
TERMS: list[str] = json.loads(os.environ.get("LOAD_TERMS", "[]"))
REQUESTS = int(os.environ.get("LOAD_REQUESTS", "200"))
DEEP_PAGES = int(os.environ.get("LOAD_DEEP_PAGE", "2000"))
_next_account = itertools.count()
_lock = threading.Lock()
TIMES: list[float] = []  # ms of every request once all users have logged in
ERRORS: list[str] = []
USERS = int(os.environ.get("LOAD_USERS", "50"))
_logged_in = itertools.count(1)
_steady = threading.Event()  # set once every user has logged in: the ramp-up is not measured
_steady_at: list[float] = []
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, exception: Any, **_: Any) -> None:
    if name.startswith("login"):
        return
    with _lock:
        if exception is not None:  # errors count from the first request on
            ERRORS.append(f"{request_type} {name}: {exception}"[:300])
        if _steady.is_set():
            TIMES.append(response_time)


@events.quitting.add_listener
def _write(**_: Any) -> None:
    with open(os.environ["LOAD_RESULTS"], "w") as out:
        seconds = time.monotonic() - _steady_at[0] if _steady_at else 0.0
        json.dump({"times_ms": TIMES, "errors": ERRORS, "steady_seconds": seconds}, out)


class Staff(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.account = ACCOUNTS[next(_next_account) % len(ACCOUNTS)]
        self.done = 0
        page = self.client.get("/login/", name="login form")
        token = CSRF.search(page.text)
        credentials = {"username": self.account["username"], "password": self.account["password"]}
        csrf = {"csrfmiddlewaretoken": token.group(1) if token else ""}
        with self.client.post("/login/", {**credentials, **csrf}, name="login", catch_response=True) as response:
            if response.url is None:  # no answer at all (the server down): an error, not a crash
                response.failure(f"login not answered: {response.error}")
            elif "/login/" in response.url:  # still on the login page: refused
                response.failure("login refused")
        if next(_logged_in) == USERS:
            _steady_at.append(time.monotonic())
            _steady.set()

    def _count(self) -> None:
        self.done += 1
        if self.done >= REQUESTS:
            raise StopUser()

    def _get(self, url: str, name: str) -> Any:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
        self._count()
        return response

    def _post(self, url: str, data: dict[str, Any], name: str, csrf_from: str) -> None:
        token = CSRF.search(csrf_from)
        data = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
        with self.client.post(url, data, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code not in (200, 302):
                response.failure(f"{response.status_code}")
        self._count()

    @task(5)
    def manage_orders_filtered(self) -> None:
        status = random.choice(["in_process", "completed", "canceled"])
        self._get(f"/orders/?channel=cdiscount&status={status}&per_page=50", "manage orders: filters")

    @task(3)
    def manage_orders_search(self) -> None:
        if TERMS:
            self._get(f"/orders/?q={random.choice(TERMS)}", "manage orders: search")

    @task(2)
    def manage_orders_deep(self) -> None:
        self._get(f"/orders/?channel=cdiscount&page={random.randint(2, DEEP_PAGES)}", "manage orders: deep page")

    @task(2)
    def manage_orders_next(self) -> None:
        page = self._get(f"/orders/?page={random.randint(1, DEEP_PAGES)}", "manage orders: deep page")
        found = re.search(r'href="([^"]*)" rel="next"', page.text)
        if found:
            self._get(found.group(1).replace("&amp;", "&"), "manage orders: next")

    @task(4)
    def order_details(self) -> None:
        self._get(f"/orders/{random.choice(self.account['orders'])}/", "order details")

    @task(2)
    def dashboard(self) -> None:
        self._get("/dashboard/", "dashboard")

    @task(1)
    def bulk_hold(self) -> None:
        page = self._get("/orders/?channel=cdiscount", "manage orders: filters")
        ids = random.sample(self.account["orders"], 3)
        self._post(
            "/orders/bulk/",
            {"action": "hold", "ids": ids, "text": "Load test", "confirmed": "1"},
            "bulk hold",
            page.text,
        )
        self._post(
            "/orders/bulk/", {"action": "release_hold", "ids": ids, "confirmed": "1"}, "bulk release hold", page.text
        )

    @task(1)
    def refund(self) -> None:
        order_id = random.choice(self.account["refund_orders"])
        form = self._get(f"/orders/{order_id}/refund/", "refund form")
        token = re.search(r'name="form_token" value="([^"]+)"', form.text)
        payment = re.search(r'name="payment"[^>]*>\s*<option value="(\d+)"', form.text)
        date = re.search(r'name="refund_date"[^>]*value="([^"]+)"', form.text)
        if not (token and payment and date):
            ERRORS.append(f"refund form of order {order_id} lacks its fields")
            return
        data = {
            "payment": payment.group(1),
            "amount": "0.01",
            "refund_date": date.group(1),
            "notes": "Load test",
            "form_token": token.group(1),
        }
        self._post(f"/orders/{order_id}/refund/", data, "refund", form.text)
