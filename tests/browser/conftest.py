"""Browser tests: Playwright driving Debian's Chromium against `passport-vc serve` in a child
process (one worker, SQLite), as people use the pages.

Chromium is not downloaded: the tests launch /usr/bin/chromium (or PASSPORT_VC_CHROMIUM), which
`make test` installs from Debian when it can. Without it the tests skip, except under CI=true,
where they fail: CI must run them. Every request the pages make is recorded, and a request to
anything but the service under test fails the test (the pages bundle all they use).

Screenshots go to test-output/browser/ (or PASSPORT_VC_SCREENSHOTS); `make screenshots` writes
the ones the README shows into docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from serve_process import ServiceProcess, start_service

ROOT = Path(__file__).parents[2]
ADMIN_TOKEN = "browser-admin-token-0123456789"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
INSTALL_HINT = "install Debian's Chromium: apt-get install chromium (or run `make test` as root)"


def chromium_path() -> str | None:
    configured = os.environ.get("PASSPORT_VC_CHROMIUM")
    for candidate in (configured, "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: browser tests need Chromium and Playwright: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("PASSPORT_VC_SCREENSHOTS", ROOT / "test-output" / "browser"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _unavailable(f"no Chromium at /usr/bin/chromium; {INSTALL_HINT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Site:
    """The running service, its admin token, and a registered makerspace with its API key."""

    service: ServiceProcess
    api_key: str
    slug: str
    foreign_requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.service.base_url

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def new_page(self, browser: Any, **options: Any) -> Any:
        """A page in a fresh browser context (its own cookies, like another person), whose
        requests outside the service are recorded and refused."""
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)

        def guard(route: Any) -> None:
            if route.request.url.startswith(self.url):
                route.continue_()
            else:
                self.foreign_requests.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        return context.new_page()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("browser-site")
    service = start_service(
        data_dir,
        f"sqlite:///{data_dir / 'passport.db'}",
        workers=1,
        admin_token=ADMIN_TOKEN,
        master_key="B" * 43,
    )
    try:
        with httpx.Client(base_url=service.base_url, timeout=30) as client:
            response = client.post(
                "/makerspaces",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                json={
                    "slug": "fablab-nairobi",
                    "name": "Fablab Nairobi",
                    "url": "https://fablab-nairobi.example",
                },
            )
            assert response.status_code == 201, response.text
            created = response.json()
        site = Site(service, created["api_key"], created["slug"])
        yield site
        assert site.foreign_requests == [], "pages asked for resources outside the service"
    finally:
        service.stop()
