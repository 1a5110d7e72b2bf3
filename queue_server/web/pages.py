"""Server-rendered pages (Jinja2). For now the start page that tells a newcomer what exists."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from queue_server.web.i18n import page_templates

_env = Environment(loader=page_templates(), autoescape=select_autoescape())


async def start_page(request: Request, sites: list[Any], demo_tokens: dict[str, str] | None,
                     demo_people: dict[str, str] | None = None) -> HTMLResponse:
    base = str(request.base_url).rstrip("/")
    html = _env.get_template("start.html").render(sites=sites, tokens=demo_tokens, people=demo_people, base=base)
    return HTMLResponse(html)
