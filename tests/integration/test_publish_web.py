"""`./run publish-web` puts the committed web builds where the CloudFront distribution serves them."""

from __future__ import annotations

import boto3

from devtools.publish_web import CONSOLE, main
from tests.integration.stack import LocalAws


def test_widget_and_console_are_uploaded_with_types_and_cache_rules(local_aws: LocalAws) -> None:
    bucket = local_aws.sources.bucket_names["WebAssetsBucket"]
    assert main(["--bucket", bucket]) == 0
    s3 = boto3.client("s3")
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    console_files = {p for p in CONSOLE.rglob("*") if p.is_file() and p.name != "build-info.json"}
    assert keys == {"widget.js"} | {"console/" + p.relative_to(CONSOLE).as_posix() for p in console_files}

    widget = s3.head_object(Bucket=bucket, Key="widget.js")
    assert widget["ContentType"] in {"application/javascript", "text/javascript"}
    assert widget["CacheControl"] == "public, max-age=300", "one URL forever: cached briefly"
    index = s3.head_object(Bucket=bucket, Key="console/index.html")
    assert index["ContentType"] == "text/html" and index["CacheControl"] == "no-cache"
    asset = next(key for key in keys if key.startswith("console/assets/") and key.endswith(".js"))
    assert "immutable" in s3.head_object(Bucket=bucket, Key=asset)["CacheControl"]
