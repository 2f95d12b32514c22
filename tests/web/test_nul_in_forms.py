"""The NUL character (U+0000) in the web forms. PostgreSQL text cannot hold it, and the API
refuses it with a 422 naming the field (api/schemas.py NO_NUL); the forms refuse it as cleanly:
the console's issue form names the field on the form, a CSV cell holding one is an error of
that row naming the column (the API's CSV batch too), and /verify says what is wrong with the
document. Never a 500, and never a NUL stored."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import html as html_lib
import json
import re
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
    issue_badge,
    postgres_database,
    settings,
)
from tests.web.test_console import _csrf, _html, _login, _stored, browser  # noqa: F401
from tests.web.test_console_batch import GOOD, GOOD_2, HEADER, _cells, _confirm, _csv, _preview
from tests.web.test_pages import BROWSER

from passport_vc.qr.offline import encode_offline
from passport_vc.services import batch, makerspaces
from passport_vc.services.context import ServiceContext
from passport_vc.web.console import FORM_FIELDS
from passport_vc.web.verify_page import encode_doc

NUL = "\x00"


def _issue_form(browser: TestClient, hub: Hub) -> str:
    _login(browser, hub.api_key)
    return _csrf(_html(browser.get("/console/issue")))


def _good_form(csrf: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "skill": "LASER-CUT",
        "level": "2",
        "holder": HOLDER,
        "holderName": "Amina Diallo",
        "evidence": "Cut a 40-part enclosure",
        "validUntil": "2999-12-31",
    }


# --- the console's issue form ---------------------------------------------------------------


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_a_nul_in_any_field_of_the_issue_form_is_named_on_the_form(
    browser: TestClient, hub: Hub, field: str
) -> None:
    csrf = _issue_form(browser, hub)
    data = _good_form(csrf)
    data[field] = data[field][:3] + NUL + data[field][3:]
    page = _html(browser.post("/console/issue", data=data), 422)
    assert NUL not in page
    alert = re.search(r'<p class="form-error" role="alert" id="form-error">(.*?)</p>', page)
    assert alert, page
    assert f"(field: {field})" in alert.group(1)
    assert f"{field} contains the NUL character" in html_lib.unescape(alert.group(1))
    marked = re.search(rf'<(input|select|textarea) id="{field}"[^>]*>', page)
    assert marked and 'aria-invalid="true"' in marked.group(0), page
    assert _stored(browser, hub)["total"] == 0
    # The same form without the NUL issues the badge.
    assert _html(browser.post("/console/issue", data=_good_form(csrf)))
    assert _stored(browser, hub)["total"] == 1


def test_what_was_typed_is_kept_on_the_form_with_the_nul_shown(
    browser: TestClient, hub: Hub
) -> None:
    csrf = _issue_form(browser, hub)
    data = {**_good_form(csrf), "holderName": f"Amina{NUL}Diallo"}
    page = _html(browser.post("/console/issue", data=data), 422)
    assert 'value="Amina\ufffdDiallo"' in page  # where it was, as a browser shows it
    assert "Cut a 40-part enclosure</textarea>" in page


@pytest.mark.parametrize("name", ["holder", "skill", "status"])
def test_a_nul_in_a_filter_of_the_badge_list_is_a_422_page(
    browser: TestClient, hub: Hub, name: str
) -> None:
    issue_badge(browser, hub)
    _login(browser, hub.api_key)
    page = _html(browser.get("/console", params={name: f"x{NUL}"}), 422)
    assert f"{name} contains the NUL character" in html_lib.unescape(page)
    assert NUL not in page
    assert _html(browser.get("/console", params={name: "x"}), 422 if name == "status" else 200)


def test_a_nul_in_the_id_of_a_status_change_is_a_404(browser: TestClient, hub: Hub) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console")))
    response = browser.post("/console/badges/x%00y/status", data={"csrf": csrf, "action": "revoke"})
    _html(response, 404)


# --- CSV batches: the console's upload and the API's ---------------------------------------


@pytest.mark.parametrize("column", HEADER)
def test_a_nul_in_a_csv_cell_is_an_error_of_its_row_naming_the_column(
    browser: TestClient, hub: Hub, column: str
) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console/batch")))
    bad = list(GOOD_2)
    bad[HEADER.index(column)] = f"{bad[HEADER.index(column)]}{NUL}tail"
    preview = _html(_preview(browser, csrf, _csv([GOOD, bad])))
    assert NUL not in preview
    cells = _cells(preview)
    assert "ready" in cells[2]
    assert f"<code>{column}</code>" in cells[3], cells[3]
    assert f"{column} contains the NUL character" in html_lib.unescape(cells[3])
    assert "Will be skipped" in cells[3]
    assert "\ufffdtail" in cells[3]  # the row as written, the NUL where a browser shows it
    result = _html(_confirm(browser, preview))
    assert "Issued 1 badge from badges.csv." in result and "1 row was skipped" in result
    assert _stored(browser, hub)["total"] == 1


def test_a_nul_in_a_csv_header_is_a_clear_error_on_the_form(browser: TestClient, hub: Hub) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console/batch")))
    page = _html(_preview(browser, csrf, _csv([GOOD], [*HEADER[:-1], f"evi{NUL}dence"])), 422)
    assert NUL not in page and "unknown CSV column" in html_lib.unescape(page)
    assert _stored(browser, hub)["total"] == 0


def _api_csv(client: TestClient, hub: Hub, data: bytes, *, upload: bool) -> dict[str, Any]:
    path = f"/makerspaces/{hub.slug}/badges/batch"
    if upload:
        response = client.post(
            path, headers=hub.auth, files={"file": ("badges.csv", data, "text/csv")}
        )
    else:
        response = client.post(path, headers={**hub.auth, "Content-Type": "text/csv"}, content=data)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("upload", [False, True], ids=["csv-body", "multipart"])
def test_the_api_csv_batch_fails_only_the_row_with_a_nul(
    client: TestClient, hub: Hub, upload: bool
) -> None:
    bad = [HOLDER, f"Amina{NUL}", "SOLDER-THT", "1", ""]
    answer = _api_csv(client, hub, _csv([GOOD, bad, GOOD_2]), upload=upload)
    assert (answer["total"], answer["issued"], answer["failed"]) == (3, 2, 1)
    failed = answer["results"][1]
    assert failed["status"] == "failed" and failed["field"] == "holderName"
    assert "NUL" in failed["detail"]
    listed = client.get(f"/makerspaces/{hub.slug}/credentials", headers=hub.auth).json()
    assert listed["total"] == 2
    assert all(NUL not in json.dumps(item) for item in listed["items"])


# --- /verify ---------------------------------------------------------------------------------


def _verify_html(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = str(response.text)
    assert NUL not in page
    return page


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("credentialSubject.name", lambda d: d["credentialSubject"].update(name=f"A{NUL}")),
        ("issuer.id", lambda d: d["issuer"].update(id=d["issuer"]["id"] + NUL)),
        ("id", lambda d: d.update(id=d["id"] + NUL)),
        ("credentialStatus[0].id", lambda d: d["credentialStatus"][0].update(id=f"x{NUL}")),
        (f"evil{NUL}key".replace(NUL, "\\u0000"), lambda d: d.update({f"evil{NUL}key": 1})),
    ],
)
def test_a_pasted_badge_holding_a_nul_is_a_400_naming_where(
    client: TestClient, hub: Hub, where: str, change: Any
) -> None:
    badge = issue_badge(client, hub)
    change(badge)
    text = json.dumps(badge)  # NUL as the \u0000 escape: valid JSON
    response = client.post("/verify", data={"document": text}, headers=BROWSER)
    page = html_lib.unescape(_verify_html(response, 400))
    assert f"{where} contains the NUL character" in page, page
    # uploaded as a file, and carried in a link: the same refusal
    upload = client.post(
        "/verify",
        files={"file": ("badge.json", text.encode(), "application/json")},
        headers=BROWSER,
    )
    assert f"{where} contains the NUL character" in html_lib.unescape(_verify_html(upload, 400))
    link = client.get("/verify", params={"doc": encode_doc(badge)}, headers=BROWSER)
    assert "This link is damaged" in _verify_html(link, 400)


def test_a_raw_nul_in_pasted_text_is_not_json(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    text = json.dumps(badge).replace('"name"', f'"na{NUL}me"', 1)
    response = client.post("/verify", data={"document": text}, headers=BROWSER)
    assert "That is not JSON" in _verify_html(response, 400)
    outside = client.post("/verify", data={"document": NUL + json.dumps(badge)}, headers=BROWSER)
    assert "That is not JSON" in _verify_html(outside, 400)


def test_a_nul_in_the_challenge_is_a_400(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    response = client.post(
        "/verify",
        data={"document": json.dumps(badge), "challenge": f"abc{NUL}"},
        headers=BROWSER,
    )
    assert "challenge contains the NUL character" in html_lib.unescape(_verify_html(response, 400))


def test_an_offline_qr_payload_holding_a_nul_is_refused(client: TestClient, hub: Hub) -> None:
    badge = issue_badge(client, hub)
    badge["issuer"]["id"] += NUL
    response = client.get("/verify", params={"qr": encode_offline(badge)}, headers=BROWSER)
    page = html_lib.unescape(_verify_html(response, 400))
    assert "issuer.id contains the NUL character" in page


def test_a_nul_in_a_badge_reference_is_a_404(client: TestClient) -> None:
    response = client.get("/verify", params={"credential": f"urn:uuid:x{NUL}"}, headers=BROWSER)
    assert "No such badge" in _verify_html(response, 404)


def test_rows_of_any_batch_holding_a_nul_fail_naming_the_field(
    ctx: ServiceContext, hub: Hub
) -> None:
    """The CLI hands JSON rows to the same check: a NUL anywhere in a field, nested too."""
    with ctx.db.session() as session:
        makerspace = makerspaces.by_slug(session, hub.slug)
    good = {"holder": HOLDER, "skill": "LASER-CUT", "level": 2}
    rows = [
        good,
        {**good, "evidence": [{"narrative": "ok"}, {"narrative": f"cut{NUL}"}]},
        {**good, f"odd{NUL}": "x"},
    ]
    checked = batch.check_rows(ctx, makerspace, rows)
    assert checked[0].error is None
    assert [row.error.field for row in checked[1:] if row.error] == ["evidence", "odd\\u0000"]
