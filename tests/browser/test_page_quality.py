"""Every page people see, audited in the browser as rendered: titles and Open Graph tags,
one h1 and no skipped heading levels, labelled form controls, named links and buttons, image
alternatives, unique ids, text contrast (WCAG AA, computed from the rendered colours), keyboard
navigation with a visible focus, no horizontal scrolling on a phone, and the passport printed
on one A4 page. Also: the QR code shown on a badge's page decodes, from the pixels on screen,
to that page's URL; and text a maker or issuer typed is shown as text on every page, never
as markup."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import zxingcpp
from PIL import Image

from .conftest import Site
from .test_story import cli, maker_shares_passport, sign_in

pytestmark = pytest.mark.browser

WIKI = "https://en.wikipedia.org/wiki/"
HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script>"\'&amp;'

# Runs in the page; returns a list of problems (strings). Colours are read from computed
# styles; a text's background is the first opaque background among its ancestors.
AUDIT = """
() => {
  const problems = [];
  const visible = (el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0;
  };
  const name = (el) => (el.getAttribute('aria-label') || el.innerText || el.value
    || (el.querySelector('img') && el.querySelector('img').alt) || '').trim();
  if (!document.documentElement.lang) problems.push('html has no lang');
  if (!document.title.trim()) problems.push('no title');
  for (const p of ['og:title', 'og:description', 'og:type', 'og:url']) {
    const m = document.querySelector(`meta[property="${p}"]`);
    if (!m || !m.content.trim()) problems.push(`no ${p}`);
  }
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`${h1} h1 elements`);
  let last = 0;
  for (const h of document.querySelectorAll('h1,h2,h3,h4,h5,h6')) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) {
      problems.push(`heading ${h.tagName} after h${last}: ${h.innerText}`);
    }
    last = level;
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.src}`);
  }
  for (const c of document.querySelectorAll('input, select, textarea')) {
    if (c.type === 'hidden' || c.type === 'submit' || c.type === 'button') continue;
    const labelled = c.labels.length > 0 || c.getAttribute('aria-label')
      || c.getAttribute('aria-labelledby');
    if (!labelled) problems.push(`unlabelled ${c.tagName.toLowerCase()} ${c.name}`);
  }
  for (const el of document.querySelectorAll('a[href], button, summary')) {
    if (visible(el) && !name(el)) problems.push(`unnamed ${el.tagName.toLowerCase()}`);
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) {
    if (ids[el.id]) problems.push(`duplicate id ${el.id}`);
    ids[el.id] = true;
  }
  const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text.length || !visible(el)) continue;
    const s = getComputedStyle(el);
    const fg = luminance(rgb(s.color).slice(0, 3));
    const bg = luminance(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    const key = `${s.color}/${background(el)}`;
    if (ratio < needed && !seen.has(key)) {
      seen.add(key);
      const sample = el.innerText.slice(0, 40);
      problems.push(`contrast ${ratio.toFixed(2)} < ${needed} for "${sample}" (${s.color})`);
    }
  }
  return problems;
}
"""

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@dataclass
class Pages:
    """A populated service: the staff member's signed-in browser page and the public URLs."""

    site: Site
    staff: Any
    badge: str
    passport: str
    facility: str
    verify_result: str

    def public(self) -> dict[str, str]:
        return {
            "badge": self.badge,
            "passport": self.passport,
            "facility": self.facility,
            "verify": f"{self.site.url}/verify",
            "share": f"{self.site.url}/share",
            "verify-result": self.verify_result,
            "facilities": f"{self.site.url}/facilities",
            "skills": f"{self.site.url}/skills",
            "skill": f"{self.site.url}/skills/LASER-CUT",
            "makerspaces": f"{self.site.url}/makerspaces",
            "makerspace": f"{self.site.url}/makerspaces/{self.site.slug}",
        }


@pytest.fixture(scope="module")
def pages(browser: Any, site: Site) -> Iterator[Pages]:
    """One maker with three badges (one with text full of markup), a facility with a machine
    that needs two of the skills, a share link and a kept verification result."""
    maker = json.loads(cli("keygen"))
    with site.api() as api:
        auth = {"Authorization": f"Bearer {site.api_key}"}
        issued = []
        for skill, level, extra in [
            ("LASER-CUT", 3, {"holderName": "Wanjiru Kamau"}),
            ("LASER-SAFETY", 1, {"holderName": "Wanjiru Kamau"}),
            ("CAD-2D", 2, {"holderName": HOSTILE, "evidence": [{"narrative": HOSTILE}]}),
        ]:
            response = api.post(
                f"/makerspaces/{site.slug}/badges",
                headers=auth,
                json={"holder": maker["did"], "skill": skill, "level": level, **extra},
            )
            assert response.status_code == 201, response.text
            issued.append(response.json()["verifiableCredential"])
        facility = api.post(
            f"/makerspaces/{site.slug}/facilities",
            headers=auth,
            json={
                "name": f"Fablab Nairobi workshop {HOSTILE}",
                "location": {"address": {"city": "Nairobi", "country": "KE"}},
                "manufacturingProcesses": [WIKI + "Laser_cutting"],
                "equipment": [
                    {
                        "equipmentType": WIKI + "Laser_cutting",
                        "make": "Trotec Laser",
                        "model": "Speedy 400",
                        "skillsRequired": [
                            {"skill": "LASER-SAFETY", "minLevel": 1},
                            {"skill": "LASER-CUT", "minLevel": 2},
                        ],
                        "operators": [maker["did"]],
                    }
                ],
            },
        )
        assert facility.status_code == 201, facility.text
        facility_id = facility.json()["id"]
    badge_uuid = issued[0]["id"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    share_url = maker_shares_passport(site, maker)
    staff = site.new_page(browser, viewport={"width": 1280, "height": 900})
    sign_in(staff, site)
    verifier = site.new_page(browser)
    verifier.goto(f"{site.url}/verify")
    verifier.get_by_label("Badge or presentation (JSON)").fill(json.dumps(issued[2]))
    verifier.get_by_role("button", name="Verify").click()
    permalink = verifier.locator("a.permalink").get_attribute("href")
    assert permalink
    yield Pages(
        site,
        staff,
        f"{site.url}/credentials/{quote(badge_uuid)}",
        share_url,
        f"{site.url}/facilities/{facility_id}",
        permalink if permalink.startswith("http") else f"{site.url}{permalink}",
    )


CONSOLE = ["/console", "/console/issue", "/console/audit"]


def test_public_pages_pass_the_audit(browser: Any, pages: Pages) -> None:
    page = pages.site.new_page(browser)
    failures = {}
    for name, url in pages.public().items():
        page.goto(url)
        problems = page.evaluate(AUDIT)
        if problems:
            failures[name] = problems
    page.goto(f"{pages.site.url}/console/login")
    if problems := page.evaluate(AUDIT):
        failures["console-login"] = problems
    assert failures == {}


def test_console_pages_pass_the_audit(pages: Pages) -> None:
    failures = {}
    for path in CONSOLE:
        pages.staff.goto(f"{pages.site.url}{path}")
        if problems := pages.staff.evaluate(AUDIT):
            failures[path] = problems
    assert failures == {}


def test_text_people_typed_is_shown_as_text_everywhere(browser: Any, pages: Pages) -> None:
    page = pages.site.new_page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    urls = [*pages.public().values(), *(f"{pages.site.url}{p}" for p in CONSOLE)]
    for url in urls:
        viewer = pages.staff if "/console" in url else page
        viewer.goto(url)
        # The only images are the QR codes; no script element exists on any page.
        assert viewer.locator("script").count() == 0, url
        assert viewer.locator("img:not(.qr)").count() == 0, url
    for url in [pages.passport, pages.facility, pages.verify_result]:
        page.goto(url)
        assert HOSTILE in page.locator("main").inner_text(), url
    assert dialogs == []


def test_keyboard_only_sign_in_and_visible_focus(browser: Any, pages: Pages) -> None:
    page = pages.site.new_page(browser)
    page.goto(f"{pages.site.url}/console/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-999px"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        state = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.id || e.tagName, s.outlineStyle !== 'none' || s.boxShadow !== 'none'] }"
        )
        focused.append(state)
        if state[0] == "api_key":
            break
    assert focused[-1][0] == "api_key", focused
    assert all(visible for _, visible in focused), focused
    page.keyboard.type(pages.site.api_key)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{pages.site.url}/console")
    assert page.get_by_role("heading", name="Issued badges").count() == 1


@pytest.mark.parametrize("width", [360, 768])
def test_pages_fit_a_phone_without_sideways_scrolling(
    browser: Any, pages: Pages, width: int
) -> None:
    page = pages.site.new_page(
        browser, viewport={"width": width, "height": 780}, is_mobile=True, has_touch=True
    )
    wide = {}
    for name, url in pages.public().items():
        page.goto(url)
        if (overflow := page.evaluate(OVERFLOW)) > 0:
            wide[name] = overflow
    assert wide == {}


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_passport_prints_on_one_a4_page(browser: Any, pages: Pages, screenshots: Path) -> None:
    page = pages.site.new_page(browser)
    page.goto(pages.passport)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=False)
    (screenshots / "passport-print.pdf").write_bytes(pdf)
    assert _pdf_pages(pdf) == 1
    # A single badge page prints on one page too.
    page.goto(pages.badge)
    assert _pdf_pages(page.pdf(format="A4")) == 1


@pytest.mark.parametrize("which", ["badge", "passport"])
def test_the_qr_on_screen_opens_the_page(browser: Any, pages: Pages, which: str) -> None:
    url = pages.badge if which == "badge" else pages.passport
    page = pages.site.new_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(url)
    qr = page.locator("img.qr").first
    qr.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    image = Image.open(io.BytesIO(qr.screenshot())).convert("L")
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in found] == [url]


def test_the_audit_finds_what_it_looks_for(browser: Any, site: Site) -> None:
    """The audit above is only worth its silence if it speaks up on a bad page."""
    page = site.new_page(browser)
    page.set_content(
        "<html><head><title></title></head><body><h1>a</h1><h1>b</h1><h4>skipped</h4>"
        '<img src="data:,"><input name="nolabel"><a href="/x"></a>'
        '<p id="d">x</p><p id="d" style="color:#999;background:#fff">grey on white</p>'
        "</body></html>"
    )
    problems = page.evaluate(AUDIT)
    expected = [
        "html has no lang",
        "no title",
        "no og:title",
        "2 h1 elements",
        "heading H4 after h1",
        "img without alt",
        "unlabelled input nolabel",
        "duplicate id d",
        "contrast 2.85 < 4.5",
    ]
    for fragment in expected:
        assert any(p.startswith(fragment) for p in problems), (fragment, problems)
