"""``/docs``: the interactive API reference, with Swagger UI served from here (``api/static/docs``, vendored
from npm's swagger-ui-dist), so it works without the internet.

The page around Swagger UI is ours (FastAPI's ``get_swagger_ui_html`` writes no ``lang``), with
``contrast.css`` over Swagger's colours, and deep links off: with them on, Swagger puts each operation's link
inside the button that opens it (a link in a button: keyboard and screen-reader users meet two controls in
one). tests/dashboard/test_browser_pages.py walks it with axe-core at 1280 and 390 px.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parents[1] / "static" / "docs"
ASSETS_URL = "/docs/static"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>autograder API</title>
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
<link rel="stylesheet" href="{ASSETS_URL}/contrast.css">
<link rel="icon" href="{ASSETS_URL}/favicon-32x32.png">
</head>
<body>
<main id="swagger-ui"></main>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: false,
                 showExtensions: true, showCommonExtensions: true,
                 presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]}});
</script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


def assets() -> StaticFiles:
    return StaticFiles(directory=ASSETS)
