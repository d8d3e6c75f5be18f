"""Browser tests: Debian's chromium, driven by Playwright, against the local runner on the real stack
(embedded PostgreSQL, moto's S3/SQS with the queues polled as `./run dev` does, fake Anthropic
where a test asks for `claude`). The runner serves the API, the widget's WebSocket API (answers
stream, as under `./run dev`), /widget.js, /console/ and /demo.

Playwright's sync API keeps an asyncio loop on the main thread, and the in-process API client
(`tests.integration.http.ApiClient`) cannot run its own loop there. So everything a browser test sets
up goes over HTTP to the runner (`Site.api`), whose handlers run on the server's threads.

The runner, its event-source pollers and the browser are package-scoped: one of each for all of
tests/browser, stopped before other packages run (pollers draining queues would upset tests that
drain them by hand).
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import Engine

from devtools.aws_local import LocalEventSources
from devtools.invocations import LocalInvocations
from devtools.moto_patches import allow_presigned_preflight
from devtools.runner import RouteTable, make_server
from devtools.seed import DEMO_WIDGET_ORIGINS
from devtools.sockets import hub_for, local_urls
from tests.integration.chat.conftest import builtin_packages, claude  # noqa: F401 - fixtures used here
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
MISSING_CHROMIUM = (
    f"The browser tests need Debian's chromium at {CHROMIUM}: install the Debian package 'chromium' "
    "(apt-get install -y chromium; ./run test does it when run as root). Browser tests are never skipped."
)
DEMO_WIDGET = {
    "title": "Demo Co",
    "subtitle": "We usually answer right away",
    "welcome_message": "Hi! I'm the Demo Co assistant. Ask me anything.",
    "primary_color": "#0f766e",
    "allowed_domains": DEMO_WIDGET_ORIGINS,  # the runner's pages, on any port, as ./run dev seeds
}


@dataclass
class Site:
    """The local runner as a browser reaches it, and the demo company whose widget /demo embeds."""

    port: int
    tenant: KnowledgeTenant
    local_aws: LocalAws

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def agent_id(self) -> str:
        return str(self.tenant.data.agent_id)

    def token(self, who: str = "admin") -> str:
        """A console session token of the demo company: "admin" or "support"."""
        return self.tenant.data.tokens[who]

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One API call over HTTP through the runner; `token` defaults to the company admin's."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Authorization": f"Bearer {token or self.token()}", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, json.loads(raw) if raw else None

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        status, answer = self.api(method, path, body, **kwargs)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer

    def teach(self, filename: str, text: str, timeout: float = 30.0) -> str:
        """Upload a Markdown file for the demo agent, as the console does, and wait until it is indexed."""
        category = self.ok("POST", "/v1/knowledge/categories", {"name": f"Help {filename}"})["id"]
        self.ok("PUT", f"/v1/agents/{self.agent_id}/knowledge-categories", {"category_ids": [category]})
        content = text.encode()
        wanted = {"category_id": category, "filename": filename, "size": len(content)}
        wanted["mime_type"] = "text/markdown"
        ticket = self.ok("POST", "/v1/knowledge/files/uploads", wanted)
        upload = urllib.request.Request(  # noqa: S310 - moto on loopback
            ticket["upload_url"], data=content, method="PUT", headers=ticket["upload_headers"]
        )
        with urllib.request.urlopen(upload, timeout=10) as response:  # noqa: S310
            assert response.status == 200
        file_id: str = ticket["file"]["id"]
        self.ok("POST", f"/v1/knowledge/files/{file_id}/confirm")
        deadline = time.monotonic() + timeout
        while (status := self.ok("GET", f"/v1/knowledge/files/{file_id}")["status"]) != "indexed":
            assert status != "failed" and time.monotonic() < deadline, f"{filename} is {status}"
            time.sleep(0.2)
        return file_id


@pytest.fixture(scope="package")
def site(owner_engine: Engine, local_aws: LocalAws, builtin_packages: None) -> Iterator[Site]:  # noqa: F811
    """The runner on a free port with the demo company's widget allowed on the runner's own pages."""
    from chatapp.config import get_settings

    allow_presigned_preflight()  # browsers upload straight to (moto's) S3
    tenant = new_tenant(owner_engine, "Demo")
    for spec in local_aws.sources.specs:
        if spec.routes:
            spec.load_handler()  # as ./run dev does: a page's parallel first requests must not race imports
    routes = RouteTable(local_aws.sources.specs)
    aws = local_aws.sources
    services = [hub_for(aws.specs, aws.template), LocalInvocations(aws.specs, aws.queue_urls)]
    server = make_server(routes, port=0, demo_agent_id=str(tenant.data.agent_id), services=services)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    previous = {key: os.environ.get(key) for key in ("CONSOLE_URL", *local_urls(port))}
    os.environ["CONSOLE_URL"] = f"http://127.0.0.1:{port}/console"  # sign-in links open this console
    os.environ.update(local_urls(port))  # answers stream to the widget's socket, as under ./run dev
    get_settings.cache_clear()
    aws = local_aws.sources
    pollers = LocalEventSources(
        aws.template, aws.specs, queue_urls=dict(aws.queue_urls), bucket_names=dict(aws.bucket_names)
    )
    pollers.start()  # uploads get indexed on their own, as under ./run dev
    site = Site(port=port, tenant=tenant, local_aws=local_aws)
    site.ok("PUT", f"/v1/agents/{site.agent_id}/widget", DEMO_WIDGET)
    yield site
    pollers.stop()
    server.shutdown()
    server.server_close()
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(MISSING_CHROMIUM, pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (own storage, so no conversation carries over)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=site.base_url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any uncaught script error."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"uncaught errors in the page: {errors}"


Screenshot = Callable[..., Path]


@pytest.fixture
def screenshot(page: Page) -> Screenshot:
    """`screenshot("widget-open")` saves docs/screenshots/widget-open.png (of `page=` another page)."""

    def save(name: str, *, page: Page = page, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        return path

    return save
