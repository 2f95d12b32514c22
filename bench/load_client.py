"""The pieces bench/load_mix.py and bench/fault_pg_restart.py share: the mixed-load asyncio
client (httpx, keep-alive, loopback only), the ledger of what the service acknowledged, the
lost-write audit, the GET /health baseline and the report tables. The database, the server, the
signals, CPU accounting and the library baseline are in bench/bench_common.py and
bench/serve_process.py.

Nothing here talks to anything but 127.0.0.1 and the PostgreSQL server named by the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_common import Backend, CpuUsage, Library, percentile
from serve_process import BENCH_ADMIN_TOKEN

DOMAIN = "door.fablab.example"
PROBLEM_JSON = "application/problem+json"

# Operation names, in report order; each is one or two HTTP requests.
OPS = ("issue", "verify", "status_read", "status_change", "presentation", "passport")


# --- what the service acknowledged ------------------------------------------------------------


@dataclass
class Makerspace:
    slug: str
    api_key: str
    did: str


@dataclass
class Badge:
    """An acknowledged (201) badge as the client received it."""

    uuid: str
    credential_id: str
    slug: str
    holder: str
    document: dict[str, Any]
    entries: dict[str, tuple[str, int]]  # purpose: (status list path, index)


@dataclass
class Holder:
    """A maker with a private key (for presentations) and a passport share link."""

    key: Any  # passport_vc.keys.SigningKey
    did: str
    badges: list[Badge] = field(default_factory=list)
    passport_path: str = ""


@dataclass
class StatusChange:
    value: int  # 1 set, 0 cleared
    acked: bool  # 200; otherwise a 503, another status or a transport error: unknown effect
    status: int


class Pool:
    """A set with O(1) random choice (credential UUIDs)."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._pos: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._pos

    def add(self, item: str) -> None:
        if item not in self._pos:
            self._pos[item] = len(self._items)
            self._items.append(item)

    def discard(self, item: str) -> None:
        pos = self._pos.pop(item, None)
        if pos is None:
            return
        last = self._items.pop()
        if pos < len(self._items):
            self._items[pos] = last
            self._pos[last] = pos

    def choice(self, rng: random.Random) -> str | None:
        return self._items[rng.randrange(len(self._items))] if self._items else None


@dataclass
class Ledger:
    """Everything the service acknowledged, and every write it did not acknowledge."""

    makerspaces: list[Makerspace] = field(default_factory=list)
    badges: dict[str, Badge] = field(default_factory=dict)
    issues_unacked: int = 0  # issue requests answered other than 201 (a ghost may exist)
    changes: dict[tuple[str, str], list[StatusChange]] = field(default_factory=dict)

    def add_badge(self, badge: Badge) -> None:
        self.badges[badge.uuid] = badge

    def add_change(self, uuid_: str, purpose: str, change: StatusChange) -> None:
        self.changes.setdefault((uuid_, purpose), []).append(change)


def badge_from(document: dict[str, Any], slug: str, holder: str) -> Badge:
    credential_id = str(document["id"])
    entries: dict[str, tuple[str, int]] = {}
    status = document.get("credentialStatus")
    for entry in status if isinstance(status, list) else [status]:
        if isinstance(entry, dict):
            path = urlsplit(str(entry["statusListCredential"])).path
            entries[str(entry["statusPurpose"])] = (path, int(entry["statusListIndex"]))
    return Badge(
        uuid=credential_id.rstrip("/").rsplit("/", 1)[-1],
        credential_id=credential_id,
        slug=slug,
        holder=holder,
        document=document,
        entries=entries,
    )


# --- one request's record ---------------------------------------------------------------------

OK, UNAVAILABLE, ERROR = "ok", "unavailable", "error"


@dataclass(slots=True)
class Sample:
    endpoint: str
    start: float  # seconds since the load started
    end: float
    status: int  # 0: no HTTP answer (transport error, timeout)
    verdict: str  # OK, UNAVAILABLE (a well-formed 503) or ERROR
    write: bool  # issue or status change


