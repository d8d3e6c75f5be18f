"""`./run publish-web --bucket NAME`: upload the committed web builds to the stack's WebAssetsBucket.

`widget.js` keeps one URL forever (companies paste it into their sites), so it is cached briefly;
the console's hashed assets never change and are cached for a year; its index.html is revalidated
on every load so a new console version reaches users at once.
"""

from __future__ import annotations

import argparse
import mimetypes
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDGET = ROOT / "web" / "widget" / "dist" / "widget.js"
CONSOLE = ROOT / "web" / "console" / "dist"

SHORT = "public, max-age=300"
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def uploads() -> list[tuple[Path, str, str]]:
    """(file, key, cache-control) for everything the distribution serves."""
    files = [(WIDGET, "widget.js", SHORT)]
    for path in sorted(CONSOLE.rglob("*")):
        if path.is_file() and path.name != "build-info.json":
            key = "console/" + path.relative_to(CONSOLE).as_posix()
            files.append((path, key, REVALIDATE if path.suffix == ".html" else FOREVER))
    return files


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./run publish-web")
    parser.add_argument("--bucket", required=True, help="the stack's WebAssetsBucketName output")
    options = parser.parse_args(args)
    import boto3

    s3 = boto3.client("s3")
    files = uploads()
    for number, (path, key, cache) in enumerate(files, start=1):
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        s3.upload_file(
            str(path), options.bucket, key, ExtraArgs={"ContentType": content_type, "CacheControl": cache}
        )
        print(f"[{number}/{len(files)}] {key}", file=sys.stderr, flush=True)
    print(f"✓ published {len(files)} files to s3://{options.bucket}", file=sys.stderr)
    return 0
