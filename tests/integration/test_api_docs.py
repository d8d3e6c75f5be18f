"""docs/api.md cannot rot: every example in it runs here. The shell ones with curl against the local
runner's HTTP server (the real handlers behind real API Gateway events), the Python ones directly,
in one namespace and in the page's order, as a reader would paste them."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.template import ROOT
from tests.integration.stack import KnowledgeTenant
from tests.integration.webhooks.conftest import HookTenant, Receiver, WebhookQueue

DOC = ROOT / "docs" / "api.md"
_EXAMPLE = re.compile(r"<!-- example: ([a-z0-9-]+) -->\n```(bash|python)\n(.*?)```", re.S)


def examples() -> dict[str, tuple[str, str]]:
    return {name: (language, code) for name, language, code in _EXAMPLE.findall(DOC.read_text())}


@pytest.fixture(scope="module")
def runner(migrated_database: str) -> Iterator[str]:
    from devtools.aws_local import free_port
    from devtools.runner import RouteTable, make_server
    from devtools.template import functions

    port = free_port()
    server = make_server(RouteTable(functions()), port=port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def shell(name: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    language, code = examples()[name]
    assert language == "bash", name
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-euo", "pipefail", "-c", code],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def python(name: str, namespace: dict[str, Any]) -> str:
    language, code = examples()[name]
    assert language == "python", name
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, f"docs/api.md:{name}", "exec"), namespace)  # noqa: S102 - our own documentation
    return printed.getvalue()


def _key(tenant: KnowledgeTenant, *scopes: str, rate_limit: int = 100) -> str:
    response = tenant.call(
        "POST", "/v1/api-keys", json_body={"name": "docs", "scopes": list(scopes), "rate_limit": rate_limit}
    )
    assert response.status == 201, response.body
    return str(response.body["key"])


def test_every_example_of_the_page_is_tested() -> None:
    assert set(examples()) == {
        "auth-curl",
        "auth-python",
        "messages-curl",
        "messages-python",
        "rate-limit-curl",
        "rate-limit-python",
        "webhook-test-curl",
        "webhook-verify-python",
        "webhook-verify-shell",
    }


def test_authentication_scopes_and_rate_limits(
    runner: str, hooks: HookTenant, builtin_packages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = hooks.tenant
    company = str(tenant.data.company_id)
    conversation = str(tenant.data.conversations["unassigned"])
    key = _key(tenant, "read:company", "read:conversations", "write:messages")
    env = {"BUZZI_API": runner, "BUZZI_API_KEY": key, "CONVERSATION_ID": conversation}

    done = shell("auth-curl", env)
    assert done.returncode == 0 and f'"id":"{company}"' in done.stdout, done

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    assert python("auth-python", namespace).startswith(company)

    done = shell("messages-curl", env)
    assert done.returncode == 0, done
    listed, end = json.JSONDecoder().raw_decode(done.stdout)
    sent = json.loads(done.stdout[end:])
    assert conversation in [item["id"] for item in listed["items"]]
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant"], sent
    assert sent["messages"][0]["content"] == "Where is my order?"

    printed = python("messages-python", namespace).splitlines()
    assert any(line.startswith(conversation) for line in printed)
    assert printed[-2:][0].startswith("user Where is my order?") and printed[-1].startswith("assistant")

    # Without the scope: 403 permission_denied, raised by the helper with Buzzi's error body.
    with pytest.raises(namespace["BuzziError"]) as refused:
        namespace["buzzi"]("GET", "/v1/public/analytics/summary")
    assert (refused.value.status, refused.value.code) == (403, "permission_denied")

    # A key allowed one request a minute: the second is a 429 with Retry-After.
    limited = {**env, "BUZZI_API_KEY": _key(tenant, "read:company", rate_limit=1)}
    first, second = shell("rate-limit-curl", limited), shell("rate-limit-curl", limited)
    assert first.returncode == 0 and first.stdout.startswith("HTTP/1.1 200"), first
    assert second.stdout.startswith("HTTP/1.1 429"), second
    retry_after = int(re.search(r"(?im)^retry-after: (\d+)", second.stdout).group(1))  # type: ignore[union-attr]
    assert 1 <= retry_after <= 60

    monkeypatch.setitem(namespace, "BUZZI_API_KEY", limited["BUZZI_API_KEY"])
    python("rate-limit-python", namespace)
    waits: list[int] = []
    with pytest.raises(namespace["BuzziError"]) as exhausted:
        namespace["buzzi_patiently"]("GET", "/v1/companies/me", sleep=waits.append)
    assert exhausted.value.status == 429 and len(waits) == 2 and all(1 <= w <= 60 for w in waits)


def test_webhook_signatures_check_as_the_page_says(
    runner: str,
    hooks: HookTenant,
    receiver: Receiver,
    webhook_queue: WebhookQueue,
    tmp_path: Path,
) -> None:
    created = hooks.create(receiver.url, ["conversation.created"], retry_delay=0)
    env = {"BUZZI_API": runner, "BUZZI_SESSION": hooks.tenant.token, "WEBHOOK_ID": created["id"]}
    done = shell("webhook-test-curl", env)
    assert done.returncode == 0 and '"event_id":"msg_' in done.stdout, done
    webhook_queue.drain()
    [delivery] = receiver.received
    body = delivery.body.encode()

    namespace: dict[str, Any] = {"__name__": "__main__"}
    python("webhook-verify-python", namespace)
    is_from_buzzi = namespace["is_from_buzzi"]
    assert is_from_buzzi(created["secret"], delivery.headers, body)
    assert not is_from_buzzi(created["secret"], delivery.headers, body.replace(b"test", b"tost"))
    other_secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    assert not is_from_buzzi(other_secret, delivery.headers, body)
    stale = {**delivery.headers, "webhook-timestamp": str(int(delivery.headers["webhook-timestamp"]) - 600)}
    assert not is_from_buzzi(created["secret"], stale, body)

    (tmp_path / "body.json").write_bytes(body)
    signed = {
        "WEBHOOK_SECRET": created["secret"],
        "WEBHOOK_MESSAGE_ID": delivery.headers["webhook-id"],
        "WEBHOOK_TIMESTAMP": delivery.headers["webhook-timestamp"],
        "WEBHOOK_SIGNATURE": delivery.headers["webhook-signature"],
    }
    done = shell("webhook-verify-shell", signed, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "signed by Buzzi", done
    assert shell("webhook-verify-shell", {**signed, "WEBHOOK_SECRET": other_secret}, cwd=tmp_path).returncode