@dataclass
class Recorder:
    t0: float = field(default_factory=time.perf_counter)
    samples: list[Sample] = field(default_factory=list)
    error_samples: dict[str, list[str]] = field(default_factory=dict)
    unavailable_bad: int = 0  # 503 without Retry-After or without a problem+json body

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def add(
        self, endpoint: str, start: float, status: int, verdict: str, note: str, write: bool
    ) -> None:
        self.samples.append(Sample(endpoint, start, self.now(), status, verdict, write))
        if verdict == ERROR:
            kept = self.error_samples.setdefault(endpoint, [])
            if len(kept) < 3:
                kept.append(f"{status} {note[:300]}")


def well_formed_503(response: httpx.Response) -> bool:
    """503 with Retry-After and an RFC 9457 problem+json body that says 503."""
    if not response.headers.get("retry-after", "").strip():
        return False
    if not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == 503 and "title" in body


# --- the mixed-load client --------------------------------------------------------------------


@dataclass
class LoadConfig:
    clients: int
    seconds: float
    max_requests: int
    weights: dict[str, float]
    seed: int = 1
    timeout: float = 30.0


class MixClient:
    """Runs the mix: `clients` tasks, each sending its next request once its answer is in."""

    def __init__(
        self, base_url: str, ledger: Ledger, holders: list[Holder], recorder: Recorder
    ) -> None:
        from passport_vc.keys import SigningKey
        from passport_vc.taxonomy import load_taxonomy

        self.base_url = base_url
        self.ledger = ledger
        self.holders = holders
        self.rec = recorder
        self.skills = [skill.code for skill in load_taxonomy().skills]
        # Makers who get badges during the load: many, so no passport grows without bound.
        self.makers = [
            SigningKey(hashlib.sha256(b"maker%d" % i).digest()).did_key for i in range(500)
        ]
        self.verifiable = Pool()  # never status-changed: verify must say verified
        self.everything = Pool()  # every acknowledged badge: status list reads
        self.suspended = Pool()  # acknowledged suspended, not revoked: may be reinstated
        self.in_verify: Counter[str] = Counter()
        self.changing: set[str] = set()
        self.etags: dict[str, str] = {}
        self.sent = 0
        self.http: httpx.AsyncClient | None = None

    def adopt(self, badge: Badge, *, verifiable: bool = True) -> None:
        self.ledger.add_badge(badge)
        self.everything.add(badge.uuid)
        if verifiable:
            self.verifiable.add(badge.uuid)

    # -- requests --

    async def _send(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        expect: tuple[int, ...] = (200,),
        check: Callable[[httpx.Response], str | None] | None = None,
    ) -> httpx.Response | None:
        """One request, recorded; the response when its status is expected and `check` (which
        returns what is wrong, or None) passes, else None."""
        assert self.http is not None
        self.sent += 1
        start = self.rec.now()
        sent_headers = dict(headers or {})
        if token is not None:
            sent_headers["Authorization"] = f"Bearer {token}"
        content = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":")).encode()
            sent_headers["Content-Type"] = "application/json"
        try:
            response = await self.http.request(method, path, content=content, headers=sent_headers)
        except httpx.HTTPError as exc:
            self.rec.add(endpoint, start, 0, ERROR, f"{type(exc).__name__}: {exc}", write)
            return None
        status = response.status_code
        if status in expect:
            problem = check(response) if check is not None else None
            if problem is None:
                self.rec.add(endpoint, start, status, OK, "", write)
                return response
            self.rec.add(endpoint, start, status, ERROR, problem, write)
            return None
        if status == 503:
            if well_formed_503(response):
                self.rec.add(endpoint, start, status, UNAVAILABLE, "", write)
            else:
                self.rec.unavailable_bad += 1
                note = f"malformed 503: headers {dict(response.headers)} body {response.text}"
                self.rec.add(endpoint, start, status, ERROR, note, write)
            return None
        self.rec.add(endpoint, start, status, ERROR, response.text, write)
        return None

    # -- operations --

    async def issue(self, rng: random.Random) -> None:
        makerspace = rng.choice(self.ledger.makerspaces)
        await self.issue_to(rng, makerspace, rng.choice(self.makers))

    async def issue_to(
        self, rng: random.Random, makerspace: Makerspace, holder: str, *, verifiable: bool = True
    ) -> Badge | None:
        body = {"holder": holder, "skill": rng.choice(self.skills), "level": rng.randint(1, 4)}
        response = await self._send(
            "POST /makerspaces/{slug}/badges",
            "POST",
            f"/makerspaces/{makerspace.slug}/badges",
            body=body,
            token=makerspace.api_key,
            write=True,
            expect=(201,),
        )
        if response is None:
            self.ledger.issues_unacked += 1
            return None
        badge = badge_from(response.json()["verifiableCredential"], makerspace.slug, holder)
        self.adopt(badge, verifiable=verifiable)
        return badge

    async def verify(self, rng: random.Random) -> None:
        key = self.verifiable.choice(rng)
        if key is None:
            await self.issue(rng)
            return
        badge = self.ledger.badges[key]
        self.in_verify[key] += 1
        try:
            await self._send(
                "POST /credentials/verify",
                "POST",
                "/credentials/verify",
                body={
                    "verifiableCredential": badge.document,
                    "options": {"returnCredential": False},
                },
                check=_verified,
            )
        finally:
            self.in_verify[key] -= 1
            if not self.in_verify[key]:
                del self.in_verify[key]

    async def status_read(self, rng: random.Random) -> None:
        key = self.everything.choice(rng)
        if key is None:
            await self.issue(rng)
            return
        badge = self.ledger.badges[key]
        path, _ = badge.entries[rng.choice(sorted(badge.entries))]
        etag = self.etags.get(path)
        if etag is not None and rng.random() < 0.5:
            response = await self._send(
                "GET /status-lists/{n} If-None-Match",
                "GET",
                path,
                headers={"If-None-Match": etag},
                expect=(200, 304),
            )
        else:
            response = await self._send("GET /status-lists/{n}", "GET", path, check=_status_list)
        if response is not None and response.status_code == 200 and "etag" in response.headers:
            self.etags[path] = response.headers["etag"]

    async def status_change(
        self, rng: random.Random, kinds: Mapping[str, float] | None = None
    ) -> None:
        """Revoke, suspend or reinstate one badge; never two changes of a badge at once, never
        one while a verification of it is in flight (so verify always expects verified)."""
        kinds = kinds or {"revoke": 0.6, "suspend": 0.25, "reinstate": 0.15}
        kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
        key: str | None = None
        if kind == "reinstate":
            for _ in range(10):
                key = self.suspended.choice(rng)
                if key is None or key not in self.changing:
                    break
                key = None
            if key is None:
                kind = "suspend"
        if key is None:
            for _ in range(20):
                candidate = self.verifiable.choice(rng)
                if candidate is None:
                    break
                if candidate not in self.in_verify and candidate not in self.changing:
                    key = candidate
                    break
        if key is None:
            await self.issue(rng)
            return
        self.verifiable.discard(key)  # its verification result changes from now on
        self.changing.add(key)
        badge = self.ledger.badges[key]
        purpose = "revocation" if kind == "revoke" else "suspension"
        value = 0 if kind == "reinstate" else 1
        makerspace = next(m for m in self.ledger.makerspaces if m.slug == badge.slug)
        try:
            response = await self._send(
                "POST /credentials/status",
                "POST",
                "/credentials/status",
                body={
                    "credentialId": badge.credential_id,
                    "credentialStatus": {
                        "type": "BitstringStatusListEntry",
                        "statusPurpose": purpose,
                    },
                    "status": bool(value),
                },
                token=makerspace.api_key,
                write=True,
            )
            acked = response is not None
            status = response.status_code if response is not None else -1
            self.ledger.add_change(key, purpose, StatusChange(value, acked, status))
            if acked and kind == "suspend":
                self.suspended.add(key)
            elif acked and kind == "reinstate":
                self.suspended.discard(key)
        finally:
            self.changing.discard(key)

    async def presentation(self, rng: random.Random) -> None:
        """POST /challenges, then the holder's signed presentation to /presentations/verify."""
        from passport_vc.credentials.signing import sign_presentation
        from passport_vc.proofs.data_integrity import ProofOptions

        if not self.holders:
            await self.verify(rng)
            return
        holder = rng.choice(self.holders)
        answer = await self._send(
            "POST /challenges", "POST", "/challenges", expect=(201,), check=_has_challenge
        )
        if answer is None:
            return
        challenge = str(answer.json()["challenge"])
        presentation = sign_presentation(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "holder": holder.did,
                "verifiableCredential": [b.document for b in holder.badges],
            },
            holder.key,
            ProofOptions(challenge=challenge, domain=DOMAIN),
        )
        await self._send(
            "POST /presentations/verify",
            "POST",
            "/presentations/verify",
            body={
                "verifiablePresentation": presentation,
                "options": {"challenge": challenge, "domain": DOMAIN, "returnPresentation": False},
            },
            check=_verified,
        )

    async def passport(self, rng: random.Random) -> None:
        holders = [h for h in self.holders if h.passport_path]
        if not holders:
            await self.verify(rng)
            return
        holder = rng.choice(holders)
        await self._send(
            "GET /passports/{did}",
            "GET",
            holder.passport_path,
            headers={"Accept": "application/json"},
            check=lambda r: _passport(r, len(holder.badges)),
        )

    # -- the load --

    async def run(self, config: LoadConfig, stop: asyncio.Event | None = None) -> float:
        """The mix for `config.seconds` (or until `stop` is set, or `max_requests` are sent);
        returns the seconds it ran."""
        stop = stop or asyncio.Event()
        ops = [op for op in OPS if config.weights.get(op, 0) > 0]
        weights = [config.weights[op] for op in ops]
        started = self.rec.now()
        deadline = started + config.seconds

        async def client(n: int) -> None:
            rng = random.Random(config.seed * 1_000 + n)
            while (
                not stop.is_set() and self.rec.now() < deadline and self.sent < config.max_requests
            ):
                op = rng.choices(ops, weights=weights)[0]
                await getattr(self, op)(rng)

        await asyncio.gather(*(client(n) for n in range(config.clients)))
        return self.rec.now() - started

    @contextlib.asynccontextmanager
    async def connected(self, clients: int, timeout: float = 30.0) -> Any:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(
            base_url=self.base_url, limits=limits, timeout=timeout, trust_env=False
        ) as http:
            self.http = http
            try:
                yield self
            finally:
                self.http = None


