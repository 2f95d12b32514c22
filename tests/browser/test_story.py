"""The whole story in a real browser: a staff member issues a badge in the console; the maker
creates a share link (signing a challenge with the real `passport-vc` CLI); an employer opens
it and sees the badge valid; the staff member revokes it; the employer's reload shows it
revoked, and so does the verifier page. Screenshots of each step go to the output folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import Site

pytestmark = pytest.mark.browser

MAKER_NAME = "Wanjiru Kamau"
EVIDENCE = "Cut a 3 mm plywood enclosure to ±0.2 mm, with living hinges, in one pass"


def cli(*args: str, stdin: str | None = None) -> str:
    script = Path(sys.executable).parent / "passport-vc"
    done = subprocess.run(
        [str(script), *args], input=stdin, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def sign_in(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/console/login")
    page.get_by_label("API key").fill(site.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/console")


def maker_shares_passport(site: Site, maker: dict[str, str]) -> str:
    """The maker's side, as the README tells it: a challenge from the service, a presentation
    signed with `passport-vc sign --purpose authentication`, and a share link for it."""
    with site.api() as api:
        challenge = api.post("/challenges").json()["challenge"]
        unsigned = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": maker["did"],
        }
        signed = cli(
            "sign",
            "--key",
            maker["secretKeyMultibase"],
            "--purpose",
            "authentication",
            "--challenge",
            challenge,
            stdin=json.dumps(unsigned),
        )
        response = api.post(
            f"/passports/{quote(maker['did'], safe='')}/share-links",
            json={"verifiablePresentation": json.loads(signed)},
        )
        assert response.status_code == 201, response.text
        url: str = response.json()["url"]
        return url


def maker_shares_in_the_browser(
    browser: Any, site: Site, maker: dict[str, str], screenshots: Path
) -> str:
    """The maker's side in the browser: the page's challenge, signed with the CLI as the page
    says, pasted back; the page answers the link and its QR code."""
    page = site.new_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(f"{site.url}/share")
    command = page.locator("pre code").inner_text()
    challenge = command.split("--challenge", 1)[1].split()[0]
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": maker["did"],
    }
    signed = cli(
        "sign",
        "--purpose",
        "authentication",
        "--key",
        maker["secretKeyMultibase"],
        "--challenge",
        challenge,
        stdin=json.dumps(unsigned),
    )
    page.get_by_label("Signed presentation (JSON)").fill(signed)
    page.get_by_label("The link stops working").select_option("90")
    page.get_by_role("button", name="Make the link").click()
    assert page.get_by_role("heading", name="Your share link").count() == 1
    page.screenshot(path=screenshots / "share-link.png", full_page=True)
    url = page.locator("a.permalink").get_attribute("href")
    assert url
    return url


def test_issue_share_verify_revoke(browser: Any, site: Site, screenshots: Path) -> None:
    maker = json.loads(cli("keygen"))

    # Staff: sign in, find the skill by searching, fill the form with the keyboard, issue.
    staff = site.new_page(browser, viewport={"width": 1280, "height": 900})
    sign_in(staff, site)
    staff.get_by_role("link", name="Issue a badge").click()
    staff.get_by_label("Find a skill").fill("laser")
    staff.get_by_role("button", name="Search").click()
    staff.wait_for_url(f"{site.url}/console/issue?q=laser")
    skill = staff.get_by_label("Skill", exact=True)
    laser = [o for o in skill.locator("option").all_inner_texts() if "(LASER-CUT)" in o]
    assert laser, "searching 'laser' offers laser cutting"
    skill.select_option(label=laser[0])
    staff.get_by_label("Level").select_option("3")
    staff.get_by_label("Holder DID").fill(maker["did"])
    staff.get_by_label("Holder name (optional)").fill(MAKER_NAME)
    staff.get_by_label("Evidence (optional)").fill(EVIDENCE)
    staff.screenshot(path=screenshots / "console-issue.png", full_page=True)
    staff.get_by_role("button", name="Issue", exact=True).click()
    confirmation = staff.get_by_role("status")
    assert "Issued" in confirmation.inner_text()
    badge_url = staff.get_by_role("link", name="See the badge").get_attribute("href")
    assert badge_url and badge_url.startswith("/credentials/")

    staff.get_by_role("link", name="Issued badges").click()
    row = staff.locator("tbody tr").filter(has=staff.locator(f'a[href="{badge_url}"]'))
    assert "active" in row.inner_text()

    # Maker: a share link, made on /share with a presentation signed by the CLI.
    share_url = maker_shares_in_the_browser(browser, site, maker, screenshots)
    assert share_url.startswith(f"{site.url}/passports/")

    # Employer: opens the link in their own browser; the badge is valid, the text is escaped.
    employer = site.new_page(browser, viewport={"width": 1280, "height": 900})
    employer.goto(share_url)
    assert employer.title().startswith("Maker passport")
    verdict = employer.locator("p.verdict").first
    assert verdict.inner_text().startswith("Valid")
    body = employer.locator("main").inner_text()
    assert MAKER_NAME in body and EVIDENCE in body
    assert "Fablab Nairobi" in body and "A makerspace registered here" in body
    assert "Laser cutting — level 3" in body
    employer.screenshot(path=screenshots / "passport-valid.png", full_page=True)
    employer.set_viewport_size({"width": 360, "height": 780})
    employer.screenshot(path=screenshots / "passport-phone.png", full_page=True)
    employer.set_viewport_size({"width": 1280, "height": 900})

    # The verifier page, with the badge's JSON pasted: valid, in plain words.
    with site.api() as api:
        badge_json = api.get(f"{badge_url}?format=json").text
    verifier = site.new_page(browser, viewport={"width": 1280, "height": 900})
    verifier.goto(f"{site.url}/verify")
    verifier.get_by_label("Badge or presentation (JSON)").fill(badge_json)
    verifier.get_by_role("button", name="Verify").click()
    assert verifier.locator("p.verdict").first.inner_text().startswith("Valid")
    permalink = verifier.locator("a.permalink").get_attribute("href")
    assert permalink
    verifier.screenshot(path=screenshots / "verify-valid.png", full_page=True)

    # Staff: revoke it from the list.
    row = staff.locator("tbody tr").filter(has=staff.locator(f'a[href="{badge_url}"]'))
    row.get_by_role("button", name="Revoke").click()
    staff.wait_for_url(f"{site.url}/console**")
    row = staff.locator("tbody tr").filter(has=staff.locator(f'a[href="{badge_url}"]'))
    assert "revoked" in row.inner_text()
    assert row.get_by_role("button", name="Revoke").count() == 0
    staff.screenshot(path=screenshots / "console-badges.png", full_page=True)

    # Employer: a reload shows it revoked; so does the kept verification link.
    employer.reload()
    verdict_text = employer.locator("p.verdict").first.inner_text()
    assert verdict_text.startswith("Revoked"), verdict_text
    employer.screenshot(path=screenshots / "passport-revoked.png", full_page=True)
    verifier.goto(permalink if permalink.startswith("http") else f"{site.url}{permalink}")
    assert verifier.locator("p.verdict").first.inner_text().startswith("Revoked")
    verifier.screenshot(path=screenshots / "verify-revoked.png", full_page=True)
