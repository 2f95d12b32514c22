"""Links between the maker's passport, contracts and machines.

The passport page (behind its share token) lists the contracts the holder is a party to, with
their role and the latest decision for them, and the facilities where they may operate a
machine; nobody else's. The contract page links a party's facility when it is listed here and
a party's DID only to what is public (a makerspace's profile), never to a passport."""

# The service tests' fixtures are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlmodel import col
from tests.service.conftest import (  # noqa: F401 (fixtures)
    Hub,
    client,
    ctx,
    database_url,
    hub,
    issue_badge,
    other_hub,
    postgres_database,
    settings,
)
from tests.service.test_contracts import (  # noqa: F401 (fixtures)
    Parties,
    badges,
    contract,
    create,
    full_presentations,
    parties,
    run_check,
    terms,
    workshop,
)
from tests.service.test_passports import share
from tests.service.test_qualifications import add_facility
from tests.web.test_pages import BROWSER, _assert_self_contained

from passport_vc.keys import SigningKey
from passport_vc.services import equipment_operators
from passport_vc.services.context import ServiceContext
from passport_vc.store import Equipment, Facility, FacilityTag

PRINTING = "https://en.wikipedia.org/wiki/3D_printing"


def page(client: TestClient, url: str, status: int = 200) -> str:
    parts = urlsplit(url)
    response = client.get(
        f"{parts.path}?{parts.query}" if parts.query else parts.path, headers=BROWSER
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    _assert_self_contained(response.text)
    return response.text


def section(html: str) -> str:
    """The "Contracts and machines" section of a passport page."""
    match = re.search(
        r'<section aria-labelledby="contracts-and-machines">(.*?)</section>', html, re.DOTALL
    )
    assert match, html
    return match.group(1)


def hrefs(html: str, prefix: str) -> set[str]:
    return set(re.findall(rf'href="({re.escape(prefix)}[^"]*)"', html))


def laser_of(ctx: ServiceContext, facility_id: str) -> str:
    """The one machine of a facility made by add_facility."""
    with ctx.db.session() as session:
        [machine] = session.execute(
            select(col(Equipment.id)).where(col(Equipment.facility_id) == facility_id)
        ).scalars()
    return str(machine)


def passport_of(client: TestClient, key: SigningKey) -> str:
    url: str = share(client, key)["url"]
    return url


def test_a_party_and_operator_sees_both_links_and_another_holder_sees_none(
    client: TestClient,
    ctx: ServiceContext,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
    workshop: str,
) -> None:
    maker = parties.maker
    print_shop, printer = add_facility(ctx, hub.slug, equipment_type=PRINTING)
    assert equipment_operators.add_operator(ctx, laser_of(ctx, workshop), maker.did_key)
    assert equipment_operators.add_operator(ctx, printer, parties.inspector.did_key)

    html = page(client, passport_of(client, maker))
    links = section(html)
    assert "Contracts and machines" in html
    assert hrefs(links, "/contracts/") == {f"/contracts/{contract}"}
    assert "Solar dryer enclosure" in links and "manufacturer" in links
    assert "Not checked yet" in links
    assert hrefs(links, "/facilities/") == {f"/facilities/{workshop}"}
    assert f"Workshop {workshop[:8]}" in links and "Laser cutting" in links
    assert "3D printing" not in links  # the inspector's machine

    # The inspector operates the printer, in another facility.
    links = section(page(client, passport_of(client, parties.inspector)))
    assert hrefs(links, "/facilities/") == {f"/facilities/{print_shop}"}
    assert "3D printing" in links and "quality-inspector" in links

    # The latest decision, for this party.
    first = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert first["passed"] is True
    links = section(page(client, passport_of(client, maker)))
    assert "Qualified" in links and "Not qualified" not in links
    assert first["checkedAt"] in links

    # Another check where the maker presented nothing: the maker is not qualified, whatever
    # the others are.
    run_check(client, hub, contract, {})
    links = section(page(client, passport_of(client, maker)))
    assert "Not qualified" in links

    # The buyer is a party (no role requirements: qualified) but operates nothing.
    links = section(page(client, passport_of(client, parties.buyer)))
    assert hrefs(links, "/contracts/") == {f"/contracts/{contract}"}
    assert "buyer" in links and "Qualified" in links
    assert hrefs(links, "/facilities/") == set()
    assert "not an authorised operator of any machine" in links

    # A holder with badges but no contract and no machine sees neither.
    stranger = SigningKey.generate()
    issue_badge(client, hub, holder=stranger.did_key)
    html = page(client, passport_of(client, stranger))
    links = section(html)
    assert hrefs(html, "/contracts/") == set() and hrefs(html, "/facilities/") == set()
    assert "not a party to any contract" in links
    assert "not an authorised operator of any machine" in links
    assert contract not in html and maker.did_key not in html


def test_the_links_are_only_behind_a_live_token(
    client: TestClient, ctx: ServiceContext, contract: str, parties: Parties
) -> None:
    url = passport_of(client, parties.maker)
    did = quote(parties.maker.did_key, safe="")
    for wrong in (f"/passports/{did}", f"/passports/{did}?token=nope"):
        html = page(client, wrong, status=404)
        assert contract not in html and "Solar dryer" not in html
    assert contract in page(client, url)


def test_names_on_the_passport_page_are_escaped(
    client: TestClient, ctx: ServiceContext, hub: Hub, parties: Parties, workshop: str
) -> None:
    body = terms(parties, workshop)
    body["item"]["name"] = '<script>alert("x")</script> & <b>dryer</b>'
    create(client, hub, body)
    with ctx.db.session(write=True) as session:
        session.execute(
            update(Facility)
            .where(col(Facility.id) == workshop)
            .values(name='<img src=x onerror="alert(1)">')
        )
    laser = laser_of(ctx, workshop)
    with ctx.db.session(write=True) as session:
        session.execute(
            update(Equipment)
            .where(col(Equipment.id) == laser)
            .values(record=json.dumps({"make": "<i>Trotec</i>", "model": "Speedy"}))
        )
    equipment_operators.add_operator(ctx, laser, parties.maker.did_key)
    html = page(client, passport_of(client, parties.maker))
    links = section(html)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;dryer&lt;/b&gt;" in links
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in links
    assert "&lt;i&gt;Trotec&lt;/i&gt; Speedy" in links
    # The only image is the passport's own QR code.
    assert "<script" not in html and "<i>" not in html
    assert html.count("<img") == 1 and '<img class="qr" src="/passports/' in html


# --- the contract page -------------------------------------------------------------------------


def test_the_contract_page_links_no_passport_and_a_makerspace_party_to_its_profile(
    client: TestClient, hub: Hub, other_hub: Hub, parties: Parties, workshop: str
) -> None:
    body = terms(parties, workshop)
    body["parties"].append({"did": other_hub.did, "role": "logistics"})
    contract_id = create(client, hub, body)
    passport_of(client, parties.maker)  # a passport exists and is shared: still not linked
    html = page(client, f"/contracts/{contract_id}")
    assert "/passports/" not in html
    assert f'href="/makerspaces/{other_hub.slug}"' in html
    assert f'title="{other_hub.did}"' in html
    for did in (parties.buyer.did_key, parties.maker.did_key, parties.inspector.did_key):
        assert f'title="{did}"' in html
    # Only the initiator (hub) and the makerspace party link to a makerspace profile.
    assert hrefs(html, "/makerspaces/") == {
        f"/makerspaces/{hub.slug}",
        f"/makerspaces/{other_hub.slug}",
    }


def test_the_contract_page_links_a_listed_facility_and_names_a_gone_one(
    client: TestClient, ctx: ServiceContext, hub: Hub, parties: Parties
) -> None:
    listed, _ = add_facility(ctx, hub.slug)
    gone, _ = add_facility(ctx, hub.slug)
    body = terms(parties, listed)
    body["parties"][2]["facility"] = gone
    contract_id = create(client, hub, body)
    with ctx.db.session(write=True) as session:
        session.execute(delete(Equipment).where(col(Equipment.facility_id) == gone))
        session.execute(delete(FacilityTag).where(col(FacilityTag.facility_id) == gone))
        session.execute(delete(Facility).where(col(Facility.id) == gone))
    html = page(client, f"/contracts/{contract_id}")
    assert hrefs(html, "/facilities/") == {f"/facilities/{listed}"}
    assert f'title="{gone}"' in html and "no longer listed here" in html
