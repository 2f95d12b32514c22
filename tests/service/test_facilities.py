"""Facilities and machines over HTTP (OKW): import, the map search with each filter, export,
replacement, who may write, operators, and bad input answered 422 naming the field."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from tests.service.conftest import ADMIN, HOLDER, Hub

from passport_vc.okw import facility_from_map, to_okw_json
from passport_vc.services import facilities, makerspaces
from passport_vc.services.audit import Actor
from passport_vc.services.context import ServiceContext
from passport_vc.services.errors import InvalidFieldError, NotFoundError
from passport_vc.store import EquipmentOperator, QualificationCheck
from passport_vc.timestamps import utc_now

PROBLEM_JSON = "application/problem+json"
WIKI = "https://en.wikipedia.org/wiki/"
OTHER = "did:web:makers.example:amina"
SAMPLE = Path(__file__).parent.parent / "okw" / "data" / "okw_map_facilities_sample.json"

LAB: dict[str, Any] = {
    "name": "Fablab Cotonou",
    "location": {
        "address": {"city": "Cotonou", "country": "BJ"},
        "gpsCoordinates": {"latitude": 6.3736012, "longitude": 2.4257544},
    },
    "facilityStatus": "Active",
    "manufacturingProcesses": [WIKI + "Laser_cutting"],
    "equipment": [
        {
            "equipmentType": WIKI + "Laser_cutting",
            "manufacturingProcess": WIKI + "Laser_cutting",
            "make": "Trotec Laser",
            "model": "SP500",
            "skillsRequired": [
                {"skill": "LASER-SAFETY", "minLevel": 1},
                {"skill": "LASER-CUT", "minLevel": 2},
            ],
            "operators": [HOLDER],
        },
        {
            "equipmentType": WIKI + "3D_printing",
            "manufacturingProcess": WIKI + "Fused_filament_fabrication",
            "make": "Prusa",
            "model": "MK4",
            "quantity": 3,
        },
    ],
}
NANTES: dict[str, Any] = {
    "name": "PiNG",
    "location": {"address": {"city": "Nantes", "country": "FR"}},
    "equipment": [{"equipmentType": WIKI + "CNC_router", "make": "Shopbot"}],
}


def _post(client: TestClient, hub: Hub, body: Any) -> Any:
    return client.post(f"/makerspaces/{hub.slug}/facilities", json=body, headers=hub.auth)


def _created(client: TestClient, hub: Hub, body: Any) -> dict[str, Any]:
    response = _post(client, hub, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert set(created) == {"id", "facility"}
    return created


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def _ids(client: TestClient, **query: Any) -> list[str]:
    response = client.get("/facilities", params=query)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_import_then_search_by_each_filter(client: TestClient, hub: Hub, other_hub: Hub) -> None:
    lab = _created(client, hub, LAB)
    _created(client, other_hub, NANTES)
    assert _ids(client) == ["Fablab Cotonou", "PiNG"]
    assert _ids(client, country="BJ") == _ids(client, country="bj") == ["Fablab Cotonou"]
    assert _ids(client, country="FR") == ["PiNG"]
    assert _ids(client, country="DE") == []
    # processes: the facility's and its machines', by URL or by title at the end
    assert _ids(client, process=WIKI + "Laser_cutting") == ["Fablab Cotonou"]
    assert _ids(client, process="http://en.wikipedia.org/wiki/Laser_cutting") == ["Fablab Cotonou"]
    assert _ids(client, process="laser_CUTTING") == ["Fablab Cotonou"]
    assert _ids(client, process="Fused filament fabrication") == ["Fablab Cotonou"]
    assert _ids(client, process="cutting") == []  # a whole title, not any substring
    assert _ids(client, process="%") == _ids(client, process="_aser_cutting") == []
    assert _ids(client, equipmentType=WIKI + "3D_printing") == ["Fablab Cotonou"]
    assert _ids(client, equipmentType="cnc_router") == ["PiNG"]
    assert _ids(client, equipmentType="Laser_cutting", country="FR") == []
    page = client.get("/facilities", params={"limit": 1, "offset": 1}).json()
    assert (page["total"], [i["name"] for i in page["items"]]) == (2, ["PiNG"])

    item = client.get("/facilities", params={"country": "BJ"}).json()["items"][0]
    assert item["id"] == lab["id"]
    assert item["makerspace"] == hub.slug
    assert (item["country"], item["city"]) == ("BJ", "Cotonou")
    assert item["gps"] == {"latitude": 6.3736012, "longitude": 2.4257544}
    assert [(e["make"], e["model"], e.get("quantity")) for e in item["equipment"]] == [
        ("Trotec Laser", "SP500", None),
        ("Prusa", "MK4", 3),
    ]


def test_get_shows_the_okw_export_and_the_equipment_its_skills(
    client: TestClient, hub: Hub
) -> None:
    lab = _created(client, hub, LAB)
    shown = client.get(f"/facilities/{lab['id']}")  # no API key: anyone reads
    assert shown.status_code == 200
    body = shown.json()
    assert body == {"id": lab["id"], "makerspace": hub.slug, "facility": lab["facility"]}
    facility = body["facility"]
    assert facility["id"] == lab["id"]
    laser, printer = facility["equipment"]
    assert laser["skillsRequired"] == [
        {"skill": "https://passport-vc.org/skills/LASER-SAFETY", "minLevel": 1},
        {"skill": "https://passport-vc.org/skills/LASER-CUT", "minLevel": 2},
    ]
    assert laser["operators"] == [HOLDER]
    assert printer["operators"] == [] and "skillsRequired" not in printer

    machine = client.get(f"/equipment/{laser['id']}")
    assert machine.status_code == 200
    view = machine.json()
    assert view["facility"] == {"id": lab["id"], "name": "Fablab Cotonou"}
    assert view["makerspace"] == hub.slug
    assert (view["make"], view["model"]) == ("Trotec Laser", "SP500")
    assert [
        (s["code"], s["label"], s["minLevel"], s["levelName"]) for s in view["skillsRequired"]
    ] == [
        ("LASER-SAFETY", "Laser safety", 1, "Inducted"),
        ("LASER-CUT", "Laser cutting", 2, "Independent"),
    ]
    assert [(o["holder"], o["checkId"]) for o in view["operators"]] == [(HOLDER, None)]
    assert view["operators"][0]["addedAt"].endswith("Z")


def test_the_sample_facilities_round_trip_over_http(client: TestClient, hub: Hub) -> None:
    """map shape -> OKW -> import -> export -> import -> export: equal field for field."""
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for item in sample:
        okw = to_okw_json(facility_from_map(item))
        first = _created(client, hub, okw)
        assert first["id"] == okw["id"]
        exported = client.get(f"/facilities/{first['id']}").json()["facility"]
        assert exported == okw
        again = _created(client, hub, exported)
        assert again["id"] == first["id"]
        assert client.get(f"/facilities/{first['id']}").json()["facility"] == exported
    assert client.get("/facilities").json()["total"] == 4
    assert _ids(client, country="CM") == ["Ongola Fablab"]


def test_importing_the_same_facility_again_replaces_it(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    """Same name (no id): the same facility and machine ids; operators left out are kept,
    operators given are exactly those."""
    body = copy.deepcopy(LAB)
    del body["equipment"][0]["operators"]
    first = _created(client, hub, body)
    laser_id = first["facility"]["equipment"][0]["id"]
    assert facilities.add_operator(ctx, laser_id, HOLDER, "check-1") is True
    assert facilities.add_operator(ctx, laser_id, HOLDER, "check-2") is False  # idempotent

    body["description"] = "Now with a description"
    second = _created(client, hub, body)
    assert second["id"] == first["id"]
    assert [e["id"] for e in second["facility"]["equipment"]] == [
        e["id"] for e in first["facility"]["equipment"]
    ]
    assert client.get("/facilities").json()["total"] == 1
    view = client.get(f"/equipment/{laser_id}").json()
    assert [(o["holder"], o["checkId"]) for o in view["operators"]] == [(HOLDER, "check-1")]

    exported = second["facility"]
    exported["equipment"][0]["operators"] = [HOLDER, OTHER]
    replaced = client.put(f"/facilities/{first['id']}", json=exported, headers=hub.auth)
    assert replaced.status_code == 200, replaced.text
    view = client.get(f"/equipment/{laser_id}").json()
    assert [(o["holder"], o["checkId"]) for o in view["operators"]] == [
        (HOLDER, "check-1"),
        (OTHER, None),
    ]
    exported["equipment"][0]["operators"] = []
    exported["equipment"].pop(1)  # the printer leaves the record
    replaced = client.put(f"/facilities/{first['id']}", json=exported, headers=hub.auth)
    assert replaced.status_code == 200, replaced.text
    assert client.get(f"/equipment/{laser_id}").json()["operators"] == []
    assert len(replaced.json()["facility"]["equipment"]) == 1
    assert _ids(client, equipmentType="3D_printing") == []
    events = client.get(f"/makerspaces/{hub.slug}/audit", headers=hub.auth).json()["events"]
    actions = [e["action"] for e in events]
    assert actions.count("facility.import") == 1 and actions.count("facility.replace") == 3
    assert "equipment.operator.add" in actions


def test_only_the_owner_writes_and_anyone_reads(
    client: TestClient, hub: Hub, other_hub: Hub
) -> None:
    lab = _created(client, hub, LAB)
    changed = {**lab["facility"], "name": "Taken over"}
    forbidden = client.put(f"/facilities/{lab['id']}", json=changed, headers=other_hub.auth)
    _problem(forbidden, 403)
    _problem(client.put(f"/facilities/{lab['id']}", json=changed), 401)
    _problem(client.put(f"/facilities/{lab['id']}", json=changed, headers=ADMIN), 401)
    _problem(
        client.post(f"/makerspaces/{hub.slug}/facilities", json=LAB, headers=other_hub.auth), 403
    )
    taken = _problem(_post(client, other_hub, lab["facility"]), 409)  # same id, other owner
    assert taken["field"] == "id"
    laser_id = lab["facility"]["equipment"][0]["id"]
    stolen = {"name": "Mine", "equipment": [{"id": laser_id, "make": "Trotec Laser"}]}
    assert _problem(_post(client, other_hub, stolen), 409)["field"] == "equipment[0].id"
    for path in ("/facilities", f"/facilities/{lab['id']}", f"/equipment/{laser_id}"):
        assert client.get(path).status_code == 200
    assert client.get(f"/facilities/{lab['id']}").json()["facility"] == lab["facility"]
    assert _ids(client) == ["Fablab Cotonou"]


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(LAB)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return body


BAD_BODIES = [
    (_with("location.gpsCoordinates.latitude", 100), "location.gpsCoordinates.latitude"),
    (_with("location.address.country", "BEN"), "location.address.country"),
    (_with("equipment", {"make": "Trotec"}), "equipment"),
    (
        _with("equipment.0.skillsRequired.1.skill", "LASER-X"),
        "equipment[0].skillsRequired[1].skill",
    ),
    (_with("equipment.0.skillsRequired.1.minLevel", 5), "equipment[0].skillsRequired[1].minLevel"),
    (_with("equipment.0.operators.0", "maker-42"), "equipment[0].operators[0]"),
    (_with("equipment.1.equipmentType", "printer"), "equipment[1].equipmentType"),
    (_with("name", " "), "name"),
    (_with("name", "Lab\x00"), "name"),
    (_with("facilityStatus", "Busy"), "facilityStatus"),
    (_with("id", "../../etc"), "id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES, ids=[f for _, f in BAD_BODIES])
def test_bad_input_is_422_naming_the_field(
    client: TestClient, hub: Hub, body: dict[str, Any], field: str
) -> None:
    before = client.get("/admin/audit", headers=ADMIN).json()["total"]
    problem = _problem(_post(client, hub, body), 422)
    assert problem["field"] == field
    assert problem["detail"].startswith(field)
    assert client.get("/facilities").json()["total"] == 0
    assert client.get("/admin/audit", headers=ADMIN).json()["total"] == before


def test_odd_bodies_and_queries_are_clean_problems(client: TestClient, hub: Hub) -> None:
    url = f"/makerspaces/{hub.slug}/facilities"
    for content in (b"[]", b'"lab"', b"null", b"{bad", b'{"name": "x", "openingHours": NaN}'):
        response = client.post(
            url, content=content, headers={**hub.auth, "Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    nan = b'{"name": "x", "location": {"gpsCoordinates": {"latitude": NaN, "longitude": 1}}}'
    response = client.post(
        url, content=nan, headers={**hub.auth, "Content-Type": "application/json"}
    )
    # NaN is not JSON (RFC 8259 §6): the body is refused before any field is read.
    assert "NaN" in _problem(response, 400)["detail"]
    lab = _created(client, hub, LAB)
    wrong_id = {**lab["facility"], "id": "another-id"}
    assert (
        _problem(client.put(f"/facilities/{lab['id']}", json=wrong_id, headers=hub.auth), 422)[
            "field"
        ]
        == "id"
    )
    _problem(client.put("/facilities/no-such-facility", json=LAB, headers=hub.auth), 404)
    for path in (
        "/facilities/no-such",
        "/facilities/%00x",
        "/equipment/no-such",
        "/equipment/" + "x" * 80,
    ):
        _problem(client.get(path), 404)
    for query, field in (
        ({"country": "BEN"}, "country"),
        ({"country": ""}, "country"),
        ({"process": ""}, "process"),
        ({"process": "a\x00b"}, "process"),
        ({"equipmentType": "x" * 600}, "equipmentType"),
        ({"limit": 0}, "limit"),
    ):
        assert _problem(client.get("/facilities", params=query), 422)["field"] == field


def test_a_machine_with_stored_checks_stays_in_the_record(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    lab = _created(client, hub, LAB)
    laser_id = lab["facility"]["equipment"][0]["id"]
    with ctx.db.session(write=True) as session:
        session.add(
            QualificationCheck(
                id="check-1",
                kind="equipment",
                equipment_id=laser_id,
                passed=True,
                outcome="{}",
                created_at=utc_now(),
            )
        )
    without = {**lab["facility"], "equipment": lab["facility"]["equipment"][1:]}
    refused = client.put(f"/facilities/{lab['id']}", json=without, headers=hub.auth)
    assert _problem(refused, 409)["field"] == "equipment"
    assert client.get(f"/equipment/{laser_id}").status_code == 200
    kept = client.put(f"/facilities/{lab['id']}", json=lab["facility"], headers=hub.auth)
    assert kept.status_code == 200, kept.text


def test_add_operator_is_idempotent_and_race_safe(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    lab = _created(client, hub, {**LAB, "equipment": [{**LAB["equipment"][0], "operators": []}]})
    laser_id = lab["facility"]["equipment"][0]["id"]
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def add() -> None:
        barrier.wait()
        results.append(facilities.add_operator(ctx, laser_id, OTHER, "check-9"))

    threads = [threading.Thread(target=add) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    with ctx.db.session() as session:
        query = select(EquipmentOperator).where(EquipmentOperator.equipment_id == laser_id)
        rows = list(session.exec(query))
    assert [(r.holder, r.check_id) for r in rows] == [(OTHER, "check-9")]
    assert client.get(f"/facilities/{lab['id']}").json()["facility"]["equipment"][0][
        "operators"
    ] == [OTHER]
    assert facilities.remove_operator(ctx, laser_id, OTHER) is True
    assert facilities.remove_operator(ctx, laser_id, OTHER) is False
    with pytest.raises(InvalidFieldError) as raised:
        facilities.add_operator(ctx, laser_id, "amina", None)
    assert raised.value.field == "holder"
    with pytest.raises(NotFoundError):
        facilities.add_operator(ctx, "no-such-machine", OTHER, None)


def test_concurrent_imports_of_one_new_facility_store_it_once(
    client: TestClient, ctx: ServiceContext, hub: Hub
) -> None:
    """Eight imports of the same new facility at once: one facility, the others replace it."""
    with ctx.db.session() as session:
        owner = makerspaces.by_slug(session, hub.slug)
    actor = Actor(name=f"makerspace:{hub.slug}", makerspace_id=owner.id)
    barrier = threading.Barrier(8)
    ids: list[str] = []

    def store() -> None:
        barrier.wait()
        ids.append(facilities.import_facility(ctx, actor, owner, LAB).id)

    threads = [threading.Thread(target=store) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    assert client.get("/facilities").json()["total"] == 1
    assert len(client.get(f"/facilities/{ids[0]}").json()["facility"]["equipment"]) == 2