def _verified(response: httpx.Response) -> str | None:
    body = response.json()
    if body.get("verified") is True:
        return None
    kinds = [p.get("type", "?").rsplit("#", 1)[-1] for p in body.get("problemDetails", [])]
    return f"verified={body.get('verified')!r} problems={kinds}"


def _status_list(response: httpx.Response) -> str | None:
    if not response.headers.get("etag"):
        return "no ETag"
    return None


def _has_challenge(response: httpx.Response) -> str | None:
    return None if isinstance(response.json().get("challenge"), str) else "no challenge"


def _passport(response: httpx.Response, count: int) -> str | None:
    results = response.json().get("results", [])
    if len(results) != count or not all(r.get("verified") for r in results):
        return f"{len(results)} results, verified: {[r.get('verified') for r in results]}"
    return None


# --- setup: makerspaces, seed badges, holders and their share links ---------------------------


async def setup(
    client: MixClient,
    makerspaces: int,
    seed_badges: int,
    holders: int,
    rng: random.Random,
) -> None:
    """Register the makerspaces (admin token), issue the seed badges the first reads need,
    and give each holder a badge from two makerspaces and a passport share link."""
    from passport_vc.keys import SigningKey

    assert client.http is not None
    for n in range(makerspaces):
        answer = await client.http.post(
            "/makerspaces",
            json={"name": f"Load Lab {n + 1}"},
            headers={"Authorization": f"Bearer {BENCH_ADMIN_TOKEN}"},
        )
        if answer.status_code != 201:
            raise RuntimeError(f"POST /makerspaces: {answer.status_code} {answer.text[:300]}")
        made = answer.json()
        client.ledger.makerspaces.append(Makerspace(made["slug"], made["api_key"], made["did"]))
    for i in range(seed_badges):
        makerspace = client.ledger.makerspaces[i % makerspaces]
        if await client.issue_to(rng, makerspace, rng.choice(client.makers)) is None:
            raise RuntimeError(f"seed badge refused: {client.rec.error_samples}")
    for i in range(holders):
        key = SigningKey(hashlib.sha256(b"holder%d" % i).digest())
        holder = Holder(key=key, did=key.did_key)
        for makerspace in (
            client.ledger.makerspaces[i % makerspaces],
            client.ledger.makerspaces[(i + 1) % makerspaces],
        ):
            # Presented and shown in the passport: never revoked, so they always verify.
            badge = await client.issue_to(rng, makerspace, holder.did, verifiable=False)
            if badge is None:
                raise RuntimeError(f"holder badge refused: {client.rec.error_samples}")
            holder.badges.append(badge)
        link = await client.http.post(
            f"/passports/{holder.did}/share-links",
            json={},
            headers={
                "Authorization": f"Bearer {client.ledger.makerspaces[i % makerspaces].api_key}"
            },
        )
        if link.status_code != 201:
            raise RuntimeError(f"share link: {link.status_code} {link.text[:300]}")
        url = urlsplit(link.json()["url"])
        holder.passport_path = f"{url.path}?{url.query}"
        client.holders.append(holder)


