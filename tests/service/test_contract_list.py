"""GET /contracts: the contracts a makerspace initiated or is a party to, newest first, with
limit/offset paging, filters by party DID and status (exact matches, 422 naming a wrong
filter) and each contract's latest qualification outcome (on SQLite and PostgreSQL)."""

# The fixtures of test_contracts are imported below; using them as arguments "redefines" them.
# ruff: noqa: F811

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from tests.service.conftest import Hub
from tests.service.test_contracts import (  # noqa: F401 (fixtures)
    Parties,
    badges,
    contract,
    create,
    full_presentations,
    parties,
    revoke,
    run_check,
    terms,
    workshop,
)


def listing(client: TestClient, hub: Hub, **params: Any) -> dict[str, Any]:
    response = client.get("/contracts", params=params, headers=hub.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def named(parties: Parties, workshop: str, name: str, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(terms(parties, workshop))
    body["item"]["name"] = name
    body.update(changes)
    return body


def test_listing_needs_a_makerspace_key(client: TestClient) -> None:
    response = client.get("/contracts")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    response = client.get("/contracts", headers={"Authorization": "Bearer not-a-key"})
    assert response.status_code == 401


def test_an_item_says_what_where_how_many_and_the_latest_outcome(
    client: TestClient,
    hub: Hub,
    contract: str,
    parties: Parties,
    badges: dict[str, list[dict[str, Any]]],
) -> None:
    body = listing(client, hub)
    assert (body["total"], body["limit"], body["offset"]) == (1, 50, 0)
    [item] = body["items"]
    created = client.get(f"/contracts/{contract}").json()["contract"]
    assert item == {
        "id": contract,
        "url": f"https://hub.example/contracts/{contract}",
        "item": {"name": "Solar dryer enclosure"},
        "totalQuantity": 50,
        "partyCount": 3,
        "status": "active",
        "makerspace": hub.slug,
        "createdAt": created["createdAt"],
        "latestCheck": {"outcome": "none", "id": None, "checkedAt": None, "url": None},
    }

    first = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert first["passed"] is True
    latest = listing(client, hub)["items"][0]["latestCheck"]
    assert latest["outcome"] == "passed"
    assert (latest["id"], latest["checkedAt"]) == (first["checkId"], first["checkedAt"])
    # The link is the check itself.
    path = urlsplit(latest["url"]).path
    assert client.get(path).json()["checkId"] == first["checkId"]

    revoke(client, hub, badges["inspector"][0]["id"])
    second = run_check(client, hub, contract, full_presentations(client, parties, badges))
    assert second["passed"] is False
    latest = listing(client, hub)["items"][0]["latestCheck"]
    assert (latest["outcome"], latest["id"]) == ("failed", second["checkId"])


def test_each_contract_gets_its_own_latest_check(
    client: TestClient, hub: Hub, parties: Parties, workshop: str
) -> None:
    checked = create(client, hub, named(parties, workshop, "Checked"))
    unchecked = create(client, hub, named(parties, workshop, "Unchecked"))
    run_check(client, hub, checked, {})  # nothing presented: not passed
    run_check(client, hub, checked, {})
    outcomes = {i["id"]: i["latestCheck"]["outcome"] for i in listing(client, hub)["items"]}
    assert outcomes == {checked: "failed", unchecked: "none"}


def test_newest_first_with_limit_and_offset(
    client: TestClient, hub: Hub, parties: Parties, workshop: str
) -> None:
    made = [create(client, hub, named(parties, workshop, f"Batch {n}")) for n in range(5)]
    newest_first = list(reversed(made))
    assert ids(listing(client, hub)) == newest_first
    page = listing(client, hub, limit=2, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert ids(page) == newest_first[1:3]
    assert ids(listing(client, hub, limit=2, offset=4)) == newest_first[4:]
    assert listing(client, hub, offset=5)["items"] == []


def test_a_makerspace_sees_its_own_and_those_it_is_a_party_to(
    client: TestClient, hub: Hub, other_hub: Hub, parties: Parties, workshop: str
) -> None:
    own = create(client, hub, named(parties, workshop, "Own"))
    with_other = named(parties, workshop, "With Berlin")
    with_other["parties"].append({"did": other_hub.did, "role": "logistics"})
    shared = create(client, hub, with_other)
    assert ids(listing(client, hub)) == [shared, own]
    assert ids(listing(client, other_hub)) == [shared]
    item = listing(client, other_hub)["items"][0]
    assert (item["makerspace"], item["partyCount"]) == (hub.slug, 4)
    theirs = create(client, other_hub, named(parties, workshop, "Berlin's own"))
    assert ids(listing(client, other_hub)) == [theirs, shared]
    assert theirs not in ids(listing(client, hub))


def test_the_party_filter_matches_the_did_exactly(
    client: TestClient, hub: Hub, parties: Parties, workshop: str
) -> None:
    everyone = create(client, hub, named(parties, workshop, "Everyone"))
    two = named(parties, workshop, "Buyer and maker")
    two["parties"] = two["parties"][:2]
    two["requirements"].pop("quality-inspector")
    two["milestones"] = two["milestones"][:1]
    buyer_and_maker = create(client, hub, two)
    longer = parties.buyer.did_key + "x"
    mention = named(parties, workshop, "Mentions the inspector")
    mention["item"]["details"] = f'"did": "{parties.inspector.did_key}"'
    mention["parties"] = [
        {"did": longer, "role": "buyer"},
        {"did": "did:web:maker.example", "role": "manufacturer", "allocatedQuantity": 5},
    ]
    mention["requirements"] = {}
    mention["milestones"] = []
    other = create(client, hub, mention)

    assert ids(listing(client, hub, party=parties.inspector.did_key)) == [everyone]
    assert ids(listing(client, hub, party=parties.buyer.did_key)) == [buyer_and_maker, everyone]
    assert ids(listing(client, hub, party=longer)) == [other]
    assert ids(listing(client, hub, party="did:web:maker.example")) == [other]
    assert listing(client, hub, party="did:web:nobody.example") == {
        "total": 0,
        "limit": 50,
        "offset": 0,
        "items": [],
    }
    # The filter narrows what the caller may see; it never widens it.
    assert listing(client, hub, party=parties.maker.did_key)["total"] == 2


def test_the_party_filter_never_shows_another_makerspaces_contracts(
    client: TestClient, hub: Hub, other_hub: Hub, parties: Parties, workshop: str
) -> None:
    create(client, hub, named(parties, workshop, "Cotonou"))
    assert listing(client, other_hub, party=parties.maker.did_key)["total"] == 0


def test_the_status_filter(client: TestClient, hub: Hub, parties: Parties, workshop: str) -> None:
    active = create(client, hub, named(parties, workshop, "Active"))
    done = create(client, hub, named(parties, workshop, "Done", status="completed"))
    draft = create(client, hub, named(parties, workshop, "Draft", status="draft"))
    assert ids(listing(client, hub, status="active")) == [active]
    assert ids(listing(client, hub, status="completed")) == [done]
    assert ids(listing(client, hub, status="draft")) == [draft]
    assert listing(client, hub, status="cancelled")["items"] == []
    both = listing(client, hub, status="completed", party=parties.buyer.did_key)
    assert ids(both) == [done]
    assert [i["status"] for i in listing(client, hub)["items"]] == ["draft", "completed", "active"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"party": "not-a-did"}, "party"),
        ({"party": ""}, "party"),
        ({"party": "did:web:x.example#key-1"}, "party"),
        ({"party": "did:web:" + "a" * 2100}, "party"),
        ({"status": "archived"}, "status"),
        ({"status": ""}, "status"),
        ({"status": "ACTIVE"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    client: TestClient, hub: Hub, contract: str, params: dict[str, Any], field: str
) -> None:
    response = client.get("/contracts", params=params, headers=hub.auth)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field, response.json()


def test_a_makerspace_with_no_contracts_gets_an_empty_page(
    client: TestClient, hub: Hub, other_hub: Hub, contract: str
) -> None:
    assert listing(client, other_hub) == {"total": 0, "limit": 50, "offset": 0, "items": []}
