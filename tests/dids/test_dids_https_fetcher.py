"""HttpsFetcher: address checks as a pure function, then real exchanges with a local server.

Nothing here touches the internet: the server listens on 127.0.0.1, which the tests allow
explicitly (allow_http_for + allow_private_hosts); the refusal tests make sure no connection
is even attempted without that allowance.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from passport_vc.dids import DidWebResolver, HttpsFetcher, check_address, is_public_address
from passport_vc.errors import DidResolutionError

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


# --- address checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:db8::1",  # documentation
        "not-an-ip",
    ],
)
def test_refused_addresses(ip: str) -> None:
    with pytest.raises(DidResolutionError):
        check_address(ip)
    assert not is_public_address(ip)


@pytest.mark.parametrize(
    "ip", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses(ip: str) -> None:
    assert check_address(ip) == ipaddress.ip_address(ip)
    assert is_public_address(ip)


# --- refusals before any connection ---------------------------------------------------------


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    attempts: list[Any] = []

    def refuse(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        raise AssertionError(f"connection attempted to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/.well-known/did.json",
        "https://10.0.0.1/.well-known/did.json",
        "https://[::1]/.well-known/did.json",
        "https://169.254.169.254/latest/meta-data/did.json",
        "https://[::ffff:127.0.0.1]:8443/did.json",
    ],
)
def test_private_literals_refused_before_connecting(url: str, no_connections: list[Any]) -> None:
    with pytest.raises(DidResolutionError, match="refusing to fetch"):
        HttpsFetcher()(url, timeout=1, max_bytes=1000)
    assert no_connections == []


@pytest.mark.parametrize(
    "answer", [["10.0.0.5"], ["93.184.215.14", "127.0.0.1"], ["::1"], ["169.254.169.254"]]
)
def test_names_resolving_to_private_addresses_are_refused(
    answer: list[str], no_connections: list[Any]
) -> None:
    fetcher = HttpsFetcher(resolve_host=lambda host, port: answer)
    with pytest.raises(DidResolutionError, match=r"issuer\.example: it resolves to"):
        fetcher("https://issuer.example/.well-known/did.json", timeout=1, max_bytes=1000)
    assert no_connections == []


@pytest.mark.parametrize(
    ("url", "mentions"),
    [
        ("http://issuer.example/did.json", "plain HTTP"),
        ("ftp://issuer.example/did.json", "only https"),
        ("file:///etc/passwd", "no host"),
        ("https://user:pw@issuer.example/did.json", "credentials"),
        ("https://issuer.example:99999/did.json", "malformed URL"),
        ("https://issuer.example/a b", "plain ASCII"),
    ],
)
def test_bad_urls_are_refused(url: str, mentions: str, no_connections: list[Any]) -> None:
    fetcher = HttpsFetcher(resolve_host=lambda host, port: ["93.184.215.14"])
    with pytest.raises(DidResolutionError, match=mentions):
        fetcher(url, timeout=1, max_bytes=1000)
    assert no_connections == []


def test_dns_timeout() -> None:
    def slow(host: str, port: int) -> list[str]:
        time.sleep(2)
        return ["93.184.215.14"]

    started = time.monotonic()
    with pytest.raises(DidResolutionError, match="timed out"):
        HttpsFetcher(resolve_host=slow)("https://slow.example/did.json", timeout=0.3, max_bytes=10)
    assert time.monotonic() - started < 1.5


# --- a local server -------------------------------------------------------------------------


class LocalServer:
    def __init__(self, server: http.server.ThreadingHTTPServer) -> None:
        self.server = server
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, str | None]] = []
        self.stop = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def route(
        self,
        path: str,
        status: int,
        body: bytes,
        content_type: str = "application/did+json",
        headers: dict[str, str] | None = None,
    ) -> None:
        def send(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = send


def _serve(wrap: Callable[[socket.socket], socket.socket] | None = None) -> Iterator[LocalServer]:
    holder: list[LocalServer] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            local = holder[0]
            local.hits.append((self.path, self.headers.get("Host")))
            route = local.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            route(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # clients hanging up on purpose are expected here

    server = Server(("127.0.0.1", 0), Handler)
    if wrap is not None:
        server.socket = wrap(server.socket)
    local = LocalServer(server)
    holder.append(local)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield local
    finally:
        local.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def local() -> Iterator[LocalServer]:
    yield from _serve()


def dev_fetcher() -> HttpsFetcher:
    return HttpsFetcher(allow_http_for=["127.0.0.1"], allow_private_hosts=["127.0.0.1"])


def test_fetches_a_document(local: LocalServer) -> None:
    local.route("/ok/did.json", 200, b'{"id": "x"}', "application/did+json; charset=utf-8")
    body = dev_fetcher()(f"http://127.0.0.1:{local.port}/ok/did.json", timeout=2, max_bytes=1000)
    assert body == b'{"id": "x"}'
    assert local.hits == [("/ok/did.json", f"127.0.0.1:{local.port}")]


def test_http_allowance_alone_does_not_allow_a_private_address(local: LocalServer) -> None:
    local.route("/ok/did.json", 200, b"{}")
    fetcher = HttpsFetcher(allow_http_for=["127.0.0.1"])
    with pytest.raises(DidResolutionError, match="loopback"):
        fetcher(f"http://127.0.0.1:{local.port}/ok/did.json", timeout=2, max_bytes=1000)
    assert local.hits == []


def test_redirects_are_not_followed(local: LocalServer) -> None:
    target = f"http://127.0.0.1:{local.port}/ok/did.json"
    local.route("/ok/did.json", 200, b"{}")
    for status in (301, 302, 303, 307, 308):
        local.route("/moved", status, b"", "text/plain", {"Location": target})
        with pytest.raises(
            DidResolutionError, match=f"HTTP {status}.*redirects are never followed"
        ):
            dev_fetcher()(f"http://127.0.0.1:{local.port}/moved", timeout=2, max_bytes=1000)
    assert {path for path, _ in local.hits} == {"/moved"}


@pytest.mark.parametrize(
    ("status", "content_type", "mentions"),
    [
        (404, "application/did+json", "HTTP 404"),
        (204, "application/did+json", "HTTP 204"),
        (200, "text/html", "content type 'text/html'"),
        (200, "", "content type ''"),
        (200, "application/did+jsonx", "content type"),
    ],
)
def test_status_and_content_type(
    local: LocalServer, status: int, content_type: str, mentions: str
) -> None:
    local.route("/x", status, b"{}" if status != 204 else b"", content_type)
    with pytest.raises(DidResolutionError, match=mentions):
        dev_fetcher()(f"http://127.0.0.1:{local.port}/x", timeout=2, max_bytes=1000)


@pytest.mark.parametrize(
    "content_type", ["application/did+json", "application/did+ld+json", "application/json"]
)
def test_accepted_content_types(local: LocalServer, content_type: str) -> None:
    local.route("/x", 200, b"{}", content_type)
    assert dev_fetcher()(f"http://127.0.0.1:{local.port}/x", timeout=2, max_bytes=1000) == b"{}"


def test_content_encoding_is_refused(local: LocalServer) -> None:
    local.route("/x", 200, b"{}", headers={"Content-Encoding": "gzip"})
    with pytest.raises(DidResolutionError, match="content encoding"):
        dev_fetcher()(f"http://127.0.0.1:{local.port}/x", timeout=2, max_bytes=1000)


def test_size_cap(local: LocalServer) -> None:
    local.route("/exact", 200, b"x" * 1000)
    local.route("/big", 200, b"x" * 5000)

    def undeclared(handler: http.server.BaseHTTPRequestHandler) -> None:
        # No Content-Length: the body runs until the connection closes.
        handler.protocol_version = "HTTP/1.0"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(b"x" * 5000)
        handler.close_connection = True

    local.routes["/undeclared"] = undeclared
    base = f"http://127.0.0.1:{local.port}"
    assert len(dev_fetcher()(f"{base}/exact", timeout=2, max_bytes=1000)) == 1000
    with pytest.raises(DidResolutionError, match="declares 5000 bytes"):
        dev_fetcher()(f"{base}/big", timeout=2, max_bytes=1000)
    with pytest.raises(DidResolutionError, match="more than 1000 bytes"):
        dev_fetcher()(f"{base}/undeclared", timeout=2, max_bytes=1000)


def test_slow_server_times_out(local: LocalServer) -> None:
    def slow(handler: http.server.BaseHTTPRequestHandler) -> None:
        local.stop.wait(10)

    local.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(DidResolutionError, match="timed out"):
        dev_fetcher()(f"http://127.0.0.1:{local.port}/slow", timeout=0.5, max_bytes=1000)
    assert time.monotonic() - started < 2


def test_dripping_server_times_out(local: LocalServer) -> None:
    # One header byte every 50 ms: no single read ever waits long, the exchange never ends.
    def drip(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not local.stop.is_set():
            try:
                handler.wfile.write(b"a")
                handler.wfile.flush()
            except OSError:
                return
            local.stop.wait(0.05)

    local.routes["/drip"] = drip
    started = time.monotonic()
    with pytest.raises(DidResolutionError, match="timed out"):
        dev_fetcher()(f"http://127.0.0.1:{local.port}/drip", timeout=0.5, max_bytes=1000)
    assert time.monotonic() - started < 2


def test_connects_to_the_checked_address_with_the_real_host_name(local: LocalServer) -> None:
    local.route("/.well-known/did.json", 200, b"{}")
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    fetcher = HttpsFetcher(
        allow_http_for=["issuer.test"], allow_private_hosts=["issuer.test"], resolve_host=resolve
    )
    url = f"http://issuer.test:{local.port}/.well-known/did.json"
    assert fetcher(url, timeout=2, max_bytes=100) == b"{}"
    assert lookups == ["issuer.test"]  # resolved once, by us
    assert local.hits == [("/.well-known/did.json", f"issuer.test:{local.port}")]


def test_did_web_resolver_end_to_end(local: LocalServer) -> None:
    did = f"did:web:127.0.0.1%3A{local.port}:makerspaces:fablab-cotonou"
    local.route("/makerspaces/fablab-cotonou/did.json", 200, json.dumps({"id": did}).encode())
    resolver = DidWebResolver(allow_http_for=["127.0.0.1"])
    assert resolver.resolve(did) == {"id": did}
    assert resolver.resolve(did) == {"id": did}
    assert len(local.hits) == 1


# --- TLS: the pinned connection still checks the certificate against the host name ----------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=issuer.test",
            "-addext",
            "subjectAltName=DNS:issuer.test",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_local(certificate: tuple[Path, Path]) -> Iterator[LocalServer]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    yield from _serve(lambda sock: context.wrap_socket(sock, server_side=True))


def tls_fetcher(certificate: tuple[Path, Path], *names: str) -> HttpsFetcher:
    return HttpsFetcher(
        allow_private_hosts=names,
        resolve_host=lambda host, port: ["127.0.0.1"],
        ssl_context=ssl.create_default_context(cafile=str(certificate[0])),
    )


def test_https_with_sni_and_certificate_check(
    tls_local: LocalServer, certificate: tuple[Path, Path]
) -> None:
    tls_local.route("/.well-known/did.json", 200, b'{"ok": true}')
    fetcher = tls_fetcher(certificate, "issuer.test")
    url = f"https://issuer.test:{tls_local.port}/.well-known/did.json"
    assert fetcher(url, timeout=3, max_bytes=100) == b'{"ok": true}'
    assert tls_local.hits == [("/.well-known/did.json", f"issuer.test:{tls_local.port}")]


def test_https_certificate_for_another_name_is_refused(
    tls_local: LocalServer, certificate: tuple[Path, Path]
) -> None:
    tls_local.route("/.well-known/did.json", 200, b"{}")
    fetcher = tls_fetcher(certificate, "other.test")
    with pytest.raises(DidResolutionError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        fetcher(
            f"https://other.test:{tls_local.port}/.well-known/did.json", timeout=3, max_bytes=100
        )
    assert tls_local.hits == []


def test_https_to_a_plain_http_server_fails_cleanly(local: LocalServer) -> None:
    fetcher = HttpsFetcher(allow_private_hosts=["127.0.0.1"])
    with pytest.raises(DidResolutionError):
        fetcher(f"https://127.0.0.1:{local.port}/x", timeout=2, max_bytes=100)
