"""HTML rendering: one autoescaping Jinja2 environment over the package's templates, content
negotiation (browsers get HTML, every other client JSON) and the small HTML error page."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/json", "application/problem+json", "application/ld+json")

# The pages load nothing from elsewhere and run no script; say so to the browser. Most share
# their URL with the API (JSON for other clients, problem+json errors), so every page says
# `Vary: Accept`: a cache must not serve a page to an API client, or the reverse.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Vary": "Accept",
}


def _accepted(header: str) -> list[tuple[str, float]]:
    """(media range, q) of an Accept header; malformed q values count as 0."""
    found = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        found.append((media.lower(), quality))
    return found


def _quality(accepted: list[tuple[str, float]], media_type: str) -> float:
    """The q the most specific matching range gives `media_type` (RFC 9110 §12.5.1)."""
    kind = media_type.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for media, quality in accepted:
        if media == media_type:
            rank = 2
        elif media == f"{kind}/*":
            rank = 1
        elif media == "*/*":
            rank = 0
        else:
            continue
        if rank > best[0]:
            best = (rank, quality)
    return best[1]


def wants_html(request: Request) -> bool:
    """True when the Accept header prefers HTML to JSON (a browser); JSON wins ties, so a
    missing header, `*/*` and API clients get JSON."""
    accepted = _accepted(request.headers.get("accept", ""))
    html = max(_quality(accepted, t) for t in HTML_TYPES)
    json = max(_quality(accepted, t) for t in JSON_TYPES)
    return html > json


def for_browser(request: Request) -> bool:
    """Whether to answer HTML: the Accept header prefers it (wants_html) and the query does
    not ask for the API's JSON with `?format=json`, as the pages' JSON links do."""
    return request.query_params.get("format") != "json" and wants_html(request)


# --- filters the templates share --------------------------------------------------------------


def short_id(value: Any, keep: int = 24) -> str:
    """A long identifier (a DID, a URN) cut in the middle: `did:key:z6Mkha…2doK`."""
    text = str(value)
    if len(text) <= keep + 1:
        return text
    return text[: keep - 6] + "…" + text[-5:]


def wiki_title(url: Any) -> str:
    """The human title of a Wikipedia URL: `…/wiki/3D_printing` -> `3D printing`."""
    text = str(url or "").rstrip("/")
    return unquote(text.rsplit("/", 1)[-1]).replace("_", " ") if text else ""


def web_url(value: Any) -> str | None:
    """`value` if it is an http(s) URL a page may link to, else None (no `javascript:`)."""
    text = str(value or "")
    return text if text.lower().startswith(("https://", "http://")) else None


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("passport_vc", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short_id"] = short_id
    env.filters["wiki_title"] = wiki_title
    env.filters["web_url"] = web_url
    return env


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """`template` rendered with `context`, plus `page_url` (for og:url) and `path`."""
    public_url = _public_url(request)
    html = (
        environment()
        .get_template(template)
        .render(**context, path=request.url.path, page_url=public_url + request.url.path)
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


_ERROR_PAGE = """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block description %}{{ detail }}{% endblock %}
{% block content %}
<h1>{{ title }}</h1>
<p class="lead">{{ detail }}</p>
<p>Error {{ status }}. <a href="/docs">The API documentation</a> lists what this service serves.</p>
{% endblock %}
"""


def error_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    """The small HTML page a browser gets instead of problem+json."""
    html = (
        environment()
        .from_string(_ERROR_PAGE)
        .render(
            status=status_code,
            title=title,
            detail=detail,
            path=request.url.path,
            page_url=_public_url(request) + request.url.path,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def _public_url(request: Request) -> str:
    ctx = getattr(request.app.state, "ctx", None)
    configured = getattr(getattr(ctx, "settings", None), "public_url", None)
    return str(configured or str(request.base_url)).rstrip("/")
