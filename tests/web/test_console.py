"""The issuer console: sign in with the API key (a signed session cookie), the issued badges
with revoke / suspend buttons behind a CSRF token, the audit log and the issue form."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

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
    other_hub,
    postgres_database,
    register,
    settings,
)
from tests.web.test_pages import BROWSER, _assert_self_contained

COOKIE = "pvc_console"


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The test client over https, so it sends back the Secure session cookie."""
    client.base_url = client.base_url.copy_with(scheme="https")
    client.headers.update(BROWSER)
    return client


def _login(client: TestClient, api_key: str) -> str:
    response = client.post("/console/login", data={"api_key": api_key}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console"
    cookie: str = response.cookies[COOKIE]
    return cookie


def _html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    html: str = response.text
    _assert_self_contained(html)
    return html


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _uuid(credential: dict[str, Any]) -> str:
    return str(credential["id"]).rsplit("/", 1)[-1]


def _verify(client: TestClient, credential: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/credentials/verify",
        json={"verifiableCredential": credential},
        headers={"Accept": "application/json"},
    )
    result: dict[str, Any] = response.json()
    return result


def _stored(client: TestClient, hub: Hub) -> dict[str, Any]:
    response = client.get(
        f"/makerspaces/{hub.slug}/credentials", headers={**hub.auth, "Accept": "application/json"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- signing in ------------------------------------------------------------------------------


def test_the_login_page_has_a_labelled_password_field(browser: TestClient) -> None:
    html = _html(browser.get("/console/login"))
    assert '<label for="api_key">' in html
    assert 'id="api_key" name="api_key" type="password"' in html


def test_a_wrong_key_is_a_401_page_and_sets_no_cookie(browser: TestClient, hub: Hub) -> None:
    for key in ("pvc_not-the-key", "nonsense", ""):
        response = browser.post("/console/login", data={"api_key": key}, follow_redirects=False)
        html = _html(response, 401)
        assert "not valid" in html
        assert "set-cookie" not in response.headers
    assert browser.get("/console", follow_redirects=False).status_code == 303


def test_the_right_key_sets_a_strict_httponly_session_cookie(browser: TestClient, hub: Hub) -> None:
    response = browser.post("/console/login", data={"api_key": hub.api_key}, follow_redirects=False)
    assert response.status_code == 303
    header = response.headers["set-cookie"]
    assert header.startswith(f"{COOKIE}=")
    lowered = header.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "secure" in lowered
    assert "path=/console" in lowered and "max-age=28800" in lowered
    assert hub.api_key not in header and hub.api_key[4:] not in header
    html = _html(browser.get("/console"))
    assert "Fablab Cotonou" in html


def test_without_a_session_the_console_sends_you_to_sign_in(browser: TestClient) -> None:
    for path in ("/console", "/console/issue", "/console/audit"):
        response = browser.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/login"


def test_a_tampered_cookie_sends_you_to_sign_in(browser: TestClient, hub: Hub) -> None:
    cookie = _login(browser, hub.api_key)
    browser.cookies.clear()
    ident, expires, nonce, mac = cookie.split(".")
    forged = [
        f"{ident}.{int(expires) + 3600}.{nonce}.{mac}",  # longer life
        f"{int(ident) + 1}.{expires}.{nonce}.{mac}",  # another makerspace
        f"{ident}.{expires}.{nonce}.{'0' * len(mac)}",
        f"{ident}.{expires}.{nonce}.{mac[:-1]}z",
        "garbage",
    ]
    for value in forged:
        response = browser.get(
            "/console", headers={"Cookie": f"{COOKIE}={value}"}, follow_redirects=False
        )
        assert response.status_code == 303, value
        assert response.headers["location"] == "/console/login"
    ok = browser.get("/console", headers={"Cookie": f"{COOKIE}={cookie}"}, follow_redirects=False)
    assert ok.status_code == 200


def test_logout_clears_the_cookie(browser: TestClient, hub: Hub) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console")))
    response = browser.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert f'{COOKIE}=""' in response.headers["set-cookie"] or "max-age=0" in (
        response.headers["set-cookie"].lower()
    )
    assert browser.get("/console", follow_redirects=False).status_code == 303


# --- the badges ------------------------------------------------------------------------------


def test_the_console_lists_the_makerspaces_badges_with_filters(
    browser: TestClient, hub: Hub, other_hub: Hub
) -> None:
    mine = issue_badge(browser, hub)
    other = issue_badge(browser, hub, skill="SOLDER-THT", level=2)
    theirs = issue_badge(browser, other_hub)
    _login(browser, hub.api_key)
    html = _html(browser.get("/console"))
    assert f"/credentials/{_uuid(mine)}" in html and f"/credentials/{_uuid(other)}" in html
    assert _uuid(theirs) not in html
    assert "2 badges." in html and "Revoke" in html and "Suspend" in html

    filtered = _html(browser.get("/console", params={"skill": "LASER-CUT"}))
    assert _uuid(mine) in filtered and _uuid(other) not in filtered
    assert "No badges match." in _html(browser.get("/console", params={"status": "revoked"}))
    _html(browser.get("/console", params={"status": "bogus"}), 422)


def test_revoke_through_the_console_with_the_csrf_token(browser: TestClient, hub: Hub) -> None:
    badge = issue_badge(browser, hub)
    assert _verify(browser, badge)["verified"] is True
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console")))
    response = browser.post(
        f"/console/badges/{_uuid(badge)}/status",
        data={"csrf": csrf, "action": "revoke"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    result = _verify(browser, badge)
    assert result["verified"] is False
    assert "revoked" in str(result).lower()
    html = _html(browser.get("/console", params={"status": "revoked"}))
    assert _uuid(badge) in html

    audit = _html(browser.get("/console/audit"))
    assert "credential.revoke" in audit and badge["id"] in audit


def test_suspend_and_reinstate_through_the_console(browser: TestClient, hub: Hub) -> None:
    badge = issue_badge(browser, hub)
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console")))
    path = f"/console/badges/{_uuid(badge)}/status"
    assert browser.post(path, data={"csrf": csrf, "action": "suspend"}).status_code == 200
    assert "Reinstate" in _html(browser.get("/console"))
    assert _verify(browser, badge)["verified"] is False
    assert browser.post(path, data={"csrf": csrf, "action": "reinstate"}).status_code == 200
    assert _verify(browser, badge)["verified"] is True
    _html(browser.post(path, data={"csrf": csrf, "action": "explode"}), 422)


@pytest.mark.parametrize("token", [None, "", "0" * 64, "wrong", "é"])
def test_a_post_without_the_right_csrf_token_is_403_and_changes_nothing(
    browser: TestClient, hub: Hub, token: str | None
) -> None:
    badge = issue_badge(browser, hub)
    _login(browser, hub.api_key)
    data = {"action": "revoke", **({"csrf": token} if token is not None else {})}
    html = _html(browser.post(f"/console/badges/{_uuid(badge)}/status", data=data), 403)
    assert "security token" in html
    assert _verify(browser, badge)["verified"] is True
    issue = browser.post(
        "/console/issue", data={**data, "skill": "LASER-CUT", "level": "2", "holder": HOLDER}
    )
    _html(issue, 403)
    assert _stored(browser, hub)["total"] == 1


def test_a_token_from_another_session_does_not_do(browser: TestClient, hub: Hub) -> None:
    badge = issue_badge(browser, hub)
    _login(browser, hub.api_key)
    old = _csrf(_html(browser.get("/console")))
    _login(browser, hub.api_key)  # a new session, a new nonce
    response = browser.post(
        f"/console/badges/{_uuid(badge)}/status", data={"csrf": old, "action": "revoke"}
    )
    _html(response, 403)
    assert _verify(browser, badge)["verified"] is True


def test_another_makerspace_cannot_revoke_this_ones_badge(
    browser: TestClient, hub: Hub, other_hub: Hub
) -> None:
    badge = issue_badge(browser, hub)
    _login(browser, other_hub.api_key)
    csrf = _csrf(_html(browser.get("/console")))
    response = browser.post(
        f"/console/badges/{_uuid(badge)}/status", data={"csrf": csrf, "action": "revoke"}
    )
    assert response.status_code in (403, 404)
    _html(response, response.status_code)
    assert _verify(browser, badge)["verified"] is True


# --- issuing ---------------------------------------------------------------------------------


def test_the_issue_form_groups_skills_and_searches_without_script(
    browser: TestClient, hub: Hub
) -> None:
    _login(browser, hub.api_key)
    html = _html(browser.get("/console/issue"))
    assert "<optgroup" in html and 'value="LASER-CUT"' in html and 'value="SOLDER-THT"' in html
    assert '<label for="holder">' in html and '<label for="skill">' in html
    assert re.search(r'<option value="3"[^>]*>3 — \w+', html)
    found = _html(browser.get("/console/issue", params={"q": "laser"}))
    assert 'value="LASER-CUT"' in found and 'value="SOLDER-THT"' not in found


def test_issue_through_the_form_and_the_badge_verifies(browser: TestClient, hub: Hub) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console/issue")))
    response = browser.post(
        "/console/issue",
        data={
            "csrf": csrf,
            "skill": "LASER-CUT",
            "level": "3",
            "holder": HOLDER,
            "holderName": "Amina Diallo",
            "evidence": "Cut a 40-part enclosure",
        },
    )
    html = _html(response)
    link = re.search(r'href="/credentials/([0-9a-f-]{36})"', html)
    assert link, html
    stored = browser.get(f"/credentials/{link.group(1)}", headers={"Accept": "application/json"})
    assert stored.status_code == 200, stored.text
    credential = stored.json()
    credential = credential.get("verifiableCredential", credential)
    assert _verify(browser, credential)["verified"] is True
    assert _stored(browser, hub)["total"] == 1
    assert "credential.issue" in _html(browser.get("/console/audit"))


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"skill": "NO-SUCH-SKILL"}, "unknown skill"),
        ({"holder": "not a did"}, "holder must be a DID"),
        ({"holder": ""}, "holder must be a non-empty string"),
        ({"level": "9"}, "outside the scale"),
        ({"level": "x"}, "level must be an integer"),
    ],
)
def test_a_wrong_field_is_named_in_words_and_nothing_is_stored(
    browser: TestClient, hub: Hub, fields: dict[str, str], words: str
) -> None:
    _login(browser, hub.api_key)
    csrf = _csrf(_html(browser.get("/console/issue")))
    data = {"csrf": csrf, "skill": "LASER-CUT", "level": "2", "holder": HOLDER, **fields}
    html = _html(browser.post("/console/issue", data=data), 422)
    assert "Not issued:" in html and words in html
    assert _stored(browser, hub)["total"] == 0


def test_pages_escape_html(browser: TestClient, hub: Hub) -> None:
    evil = '<img src=x onerror="alert(1)">'
    hub2 = register(browser, evil)
    issue_badge(browser, hub2, holderName=evil)
    _login(browser, hub2.api_key)
    for path in ("/console", "/console/audit", "/console/issue"):
        html = _html(browser.get(path, params={"q": evil, "holder": evil}))
        assert "<img" not in html and "&lt;img" in html
    csrf = _csrf(_html(browser.get("/console/issue")))
    html = _html(
        browser.post(
            "/console/issue", data={"csrf": csrf, "skill": evil, "level": "2", "holder": HOLDER}
        ),
        422,
    )
    assert "<img" not in html and "&lt;img" in html
