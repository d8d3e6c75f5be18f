"""The committed front-end builds match their sources (no Node.js needed to check), the widget stays
within its size target, and the runner serves the builds safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools import web_static
from devtools.web_build import (
    PROJECTS,
    WIDGET_GZIP_LIMIT,
    Project,
    gzipped_size,
    recorded_sha256,
    sources_sha256,
)


def _require(project: Project) -> None:
    if project.name == "console" and not project.path.is_dir():
        pytest.skip("web/console/ is not there yet")  # the only allowed skip: the console is being written
    assert project.path.is_dir(), f"web/{project.name}/ is missing"


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_committed_build_matches_its_sources(name: str) -> None:
    project = PROJECTS[name]
    _require(project)
    rebuild = f"run ./run build-web {name} and commit web/{name}/dist"
    assert (project.dist / project.entry).is_file(), f"web/{name}/dist/{project.entry} is missing: {rebuild}"
    assert recorded_sha256(project) == sources_sha256(project), f"web/{name}/ changed since built: {rebuild}"


def test_the_widget_is_within_its_size_target() -> None:
    widget = PROJECTS["widget"].dist / "widget.js"
    assert gzipped_size(widget) <= WIDGET_GZIP_LIMIT


def test_the_widget_bundle_builds_no_html_from_strings() -> None:
    """Messages are built as DOM nodes; no untrusted text may reach an HTML parser."""
    bundle = (PROJECTS["widget"].dist / "widget.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in bundle, sink


@pytest.fixture
def console_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>console</title>")
    (dist / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (dist / "assets" / "app-1a2b.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text("outside")
    monkeypatch.setattr(web_static, "CONSOLE_DIST", dist)
    return dist


def test_the_console_is_served_with_a_single_page_fallback(console_dist: Path) -> None:
    def get(path: str) -> web_static.StaticResponse:
        response = web_static.respond("GET", path)
        assert response is not None
        return response

    assert get("/console/").body.startswith(b"<!doctype html>")
    script = get("/console/assets/app-1a2b.js")
    assert script.headers["content-type"].startswith("application/javascript")
    assert "immutable" in script.headers["cache-control"]
    assert get("/console/assets/app-1a2b.css").headers["content-type"].startswith("text/css")
    route = get("/console/auth/verify?token=abc")  # a client-side route
    assert route.status == 200 and route.headers["content-type"].startswith("text/html")
    assert get("/console/assets/missing.js").status == 404
    assert get("/console").status == 308
    for sneaky in ("/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/x/..%2f..%2fsecret.txt"):
        response = get(sneaky)
        assert b"outside" not in response.body
    assert web_static.respond("POST", "/console/") is None
    assert web_static.respond("GET", "/v1/agents") is None


def test_the_demo_page_embeds_the_agents_widget() -> None:
    agent = "6f1c2b9e-0d4a-4f8e-9b8e-2f4f3c5d6e7a"
    page = web_static.respond("GET", "/demo", demo_agent_id=agent)
    assert page is not None and page.headers["content-type"].startswith("text/html")
    assert f'<script src="/widget.js" data-agent-id="{agent}"' in page.body.decode()
    other = web_static.respond("GET", '/demo?agent_id="><script>alert(1)</script>', demo_agent_id=agent)
    assert other is not None and b"alert(1)" not in other.body  # only a UUID is ever written into the page
    widget = web_static.respond("GET", "/widget.js")
    assert widget is not None and widget.headers["content-type"].startswith("application/javascript")
