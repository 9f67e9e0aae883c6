"""The sandbox's invoice documents (reference 3.12; issue 21): multipart upload, asynchronous
import, the list, refusals in problem+json, faults, the request log, and the client's three calls."""

from __future__ import annotations

import pytest
import requests

from channels.cdiscount.exceptions import PermanentChannelError, TransientChannelError
from channels.cdiscount.invoice_documents import MAX_FILE_BYTES, parse_documents, parse_import
from channels.sandbox import SandboxConfig, SandboxServer
from tests.channels.test_sandbox import assert_problem, token_for

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def sandbox(make_cdiscount_sandbox):
    return make_cdiscount_sandbox(orders=0, invoice_import_seconds=3600)


@pytest.fixture
def api(sandbox):
    token = token_for(sandbox).json()["access_token"]

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}", "SellerId": "98979"}
        return requests.request(method, sandbox.api_base_url + path, headers=headers, timeout=5, **kwargs)

    return call


@pytest.fixture
def shipped(sandbox):
    (order_id,) = sandbox.control.create_orders(status="InPreparation")
    sandbox.control.set_status(order_id, "Shipped")
    return order_id


def post_file(api, order_id, data=PDF, *, name="F2026-000001.pdf", field="file"):
    return api("POST", f"/orders/{order_id}/invoice-documents", files={field: (name, data, "application/pdf")})


def test_an_upload_is_answered_201_running_then_succeeds_after_a_lifecycle_step(sandbox, api, shipped):
    response = post_file(api, shipped)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "Running" and body["importId"]
    running = api("GET", f"/order-invoice-imports/{body['importId']}").json()
    assert running["status"] == "Running"

    sandbox.control.advance(order_ids=[shipped])
    done = api("GET", f"/order-invoice-imports/{body['importId']}").json()

    assert done["status"] == "Success" and done["integrationStatus"] == "ExtractUpload"
    assert done["files"] == [
        {
            "fileName": "F2026-000001.pdf",
            "orderId": shipped,
            "status": "Success",
            "integrationStatus": "ExtractUpload",
            "errors": [],
        }
    ]


def test_the_list_shows_the_orders_document_and_a_new_post_replaces_it(api, shipped):
    first = post_file(api, shipped).json()["importId"]
    second = post_file(api, shipped, name="F2026-000001-bis.pdf").json()["importId"]

    listing = api("GET", f"/orders/{shipped}/invoice-documents", params={"pageSize": 10}).json()

    assert [(d["importId"], d["fileName"]) for d in listing["items"]] == [(second, "F2026-000001-bis.pdf")]
    assert first != second and listing["nextCursor"] is None


def test_an_order_not_shipped_yet_is_refused_and_nothing_recorded(sandbox, api):
    (order_id,) = sandbox.control.create_orders(status="InPreparation")

    body = assert_problem(post_file(api, order_id), 400)

    assert f"Order {order_id} is InPreparation: an invoice is uploaded once the order is shipped." == body["detail"]
    assert api("GET", f"/orders/{order_id}/invoice-documents").json()["items"] == []


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"data": b"Bonjour, ceci n'est pas un PDF"}, 400, "must be a PDF"),
        ({"field": "document"}, 400, "The file is required."),
        ({"data": b"%PDF-" + b"0" * MAX_FILE_BYTES}, 413, "at most 10485760 bytes"),
    ],
    ids=["not-a-pdf", "no-file-field", "over-10-mb"],
)
def test_a_bad_file_is_refused_in_problem_json_and_nothing_recorded(api, shipped, kwargs, status, words):
    body = assert_problem(post_file(api, shipped, **kwargs), status)

    assert words in json_text(body)
    assert api("GET", f"/orders/{shipped}/invoice-documents").json()["items"] == []


def json_text(body) -> str:
    return body["detail"] + " " + " ".join(" ".join(v) for v in body.get("errors", {}).values())


def test_unknown_order_and_unknown_import_are_404(api):
    assert_problem(post_file(api, "NOPE"), 404)
    assert_problem(api("GET", "/order-invoice-imports/unknown"), 404)
    assert_problem(api("GET", "/orders/NOPE/invoice-documents"), 404)


def test_the_request_log_keeps_every_post_with_its_file_but_not_its_bytes(sandbox, api, shipped):
    post_file(api, shipped, data=b"not a pdf")
    post_file(api, shipped)

    posts = [r for r in sandbox.requests(path_contains="/invoice-documents") if r.method == "POST"]

    assert [p.status for p in posts] == [400, 201]
    assert posts[1].body["file"]["fileName"] == "F2026-000001.pdf"
    assert posts[1].body["file"]["size"] == len(PDF) and len(posts[1].body["file"]["sha256"]) == 64
    assert "PDF-1.7" not in str(posts[1].body)


