"""The console's CSV batch upload (a preview that issues nothing, then the ready rows issued
through the API's batch code with a result per row), its limits and CSRF, the facilities page,
and the issue form's "valid until" date."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import base64
import csv
import html as html_lib
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import (  # noqa: F401 (fixtures)
    HOLDER,
    Hub,
    client,
    ctx,
    database_url,
    hub,
    make_settings,
    other_hub,
    postgres_database,
    register,
    settings,
)
from tests.service.test_facilities import LAB, NANTES
from tests.web.test_console import _csrf, _html, _login, _stored, _verify, browser  # noqa: F401
from tests.web.test_pages import BROWSER

from passport_vc.api import create_app
from passport_vc.services import batch
from passport_vc.services.context import open_service
from passport_vc.settings import Settings
from passport_vc.timestamps import utc_now
from passport_vc.web.console_batch import max_csv_bytes

OTHER = "did:web:makers.example:kofi"
HEADER = ["holder", "holderName", "skill", "level", "evidence"]


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


GOOD = [HOLDER, "Amina Diallo", "LASER-CUT", "3", "Cut a 40-part enclosure"]
GOOD_2 = [OTHER, "Kofi Mensah", "SOLDER-THT", "2", ""]
BAD_LEVEL = [HOLDER, "Amina Diallo", "SOLDER-THT", "9", ""]
BAD_SKILL = [OTHER, "", "NO-SUCH-SKILL", "1", ""]
BAD_HOLDER = ["not a did", "Someone", "LASER-CUT", "1", ""]


def _preview(
    client: TestClient, csrf: str | None, data: bytes, filename: str = "badges.csv"
) -> Any:
    form = {"action": "preview", **({"csrf": csrf} if csrf is not None else {})}
    return client.post("/console/batch", data=form, files={"file": (filename, data, "text/csv")})


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert found, page
    return html_lib.unescape(found.group(1))


def _confirm(client: TestClient, preview: str, csrf: str | None = None) -> Any:
    data = {
        "action": "issue",
        "csrf": csrf if csrf is not None else _hidden(preview, "csrf"),
        "csv": _hidden(preview, "csv"),
        "filename": _hidden(preview, "filename"),
        "idempotency_key": _hidden(preview, "idempotency_key"),
    }
    return client.post("/console/batch", data=data)


def _cells(page: str) -> dict[int, str]:
    """The text of each table row of the preview or result, by its row number."""
    rows = re.findall(r'<tr id="row-(\d+)">(.*?)</tr>', page, flags=re.DOTALL)
    return {int(number): re.sub(r"\s+", " ", body) for number, body in rows}


def _links(page: str) -> list[str]:
    return re.findall(r'href="/credentials/([0-9a-f-]{36})"', page)


def _signed_in_form(client: TestClient, hub: Hub) -> str:
    _login(client, hub.api_key)
    return _csrf(_html(client.get("/console/batch")))


def _audit_issues(client: TestClient) -> int:
    return _html(client.get("/console/audit")).count("credential.issue")


# --- the form --------------------------------------------------------------------------------


def test_the_batch_and_facilities_pages_need_a_session(browser: TestClient) -> None:
    for path in ("/console/batch", "/console/facilities"):
        response = browser.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/login"
    response = browser.post(
        "/console/batch",
        data={"action": "preview", "csrf": "x"},
        files={"file": ("badges.csv", _csv([GOOD]), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console/login"


def test_the_form_documents_every_column_and_the_nav_links_the_new_pages(
    browser: TestClient, hub: Hub
) -> None:
    _login(browser, hub.api_key)
    page = _html(browser.get("/console/batch"))
    assert 'enctype="multipart/form-data"' in page and '<label for="file">' in page
    assert 'id="file" name="file" type="file"' in page
    for column in batch.CSV_COLUMNS:
        assert f'<th scope="row"><code>{column}</code></th>' in page
    assert "<caption>" in page and '<th scope="col">Column</th>' in page
    assert f"/makerspaces/{hub.slug}/badges/batch" in page
    assert "10,000 rows" in page
    assert 'href="/console/batch" aria-current="page">Batch upload</a>' in page
    assert 'href="/console/facilities">Facilities</a>' in page
    assert 'href="/console/batch">Batch upload</a>' in _html(browser.get("/console"))


def test_the_example_on_the_form_previews_as_ready(browser: TestClient, hub: Hub) -> None:
    csrf = _signed_in_form(browser, hub)
    page = _html(browser.get("/console/batch"))
    found = re.search(r'<pre class="example"><code>(.*?)</code></pre>', page, flags=re.DOTALL)
    assert found, page
    example = html_lib.unescape(found.group(1)).encode()
    preview = _html(_preview(browser, csrf, example))
    assert "<strong>2 ready</strong>, <strong>0 with an error</strong>" in preview
    assert "Issue 2 badges" in preview


# --- the preview -----------------------------------------------------------------------------


def test_the_preview_names_each_wrong_field_and_issues_nothing(
    browser: TestClient, hub: Hub
) -> None:
    csrf = _signed_in_form(browser, hub)
    audit_before = _audit_issues(browser)
    data = _csv([GOOD, BAD_LEVEL, BAD_SKILL, BAD_HOLDER, GOOD_2])
    page = _html(_preview(browser, csrf, data))
    assert "<strong>2 ready</strong>, <strong>3 with an error</strong>" in page
    assert "Nothing has been issued yet" in page
    cells = _cells(page)
    assert sorted(cells) == [2, 3, 4, 5, 6]  # spreadsheet rows: the header is row 1
    assert "ready" in cells[2] and "(LASER-CUT)" in cells[2] and "level 3" in cells[2]
    assert "Amina Diallo" in cells[2] and HOLDER in cells[2] and "Cut a 40-part" in cells[2]
    assert "<code>level</code>" in cells[3] and "outside the scale" in cells[3]
    assert "<code>skill</code>" in cells[4] and "unknown skill" in cells[4]
    assert "<code>holder</code>" in cells[5] and "must be a DID" in cells[5]
    assert "ready" in cells[6] and "Will be skipped" not in cells[6]
    for number in (3, 4, 5):
        assert "Will be skipped" in cells[number]
    assert "Issue 2 badges" in page and "skipped" in page
    assert _stored(browser, hub)["total"] == 0
    assert _audit_issues(browser) == audit_before


def test_without_a_ready_row_there_is_no_confirm_button_and_issue_refuses(
    browser: TestClient, hub: Hub
) -> None:
    csrf = _signed_in_form(browser, hub)
    data = _csv([BAD_LEVEL, BAD_SKILL])
    page = _html(_preview(browser, csrf, data))
    assert 'value="issue"' not in page and "nothing to issue" in page
    forced = browser.post(
        "/console/batch",
        data={"action": "issue", "csrf": csrf, "csv": base64.b64encode(data).decode()},
    )
    assert "nothing was issued" in _html(forced, 422)
    assert _stored(browser, hub)["total"] == 0


def test_a_row_asking_for_the_same_badge_twice_is_pointed_out(
    browser: TestClient, hub: Hub
) -> None:
    csrf = _signed_in_form(browser, hub)
    page = _html(_preview(browser, csrf, _csv([GOOD, GOOD_2, GOOD])))
    cells = _cells(page)
    assert "the same badge as row 2" in cells[4] and "same badge" not in cells[2]


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"", 422, "the CSV is empty"),
        (b"holder,skill,level,colour\n", 422, "unknown CSV column 'colour'"),
        (b"holder,skill\n", 422, "needs a 'level' column"),
        ("holder,skill,level\ndid:key:é,X,1\n".encode("latin-1"), 422, "not UTF-8"),
        (b"holder,skill,level\n" + b"x" * 140_000 + b",X,1\n", 422, "malformed CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_clear_error_on_the_form(
    browser: TestClient, hub: Hub, data: bytes, status: int, words: str
) -> None:
    csrf = _signed_in_form(browser, hub)
    page = _html(_preview(browser, csrf, data), status)
    assert "The file cannot be read" in page and words in html_lib.unescape(page)
    assert 'role="alert"' in page and '<label for="file">' in page
    assert _stored(browser, hub)["total"] == 0


def test_a_row_with_too_many_cells_is_an_error_of_that_row(browser: TestClient, hub: Hub) -> None:
    csrf = _signed_in_form(browser, hub)
    data = _csv([GOOD]) + f"{OTHER},Kofi,LASER-CUT,1,,surplus\n".encode()
    cells = _cells(_html(_preview(browser, csrf, data)))
    assert "ready" in cells[2]
    assert "<code>(row)</code>" in cells[3] and "more cells than the header" in cells[3]


def test_no_file_chosen_is_a_422(browser: TestClient, hub: Hub) -> None:
    csrf = _signed_in_form(browser, hub)
    response = browser.post("/console/batch", data={"action": "preview", "csrf": csrf})
    assert "Choose a CSV file" in _html(response, 422)
    response = browser.post("/console/batch", data={"action": "explode", "csrf": csrf})
    _html(response, 422)


# --- issuing ---------------------------------------------------------------------------------


def test_issue_writes_exactly_the_ready_rows_and_they_are_listed(
    browser: TestClient, hub: Hub
) -> None:
    csrf = _signed_in_form(browser, hub)
    preview = _html(_preview(browser, csrf, _csv([GOOD, BAD_LEVEL, GOOD_2, BAD_SKILL])))
    assert _stored(browser, hub)["total"] == 0
    page = _html(_confirm(browser, preview))
    assert "Issued 2 badges from badges.csv" in page
    assert "2 rows were skipped" in page
    cells = _cells(page)
    assert "Issued:" in cells[2] and "Issued:" in cells[4]
    assert "Skipped" in cells[3] and "<code>level</code>" in cells[3]
    assert "Skipped" in cells[5] and "<code>skill</code>" in cells[5]
    links = _links(page)
    assert len(links) == 2 and links[0] in cells[2] and links[1] in cells[4]

    stored = _stored(browser, hub)
    assert stored["total"] == 2
    assert {item["id"] for item in stored["items"]} == set(links)
    listing = _html(browser.get("/console"))
    assert all(f"/credentials/{uuid}" in listing for uuid in links)
    holders = {}
    for uuid in links:
        response = browser.get(f"/credentials/{uuid}", headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        credential = response.json()
        credential = credential.get("verifiableCredential", credential)
        assert _verify(browser, credential)["verified"] is True
        holders[uuid] = credential["credentialSubject"]["id"]
    assert holders == {links[0]: HOLDER, links[1]: OTHER}
    audit = _html(browser.get("/console/audit"))
    assert audit.count("credential.issue") == 2 and f"makerspace:{hub.slug}" in audit


def test_a_confirmation_sent_twice_issues_once(browser: TestClient, hub: Hub) -> None:
    """A reload of the result page (or a double click) posts the same confirmation again:
    the badges of the first come back, nothing more is issued. A new preview is a new batch."""
    csrf = _signed_in_form(browser, hub)
    preview = _html(_preview(browser, csrf, _csv([GOOD, GOOD_2])))
    first = _html(_confirm(browser, preview))
    again = _html(_confirm(browser, preview))
    assert _links(again) == _links(first) and len(_links(first)) == 2
    assert _stored(browser, hub)["total"] == 2
    fresh = _html(_preview(browser, csrf, _csv([GOOD, GOOD_2])))
    assert _hidden(fresh, "idempotency_key") != _hidden(preview, "idempotency_key")
    assert len(set(_links(_html(_confirm(browser, fresh)))) - set(_links(first))) == 2
    assert _stored(browser, hub)["total"] == 4


def test_the_issue_step_checks_the_file_again(browser: TestClient, hub: Hub) -> None:
    """The file comes back from the browser: it is parsed and checked again, never trusted."""
    csrf = _signed_in_form(browser, hub)
    edited = base64.b64encode(_csv([GOOD, BAD_HOLDER])).decode()
    response = browser.post("/console/batch", data={"action": "issue", "csrf": csrf, "csv": edited})
    page = _html(response)
    assert "Issued 1 badge" in page and "1 row was skipped" in page
    assert _stored(browser, hub)["total"] == 1
    damaged = browser.post(
        "/console/batch", data={"action": "issue", "csrf": csrf, "csv": "not base64!"}
    )
    assert "damaged" in _html(damaged, 422)
    assert _stored(browser, hub)["total"] == 1


@pytest.mark.parametrize("token", [None, "", "0" * 64, "wrong"])
def test_without_the_right_csrf_token_nothing_is_previewed_or_issued(
    browser: TestClient, hub: Hub, token: str | None
) -> None:
    csrf = _signed_in_form(browser, hub)
    page = _html(_preview(browser, token, _csv([GOOD])), 403)
    assert "security token" in page and "Amina" not in page
    preview = _html(_preview(browser, csrf, _csv([GOOD])))
    _html(_confirm(browser, preview, csrf=token if token is not None else ""), 403)
    without = browser.post(
        "/console/batch", data={"action": "issue", "csv": _hidden(preview, "csv")}
    )
    _html(without, 403)
    assert _stored(browser, hub)["total"] == 0


def test_another_makerspace_sees_none_of_the_batch(
    browser: TestClient, hub: Hub, other_hub: Hub
) -> None:
    csrf = _signed_in_form(browser, hub)
    preview = _html(_preview(browser, csrf, _csv([GOOD, GOOD_2])))
    links = _links(_html(_confirm(browser, preview)))
    assert len(links) == 2
    for uuid in links:
        credential = browser.get(f"/credentials/{uuid}", headers={"Accept": "application/json"})
        body = credential.json()
        body = body.get("verifiableCredential", body)
        issuer = body["issuer"]["id"] if isinstance(body["issuer"], dict) else body["issuer"]
        assert issuer == hub.did

    other_csrf = _signed_in_form(browser, other_hub)
    for path in ("/console", "/console/batch", "/console/audit", "/console/facilities"):
        page = _html(browser.get(path))
        assert not any(uuid in page for uuid in links), path
    assert _stored(browser, other_hub)["total"] == 0
    # The first makerspace's form token does not work in the other's session.
    assert other_csrf != csrf
    _html(_confirm(browser, preview), 403)
    assert _stored(browser, other_hub)["total"] == 0
    assert _stored(browser, hub)["total"] == 2


def test_text_from_the_csv_is_shown_as_text(browser: TestClient, hub: Hub) -> None:
    csrf = _signed_in_form(browser, hub)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    rows = [
        [HOLDER, evil, "LASER-CUT", "2", evil],
        [HOLDER, evil, evil, "2", evil],
    ]
    preview = _preview(browser, csrf, _csv(rows), filename=f"{evil}.csv")
    page = _html(preview)  # asserts there is no <script at all
    assert "<img" not in page and "&lt;script&gt;" in page and "&lt;img" in page
    result = _html(_confirm(browser, page))
    assert "<img" not in result and "&lt;script&gt;" in result
    assert "Issued 1 badge" in result
    assert _stored(browser, hub)["total"] == 1


# --- limits ----------------------------------------------------------------------------------


def test_a_file_over_the_byte_limit_is_a_413_page_and_issues_nothing(
    browser: TestClient, hub: Hub, settings: Settings
) -> None:
    csrf = _signed_in_form(browser, hub)
    limit = max_csv_bytes(settings)
    row = ",".join(GOOD).encode() + b"\n"
    data = _csv([]) + row * (limit // len(row) + 1)
    assert len(data) > limit
    page = _html(_preview(browser, csrf, data), 413)
    assert "larger than" in page and f"/makerspaces/{hub.slug}/badges/batch" in page
    assert 'role="alert"' in page
    # The same through the confirm step (a file carried back that grew meanwhile).
    carried = base64.b64encode(data[: limit + 1]).decode()
    response = browser.post(
        "/console/batch", data={"action": "issue", "csrf": csrf, "csv": carried}
    )
    _html(response, 413)
    assert _stored(browser, hub)["total"] == 0


def test_a_file_at_the_byte_limit_goes_through_both_steps(
    browser: TestClient, hub: Hub, settings: Settings
) -> None:
    """The confirm form carries the file back base64-encoded: at the limit it still fits the
    request body limit of the console's path."""
    csrf = _signed_in_form(browser, hub)
    limit = max_csv_bytes(settings)
    good = ",".join(GOOD).encode() + b"\n"
    bad = ",".join([*BAD_LEVEL[:4], "x" * 5000]).encode() + b"\n"
    data = _csv([]) + good + bad * ((limit - len(_csv([])) - len(good)) // len(bad))
    data += b'"' + b"y" * (limit - len(data) - 2) + b'"'  # a last row, one quoted cell
    assert len(data) == limit
    preview = _html(_preview(browser, csrf, data))
    assert "<strong>1 ready</strong>" in preview
    result = _html(_confirm(browser, preview))
    assert "Issued 1 badge" in result
    assert _stored(browser, hub)["total"] == 1


@pytest.fixture
def few_rows(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """A console whose batches hold at most 3 rows."""
    opened = open_service(make_settings(tmp_path, database_url, max_batch_rows=3))
    with TestClient(create_app(ctx=opened), raise_server_exceptions=False) as test_client:
        test_client.base_url = test_client.base_url.copy_with(scheme="https")
        test_client.headers.update(BROWSER)
        yield test_client
    opened.close()


def test_a_file_over_the_row_limit_is_refused_on_the_form(few_rows: TestClient) -> None:
    lab = register(few_rows, "Fablab Cotonou")
    csrf = _signed_in_form(few_rows, lab)
    page = _html(_preview(few_rows, csrf, _csv([GOOD, GOOD_2, GOOD, GOOD_2])), 422)
    assert "at most 3 rows" in page and "at most 3 rows and" in page
    assert _stored(few_rows, lab)["total"] == 0
    assert "<strong>3 ready</strong>" in _html(_preview(few_rows, csrf, _csv([GOOD, GOOD_2, GOOD])))


# --- facilities ------------------------------------------------------------------------------


def _facility(client: TestClient, hub: Hub, body: dict[str, Any]) -> str:
    response = client.post(f"/makerspaces/{hub.slug}/facilities", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    facility_id: str = response.json()["id"]
    return facility_id


def _contract(client: TestClient, hub: Hub, name: str, parties: list[str]) -> str:
    body = {
        "item": {"name": name},
        "totalQuantity": 10,
        "parties": [{"did": did, "role": "buyer"} for did in parties],
    }
    response = client.post("/contracts", json=body, headers=hub.auth)
    assert response.status_code == 201, response.text
    contract_id: str = response.json()["id"]
    return contract_id


def test_the_facilities_page_lists_this_makerspaces_facilities_and_contracts(
    browser: TestClient, hub: Hub, other_hub: Hub
) -> None:
    _login(browser, hub.api_key)
    empty = _html(browser.get("/console/facilities"))
    assert "has no facility records yet" in empty and "is a party to none" in empty

    lab = _facility(browser, hub, LAB)
    evil = {**NANTES, "name": "<b>PiNG</b>"}
    theirs = _facility(browser, other_hub, evil)
    created = _contract(browser, hub, "Solar dryer", [HOLDER])
    party = _contract(browser, other_hub, "Loom <i>frame</i>", [hub.did, HOLDER])
    unrelated = _contract(browser, other_hub, "Bike trailer", [HOLDER])

    page = _html(browser.get("/console/facilities"))
    assert 'href="/console/facilities" aria-current="page"' in page
    row = re.search(rf'<tr>\s*<th scope="row"><a href="/facilities/{lab}">(.*?)</tr>', page, re.S)
    assert row, page
    assert "Fablab Cotonou" in row.group(1) and '<td class="num">2</td>' in row.group(1)
    assert "Cotonou, BJ" in row.group(1)
    assert theirs not in page and "PiNG" not in page
    assert f'href="/contracts/{created}"' in page and f'href="/contracts/{party}"' in page
    assert unrelated not in page
    assert "Loom &lt;i&gt;frame&lt;/i&gt;" in page and "<i>" not in page
    assert "<caption>" in page

    _login(browser, other_hub.api_key)
    page = _html(browser.get("/console/facilities"))
    assert f'href="/facilities/{theirs}"' in page and "&lt;b&gt;PiNG&lt;/b&gt;" in page
    assert lab not in page and created not in page
    assert party in page and unrelated in page


# --- the issue form's valid-until date ---------------------------------------------------------


def _issue(client: TestClient, csrf: str, **fields: str) -> Any:
    data = {"csrf": csrf, "skill": "LASER-CUT", "level": "2", "holder": HOLDER, **fields}
    return client.post("/console/issue", data=data)


def test_the_issue_form_sets_valid_until_to_the_end_of_that_day(
    browser: TestClient, hub: Hub
) -> None:
    _login(browser, hub.api_key)
    form = _html(browser.get("/console/issue"))
    today = utc_now().date()
    assert '<label for="validUntil">' in form
    assert f'id="validUntil" name="validUntil" type="date" min="{today.isoformat()}"' in form
    day = (today + timedelta(days=400)).isoformat()
    page = _html(_issue(browser, _csrf(form), validUntil=day))
    assert f"valid until {day}" in page
    link = re.search(r'href="/credentials/([0-9a-f-]{36})"', page)
    assert link, page
    stored = browser.get(f"/credentials/{link.group(1)}", headers={"Accept": "application/json"})
    credential = stored.json()
    credential = credential.get("verifiableCredential", credential)
    assert credential["validUntil"] == f"{day}T23:59:59Z"
    assert _verify(browser, credential)["verified"] is True
    # Today is still allowed: the badge lasts to the end of the day.
    _html(_issue(browser, _csrf(form), validUntil=today.isoformat()))
    assert _stored(browser, hub)["total"] == 2


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("past", "is in the past"),
        ("2027-02-30", "not a calendar date"),
        ("31/12/2027", "must be a date (YYYY-MM-DD)"),
        ("2027-12-31T00:00:00Z", "must be a date (YYYY-MM-DD)"),
    ],
)
def test_a_wrong_valid_until_is_named_and_nothing_is_issued(
    browser: TestClient, hub: Hub, value: str, words: str
) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console/issue")))
    if value == "past":
        value = (utc_now().date() - timedelta(days=1)).isoformat()
    page = _html(_issue(browser, csrf, validUntil=value), 422)
    assert "Not issued:" in page and words in page and "(field: validUntil)" in page
    assert 'aria-invalid="true"' in page
    assert re.search(r'id="validUntil"[^>]*aria-invalid="true"', page)
    assert _stored(browser, hub)["total"] == 0