# --- the audit --------------------------------------------------------------------------------


@dataclass
class AuditReport:
    badges: int = 0
    lists: int = 0
    bits_checked: int = 0
    bits_set: int = 0
    changes_acked: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, missing: failures
    ghosts: list[str] = field(default_factory=list)  # unacknowledged, yet written
    disagreements: list[str] = field(default_factory=list)  # served list vs database


def audit(base_url: str, backend: Backend, ledger: Ledger) -> AuditReport:
    """Every acknowledged badge in the database with its status entries; every acknowledged
    status change in the served status list (each list fetched once and decoded); every bit
    of a never-changed entry clear; anything written without an acknowledgement is a ghost."""
    from sqlalchemy import create_engine, text

    from passport_vc.status import BitstringStatusList
    from passport_vc.store.database import normalize_url

    out = AuditReport(badges=len(ledger.badges))
    slugs = {m.slug for m in ledger.makerspaces}
    engine = create_engine(normalize_url(backend.url))
    try:
        with engine.connect() as connection:
            stored = {
                row[0]: (row[1], row[2])
                for row in connection.execute(
                    text(
                        "SELECT c.id, c.credential_id, m.slug FROM credential c "
                        "JOIN makerspace m ON m.id = c.makerspace_id"
                    )
                )
                if row[2] in slugs
            }
            entries: dict[str, dict[tuple[int, int], int]] = {}
            by_index: dict[tuple[int, int], tuple[str, int]] = {}
            for credential, list_id, idx, status in connection.execute(
                text("SELECT credential_id, list_id, idx, status FROM status_entry")
            ):
                entries.setdefault(credential, {})[(int(list_id), int(idx))] = int(status)
                by_index[(int(list_id), int(idx))] = (credential, int(status))
    finally:
        engine.dispose()

    for badge in ledger.badges.values():
        row = stored.get(badge.uuid)
        if row is None:
            out.lost.append(f"badge {badge.credential_id} ({badge.slug}): 201, not in the database")
            continue
        if row[0] != badge.credential_id:
            out.lost.append(
                f"badge {badge.uuid}: stored as {row[0]}, acknowledged as {badge.credential_id}"
            )
        have = entries.get(badge.uuid, {})
        for purpose, (path, idx) in badge.entries.items():
            if (_list_id(path), idx) not in have:
                out.lost.append(
                    f"badge {badge.credential_id}: {purpose} entry {path}#{idx} missing"
                )
        if len(badge.entries) != 2:
            out.lost.append(f"badge {badge.credential_id}: {len(badge.entries)} status entries")
    for uuid_, (credential_id, slug) in stored.items():
        if uuid_ not in ledger.badges:
            out.ghosts.append(
                f"badge {credential_id} ({slug}): in the database, never acknowledged"
            )

    with httpx.Client(base_url=base_url, timeout=60, trust_env=False) as http:
        by_list: dict[str, list[tuple[Badge, str, int]]] = {}
        for badge in ledger.badges.values():
            for purpose, (path, idx) in badge.entries.items():
                by_list.setdefault(path, []).append((badge, purpose, idx))
        for path, members in sorted(by_list.items()):
            response = http.get(path)
            if response.status_code != 200:
                out.lost.append(f"status list {path}: {response.status_code} {response.text[:200]}")
                continue
            subject = response.json()["credentialSubject"]
            bits = BitstringStatusList.decode(subject["encodedList"])
            out.lists += 1
            for badge, purpose, idx in members:
                served = bits.get(idx)
                out.bits_checked += 1
                out.bits_set += served
                changes = ledger.changes.get((badge.uuid, purpose), [])
                acked = [c for c in changes if c.acked]
                out.changes_acked += len(acked)
                expected = acked[-1].value if acked else 0
                after = changes[changes.index(acked[-1]) + 1 :] if acked else changes
                possible = {expected} | {c.value for c in after if not c.acked}
                what = f"{purpose} bit of {badge.credential_id} ({path}#{idx})"
                if served not in possible:
                    history = [(c.value, c.status) for c in changes]
                    out.lost.append(
                        f"{what}: served {served}, expected {expected}; "
                        f"changes (value, HTTP status): {history}"
                    )
                elif served != expected:
                    out.ghosts.append(
                        f"{what}: served {served} after an unacknowledged change "
                        f"(acknowledged value {expected})"
                    )
                stored_status = by_index.get((_list_id(path), idx))
                if stored_status is not None and stored_status[1] != served:
                    out.disagreements.append(
                        f"{what}: served {served}, database {stored_status[1]}"
                    )
    return out


