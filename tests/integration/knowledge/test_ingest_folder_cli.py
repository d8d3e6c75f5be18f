"""`./run ingest-folder`: a folder goes through the API of a running stack and ends indexed."""

from __future__ import annotations

import threading
from pathlib import Path

from devtools.aws_local import LocalEventSources
from devtools.ingest_folder import Client, ingest_folder
from devtools.runner import RouteTable, make_server
from devtools.template import functions, load_template
from tests.integration.knowledge.conftest import KnowledgeTenant, LocalAws


def test_folder_is_uploaded_and_indexed_with_the_queue_poller(
    tenant: KnowledgeTenant, local_aws: LocalAws, tmp_path: Path
) -> None:
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "returns.md").write_text("# Returns\n\nBikes can be returned within 30 days.\n")
    (tmp_path / "hours.txt").write_text("We answer the phone from nine to five.\n")
    (tmp_path / "ignored.exe").write_bytes(b"MZ")
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf at all")

    template = load_template()
    specs = functions(template)
    server = make_server(RouteTable(specs), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    poller = LocalEventSources(template, specs, queue_urls=dict(local_aws.sources.queue_urls))
    poller.start()
    try:
        client = Client(f"http://127.0.0.1:{server.server_port}", tenant.token)
        results = ingest_folder(client, tmp_path, "Imported", timeout=60)
    finally:
        poller.stop()  # returns once its pollers are done: none takes a message meant for later tests
        server.shutdown()
    import boto3

    queue = boto3.client("sqs").get_queue_attributes(
        QueueUrl=local_aws.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    files = {
        f["original_filename"]: (f["status"], f["processing_error"])
        for f in tenant.call("GET", "/v1/knowledge/files").body["items"]
    }
    assert results == {"returns.md": "indexed", "hours.txt": "indexed", "broken.pdf": "failed"}, (
        queue,
        files,
    )
    names = [c["name"] for c in tenant.call("GET", "/v1/knowledge/categories").body]
    assert "Imported" in names
