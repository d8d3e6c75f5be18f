"""Where moto's S3 differs from S3 in a way browsers notice.

A browser PUTs a file to a presigned URL (widget attachments, console knowledge uploads) after a CORS
preflight: an OPTIONS request to the same URL, query signature included, without the signed
Content-Type header. S3 answers a preflight from the bucket's CORS rules alone; moto 5 first compares
the URL's signed `content-type` with the request's headers and refuses the preflight as
SignatureDoesNotMatch, so the upload never starts. The local server (moto in this process) gets
S3's behaviour back here.
"""

from __future__ import annotations

from typing import Any

_applied = False


def allow_presigned_preflight() -> None:
    """Idempotent; affects only OPTIONS requests to moto's S3."""
    global _applied
    if _applied:
        return
    from moto.s3.responses import S3Response

    checked = S3Response._invalid_headers

    def _invalid_headers(self: Any, url: str, headers: dict[str, str]) -> bool:
        return getattr(self, "method", None) != "OPTIONS" and checked(self, url, headers)

    S3Response._invalid_headers = _invalid_headers  # type: ignore[method-assign]
    _applied = True