def test_faults_hit_invoice_calls_as_the_other_endpoints(sandbox, api, shipped):
    # a 5xx before anything is recorded
    sandbox.control.set_faults(next_errors=1)
    assert_problem(post_file(api, shipped), 503)
    assert api("GET", f"/orders/{shipped}/invoice-documents").json()["items"] == []
    # a 429 with Retry-After
    sandbox.control.set_faults(next_rate_limits=1, retry_after=2)
    limited = post_file(api, shipped)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    # a lost answer: recorded, then the connection drops
    sandbox.control.set_faults(next_lost_answers=1)
    with pytest.raises(requests.ConnectionError):
        post_file(api, shipped)
    (document,) = api("GET", f"/orders/{shipped}/invoice-documents").json()["items"]
    posts = [r for r in sandbox.requests(path_contains="/invoice-documents") if r.method == "POST"]
    assert [(p.status, p.fault) for p in posts] == [(503, "error"), (429, "rate_limit"), (201, "lost_answer")]
    assert document["status"] == "Running"


def test_an_import_can_be_made_to_fail(sandbox, api, shipped):
    sandbox.control.set_faults(next_import_failures=1)
    import_id = post_file(api, shipped).json()["importId"]
    sandbox.control.advance(order_ids=[shipped])

    done = api("GET", f"/order-invoice-imports/{import_id}").json()

    assert done["status"] == "Failure" and done["integrationStatus"] == "FileCheck"
    assert done["files"][0]["errors"] == [{"code": "InvalidFile", "message": "The invoice file could not be read."}]


def test_imports_survive_a_restart(make_cdiscount_sandbox, tmp_path):
    state_file = tmp_path / "kept.json"
    first = make_cdiscount_sandbox(orders=0, state_file=state_file, invoice_import_seconds=0)
    (order_id,) = first.control.create_orders(status="Shipped")
    client = first.make_client()
    posted = client.upload_invoice(order_id=order_id, pdf=PDF, file_name="F1.pdf")
    first.server.stop()

    second = SandboxServer(config=SandboxConfig(orders=0, state_file=state_file)).start()
    try:
        assert second.state.invoice_imports[posted.import_id]["orderId"] == order_id
    finally:
        second.stop()


# --- the client's three calls ------------------------------------------------------------------


def test_the_client_posts_follows_and_lists(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0, invoice_import_seconds=0)
    (order_id,) = sandbox.control.create_orders(status="Shipped")
    client = sandbox.make_client()

    posted = client.upload_invoice(order_id=order_id, pdf=PDF, file_name="F1.pdf")
    followed = client.get_invoice_import(import_id=posted.import_id)
    (document,) = client.list_invoice_documents(order_id=order_id)

    assert (posted.status, posted.finished) == ("Running", False)
    assert (followed.status, followed.succeeded, followed.integration_status) == ("Success", True, "ExtractUpload")
    assert (document.import_id, document.file_name, document.counts_as_uploaded) == (posted.import_id, "F1.pdf", True)
    post = [r for r in sandbox.requests(path_contains="/invoice-documents") if r.method == "POST"][0]
    assert post.body["file"]["contentType"] == "application/pdf"


def test_the_client_never_sends_a_post_again_and_says_what_it_was(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    (order_id,) = sandbox.control.create_orders(status="Shipped")
    client = sandbox.make_client()
    sandbox.control.set_faults(next_errors=1)

    with pytest.raises(TransientChannelError) as caught:
        client.upload_invoice(order_id=order_id, pdf=PDF, file_name="F1.pdf")

    assert caught.value.request_may_have_been_processed
    assert len([r for r in sandbox.requests(path_contains="/invoice-documents") if r.method == "POST"]) == 1


def test_the_client_raises_cdiscounts_words_on_a_refusal(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    (order_id,) = sandbox.control.create_orders(status="InPreparation")

    with pytest.raises(PermanentChannelError) as caught:
        sandbox.make_client().upload_invoice(order_id=order_id, pdf=PDF, file_name="F1.pdf")

    assert caught.value.status == 400
    assert "an invoice is uploaded once the order is shipped" in caught.value.marketplace_words


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({"importId": "a1", "status": "Running"}, "Running", ()),
        (
            {
                "importId": "a1",
                "status": "Failure",
                "integrationStatus": "OrderCheck",
                "errors": ["Order unknown"],
                "files": [{"errors": [{"code": "X", "message": "Bad file"}, {"code": "Y"}]}],
            },
            "Failure",
            ("Order unknown", "Bad file", "Y"),
        ),
    ],
)
def test_import_answers_are_parsed_tolerantly(body, status, errors):
    parsed = parse_import(body)
    assert (parsed.status, parsed.errors) == (status, errors)


@pytest.mark.parametrize("body", [{"status": "Running"}, {"importId": "a1"}, [], "Success"])
def test_an_import_answer_without_id_or_status_is_refused(body):
    with pytest.raises(ValueError, match="importId and status are required|expected a JSON object"):
        parse_import(body)


def test_a_document_whose_import_failed_does_not_count_as_uploaded():
    documents, cursor = parse_documents(
        {"items": [{"importId": "a", "status": "Failure"}, {"importId": "b"}], "nextCursor": "c2"}
    )
    assert [d.counts_as_uploaded for d in documents] == [False, True] and cursor == "c2"
