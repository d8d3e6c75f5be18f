"""The local runner's static pages: the widget script, the console app and a demo host page.

In AWS the same files are served from S3 behind CloudFront; locally the runner serves them from the
committed build outputs (`web/widget/dist/`, `web/console/dist/`), so `./run dev` needs no Node.js.

    GET /widget.js           the widget bundle
    GET /console/...         the console SPA: its files, and index.html for any other path under it
                             (client-side routes such as /console/auth/verify?token=...)
    GET /demo[?agent_id=ID]  a host page embedding an agent's widget (the seeded demo agent by default)
    GET /openapi/NAME.json   the merged OpenAPI of the public, console or widget API (devtools/contracts.py)
    GET /docs/api[?api=NAME] a reference page rendering it (devtools/api_reference.html, no CDN)
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
WIDGET_JS = ROOT / "web" / "widget" / "dist" / "widget.js"
CONSOLE_DIST = ROOT / "web" / "console" / "dist"
API_REFERENCE = Path(__file__).resolve().parent / "api_reference.html"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
}
_NO_CACHE = "no-cache"
_IMMUTABLE = "public, max-age=31536000, immutable"  # Vite's hashed file names change with content


@dataclass
class StaticResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _text(status: int, message: str) -> StaticResponse:
    return StaticResponse(status, message.encode(), {"content-type": "text/plain; charset=utf-8"})


def _file(path: Path, cache: str = _NO_CACHE) -> StaticResponse:
    content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return StaticResponse(
        200,
        path.read_bytes(),
        {"content-type": content_type, "cache-control": cache, "x-content-type-options": "nosniff"},
    )


def respond(method: str, target: str, demo_agent_id: str | None = None) -> StaticResponse | None:
    """The response for a static path, or None when `target` is not one (an API route, then)."""
    if method != "GET":
        return None
    split = urlsplit(target)
    path = split.path
    if path == "/widget.js":
        if not WIDGET_JS.is_file():
            return _text(404, "The widget is not built: run ./run build-web widget")
        return _file(WIDGET_JS)
    if path == "/console":
        query = f"?{split.query}" if split.query else ""
        return StaticResponse(308, b"", {"location": f"/console/{query}"})
    if path.startswith("/console/"):
        return _console_file(path.removeprefix("/console/"))
    if path in ("/docs/api", "/docs/api/"):
        return _file(API_REFERENCE)
    if path.startswith("/openapi/") and path.endswith(".json"):
        return _contract(path.removeprefix("/openapi/").removesuffix(".json"))
    if path in ("/demo", "/demo/"):
        requested = parse_qs(split.query).get("agent_id", [None])[0]
        return demo_page(requested or demo_agent_id)
    return None


def _contract(name: str) -> StaticResponse:
    from devtools.contracts import CONTRACTS, merged_openapi

    if name not in CONTRACTS:
        return _text(404, f"No such API description; there are {', '.join(CONTRACTS)}.")
    body = json.dumps(merged_openapi(name), indent=2).encode()
    return StaticResponse(200, body, {"content-type": "application/json", "cache-control": _NO_CACHE})


def _console_file(relative: str) -> StaticResponse:
    index = CONSOLE_DIST / "index.html"
    if not index.is_file():
        return _text(404, "The console is not built: run ./run build-web console")
    parts = [unquote(part) for part in relative.split("/") if part]
    if any(part in ("..", ".") or "\\" in part or "\0" in part or "/" in part for part in parts):
        return _text(404, "Not found")
    candidate = CONSOLE_DIST.joinpath(*parts) if parts else index
    try:
        resolved = candidate.resolve()
        inside = resolved.is_relative_to(CONSOLE_DIST.resolve())
    except (OSError, ValueError):
        inside = False
    if not inside:
        return _text(404, "Not found")
    if resolved.is_file():
        hashed = bool(parts) and parts[0] == "assets"
        return _file(resolved, _IMMUTABLE if hashed else _NO_CACHE)
    # A missing asset is a 404 (an HTML page in its place only hides the mistake); any other path is
    # a client-side route of the single-page app.
    if parts and (parts[0] == "assets" or "." in parts[-1]):
        return _text(404, "Not found")
    return _file(index)


DEMO_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Demo Co - a page embedding the Buzzi chat widget</title>
<style>
/* Hostile on purpose: if the widget's styles leaked in or out, these rules would show it. */
html { font-size: 10px; }
* { font-family: Georgia, "Times New Roman", serif !important; color: #b00020 !important;
    box-sizing: content-box !important; }
button { background: #ffeb3b !important; border: 4px dashed #000 !important; padding: 24px !important;
         border-radius: 0 !important; font-size: 28px !important; text-transform: uppercase !important; }
div, p, ol, li, form { margin: 30px !important; line-height: 3 !important; }
textarea, input { width: 12px !important; font-size: 40px !important; }
svg, img { display: none !important; }
body { background: #f4f0e6; padding: 24px; }
</style>
</head>
<body>
<main>
<h1>Demo Co</h1>
<p>This page's own CSS is deliberately hostile: serif red text, huge dashed buttons, big margins,
hidden icons. The chat widget in the corner lives in a shadow root and looks as its company
configured it.</p>
<button type="button">A button of the page</button>
</main>
__SCRIPT__
</body>
</html>
"""


def demo_page(agent_id: str | None) -> StaticResponse:
    try:
        agent = str(uuid.UUID(agent_id or ""))
    except ValueError:
        agent = ""
    if agent:
        script = f'<script src="/widget.js" data-agent-id="{agent}" async></script>'
    else:
        script = "<p>No demo agent is known: run ./run dev (it seeds one) or open /demo?agent_id=ID.</p>"
    body = DEMO_PAGE.replace("__SCRIPT__", script).encode()
    return StaticResponse(200, body, {"content-type": "text/html; charset=utf-8", "cache-control": _NO_CACHE})
