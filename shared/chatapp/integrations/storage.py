"""Objects in S3 (knowledge files by default; `bucket=` names another): presigned uploads,
streaming downloads, deletes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chatapp.config import get_settings
from chatapp.integrations.aws import client

UPLOAD_URL_TTL_SECONDS = 900


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    method: str
    headers: dict[str, str]
    expires_in: int


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str | None


def _bucket() -> str:
    return get_settings().knowledge_bucket


def presign_upload(key: str, content_type: str, size: int, *, bucket: str | None = None) -> PresignedUpload:
    """A PUT URL whose signature covers type and length: S3 refuses any other size or type."""
    url = client("s3").generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket or _bucket(),
            "Key": key,
            "ContentType": content_type,
            "ContentLength": size,
        },
        ExpiresIn=UPLOAD_URL_TTL_SECONDS,
    )
    return PresignedUpload(
        url=url, method="PUT", headers={"Content-Type": content_type}, expires_in=UPLOAD_URL_TTL_SECONDS
    )


def head(key: str, *, bucket: str | None = None) -> StoredObject | None:
    from botocore.exceptions import ClientError

    try:
        response = client("s3").head_object(Bucket=bucket or _bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(size=int(response["ContentLength"]), content_type=response.get("ContentType"))


def put(key: str, data: bytes, content_type: str) -> None:
    client("s3").put_object(Bucket=_bucket(), Key=key, Body=data, ContentType=content_type)


def download(key: str, destination: Path) -> None:
    """Streams the object to disk, so memory does not grow with the file. One GET: the transfer
    manager's thread pool cost ~20 ms a file, most of the overhead of indexing a small web page."""
    body = client("s3").get_object(Bucket=_bucket(), Key=key)["Body"]
    with destination.open("wb") as out:
        for piece in body.iter_chunks(1024 * 1024):
            out.write(piece)


def delete(key: str) -> None:
    client("s3").delete_object(Bucket=_bucket(), Key=key)


def delete_prefix(prefix: str, *, bucket: str | None = None) -> int:
    """Delete every object under `prefix`, a listed page (at most 1,000 keys) per batch request.
    Returns how many were deleted; raises if S3 refused any, so callers can stop and retry later."""
    if not prefix.endswith("/"):
        raise ValueError("a prefix ends with '/', so it cannot match a sibling's keys")
    s3 = client("s3")
    name = bucket or _bucket()
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if not keys:
            continue
        response = s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        if response.get("Errors"):
            raise RuntimeError(f"S3 refused to delete {len(response['Errors'])} objects under a prefix")
        deleted += len(keys)
    return deleted
