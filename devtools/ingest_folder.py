"""Bulk-ingest a folder into a company's knowledge base, through the same API and pipeline as the console.

    ./run ingest-folder PATH --category "Help centre" [--api http://127.0.0.1:3000] [--token TOKEN]

Each supported file is uploaded (directly when small, through a presigned URL otherwise) into the
category (created if missing), then the command waits until every file is indexed or failed,
with a progress bar. Without --token, a development session for the demo admin is used.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIRECT_LIMIT = 5 * 1024 * 1024
SUFFIXES = {".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".csv"}


class ApiError(RuntimeError):
    pass


@dataclass
class Client:
    base: str
    token: str

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(  # noqa: S310 - the operator's own API
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}").get("error", {})
            raise ApiError(
                f"{method} {path}: {error.code} {detail.get('code')}: {detail.get('message')}"
            ) from None
        return json.loads(payload) if payload else None


def _category_id(client: Client, name: str) -> str:
    for category in client.call("GET", "/v1/knowledge/categories"):
        if category["name"] == name or category["slug"] == name:
            return str(category["id"])
    return str(client.call("POST", "/v1/knowledge/categories", {"name": name})["id"])


def _upload(client: Client, category_id: str, path: Path) -> str:
    content = path.read_bytes()
    mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if len(content) <= DIRECT_LIMIT:
        query = urllib.parse.urlencode({"category_id": category_id, "filename": path.name})
        return str(
            client.call("POST", f"/v1/knowledge/files?{query}", raw=content, content_type=mime_type)["id"]
        )
    ticket = client.call(
        "POST",
        "/v1/knowledge/files/uploads",
        {"category_id": category_id, "filename": path.name, "size": len(content)},
    )
    url, headers = ticket["upload_url"], ticket["upload_headers"]
    put = urllib.request.Request(url, data=content, method="PUT", headers=headers)  # noqa: S310
    with urllib.request.urlopen(put, timeout=300):  # noqa: S310 - the presigned storage URL
        pass
    client.call("POST", f"/v1/knowledge/files/{ticket['file']['id']}/confirm")
    return str(ticket["file"]["id"])


def ingest_folder(client: Client, folder: Path, category: str, timeout: float = 1800) -> dict[str, str]:
    from tqdm import tqdm

    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise ApiError(f"no supported files under {folder}")
    category_id = _category_id(client, category)
    uploaded: dict[str, Path] = {}
    for path in tqdm(files, desc="uploading", unit="file"):
        uploaded[_upload(client, category_id, path)] = path
    statuses: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    with tqdm(total=len(uploaded), desc="indexing", unit="file") as bar:
        while len(statuses) < len(uploaded) and time.monotonic() < deadline:
            for file_id in uploaded.keys() - statuses.keys():
                file = client.call("GET", f"/v1/knowledge/files/{file_id}")
                if file["status"] in ("indexed", "failed"):
                    statuses[file_id] = file["status"]
                    bar.update(1)
                    if file["status"] == "failed":
                        bar.write(f"  failed: {uploaded[file_id].name}: {file['processing_error']}")
            time.sleep(0.5)
    return {uploaded[f].name: statuses.get(f, "timed out") for f in uploaded}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./run ingest-folder", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--category", required=True)
    parser.add_argument("--api", default="http://127.0.0.1:3000")
    parser.add_argument("--token")
    args = parser.parse_args(argv)
    token = args.token
    if not token:
        from devtools.local_env import configure

        configure("dev")
        from chatapp.identity.authentication import issue_dev_session

        token, _ = issue_dev_session("admin@demo.buzzi.example")
    try:
        results = ingest_folder(Client(args.api.rstrip("/"), token), args.folder, args.category)
    except (ApiError, urllib.error.URLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    indexed = sum(1 for status in results.values() if status == "indexed")
    print(f"{indexed}/{len(results)} files indexed")
    return 0 if indexed == len(results) else 1
