"""Embeddable badges: small HTML snippets that other sites show in an iframe."""

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from widgets import badge_html

router = APIRouter(prefix="/badges")


@router.get("/build", response_class=HTMLResponse)
def build_badge(label: str, status: str = "passing"):
    return HTMLResponse(badge_html(label, status))  # expect: py.xss


@router.get("/escaped", response_class=HTMLResponse)
def escaped_badge(label: str, status: str = "passing"):
    return HTMLResponse(badge_html(html.escape(label), html.escape(status)))  # safe: py.xss


@router.get("/info")
def badge_info(label: str, status: str = "passing"):
    return {"label": label, "status": status, "html": badge_html(label, status)}  # safe: py.xss