def _list_id(path: str) -> int:
    return int(path.rstrip("/").rsplit("/", 1)[-1])


def print_audit(report: AuditReport, ledger: Ledger) -> None:
    print(
        f"\naudit: {report.badges} acknowledged badges checked in the database; "
        f"{report.lists} status lists fetched and decoded, {report.bits_checked} entry bits "
        f"checked ({report.bits_set} set, {report.changes_acked} acknowledged status changes); "
        f"{ledger.issues_unacked} issue requests not acknowledged"
    )
    print(f"lost writes: {len(report.lost)}")
    for line in report.lost[:50]:
        print(f"  LOST {line}")
    print(f"ghost writes (written, though not acknowledged): {len(report.ghosts)}")
    for line in report.ghosts[:50]:
        print(f"  ghost {line}")
    if report.disagreements:
        print(f"served status list vs database disagreements: {len(report.disagreements)}")
        for line in report.disagreements[:20]:
            print(f"  {line}")


# --- the GET /health baseline -----------------------------------------------------------------


async def health_rate(base_url: str, clients: int, seconds: float) -> tuple[float, int]:
    """GET /health (one database round trip) per second with `clients` connections; errors."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    done = errors = 0
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=30, trust_env=False
    ) as http:
        started = time.perf_counter()
        deadline = started + seconds

        async def one() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                try:
                    ok = (await http.get("/health")).status_code == 200
                except httpx.HTTPError:
                    ok = False
                done += ok
                errors += not ok

        await asyncio.gather(*(one() for _ in range(clients)))
        return done / (time.perf_counter() - started), errors


# --- the report -------------------------------------------------------------------------------


def cpu_line(usage: CpuUsage) -> str:
    """Mean CPUs busy over the load: server, this client, PostgreSQL (if counted), the rest."""
    wall = usage.seconds
    pg = f", postgres {usage.postgres / wall:.2f}" if usage.postgres is not None else ""
    return (
        f"CPUs busy on average: server {usage.server / wall:.2f}, this client "
        f"{usage.client / wall:.2f}{pg}, everything else {usage.others / wall:.2f} "
        f"(of {os.cpu_count()})"
    )


def endpoint_table(
    samples: list[Sample], seconds: float, library: Library | None, health: float | None
) -> str:
    """Per endpoint: requests, throughput, latency percentiles of the answered requests,
    503s and errors, and throughput as a share of the baselines."""
    names: list[str] = []
    for sample in samples:
        if sample.endpoint not in names:
            names.append(sample.endpoint)
    order = [
        "POST /makerspaces/{slug}/badges",
        "POST /credentials/verify",
        "GET /status-lists/{n}",
        "GET /status-lists/{n} If-None-Match",
        "POST /credentials/status",
        "POST /challenges",
        "POST /presentations/verify",
        "GET /passports/{did}",
    ]
    names.sort(key=lambda n: order.index(n) if n in order else len(order))
    head = (
        f"{'endpoint':<38}{'requests':>9}{'/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'503':>6}{'errors':>7}{'x lib':>7}{'x health':>9}"
    )
    lines = [head]

    def row(name: str, chosen: list[Sample]) -> str:
        latencies = [s.end - s.start for s in chosen if s.status != 0]
        rate = len(chosen) / seconds if seconds else 0.0
        unavailable = sum(s.verdict == UNAVAILABLE for s in chosen)
        errors = sum(s.verdict == ERROR for s in chosen)
        lib = f"{rate / library.pairs_per_s:7.3f}" if library else f"{'-':>7}"
        hl = f"{rate / health:9.3f}" if health else f"{'-':>9}"
        return (
            f"{name:<38}{len(chosen):9d}{rate:8.1f}{percentile(latencies, 0.5):8.1f}"
            f"{percentile(latencies, 0.95):8.1f}{percentile(latencies, 0.99):8.1f}"
            f"{unavailable:6d}{errors:7d}{lib}{hl}"
        )

    for name in names:
        lines.append(row(name, [s for s in samples if s.endpoint == name]))
    lines.append(row("total", samples))
    return "\n".join(lines)


def status_timeline(samples: list[Sample], marks: Mapping[int, str]) -> str:
    """Answers per second (by the second each answer came in), HTTP status by status."""
    by_second: dict[int, Counter[int]] = {}
    for sample in samples:
        by_second.setdefault(int(sample.end), Counter())[sample.status] += 1
    statuses = sorted({s.status for s in samples})
    head = f"{'t s':>4}" + "".join(f"{(str(s) if s else 'conn'):>6}" for s in statuses) + "  event"
    lines = [head]
    for second in range(min(by_second, default=0), max(by_second, default=-1) + 1):
        counts = by_second.get(second, Counter())
        cells = "".join(f"{counts.get(s, 0):6d}" for s in statuses)
        lines.append(f"{second:4d}{cells}  {marks.get(second, '')}".rstrip())
    return "\n".join(lines)
