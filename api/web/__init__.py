"""The web page: ask with citations you can check, check a claim, search, paper pages.

One more thin adapter: a static page (`static/index.html`, plain JavaScript, no build step,
nothing from a CDN) that talks to the `/v1` JSON API like any other client, with the
user's API key (kept in the browser's session storage) as a bearer token. Every page URL
(`/`, `/search`, `/check`, `/papers/{id}`) serves the same shell; the script renders the
view from the URL, so each is shareable. All text from answers and abstracts is inserted
as text nodes, never as HTML, and a strict Content-Security-Policy forbids inline script.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = files("api.web") / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
@router.get("/search", response_class=HTMLResponse)
@router.get("/check", response_class=HTMLResponse)
@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    return HTMLResponse(STATIC.joinpath("index.html").read_text(encoding="utf-8"), headers=HEADERS)


def mount_web(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
