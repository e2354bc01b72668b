"""Meta's Graph API over HTTP: every call has a timeout, and every failure becomes a GraphError
that says whether it is worth retrying. The base URL and the version come from settings
(`WHATSAPP_GRAPH_URL`, `WHATSAPP_API_VERSION`), so tests and the demo point it at the local
stand-in (whatsapp/standin.py)."""

from __future__ import annotations

import hashlib
from typing import Any

import requests
from django.conf import settings

from whatsapp.errors import TRANSIENT

_session = requests.Session()


class GraphError(Exception):
    """`title` and `details` are Meta's own words (English), kept for the people who ask Meta
    about it; errors.explain() says it in the account's language."""

    def __init__(
        self, code: str, title: str, *, status: int | None = None, details: str = ""
    ) -> None:
        super().__init__(f"{code}: {title}" + (f" ({details})" if details else ""))
        self.code = str(code)
        self.title = title
        self.details = details
        self.status = status

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT or (self.status is not None and self.status >= 500)

    @property
    def described(self) -> str:
        """The title with Meta's details, for a sentence that quotes Meta (error 100)."""
        return f"{self.title} ({self.details})" if self.details else self.title

    def detail(self) -> dict[str, str]:
        """What is kept on a failed message (content_attributes.provider_error)."""
        return {"code": self.code, "title": self.title, "details": self.details}


def url(path: str) -> str:
    base = settings.WHATSAPP_GRAPH_URL.rstrip("/")
    return f"{base}/{settings.WHATSAPP_API_VERSION}/{path.lstrip('/')}"


def _raise_for(response: requests.Response) -> None:
    if response.ok:
        return
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code") or f"http_{response.status_code}"
    title = error.get("error_user_msg") or error.get("message") or response.reason or ""
    details = (error.get("error_data") or {}).get("details") or ""
    raise GraphError(
        str(code), str(title)[:500], status=response.status_code, details=str(details)[:500]
    )


def call(method: str, path: str, *, token: str, **kwargs: Any) -> dict[str, Any]:
    """One Graph API request with the bearer token; the JSON answer, or GraphError."""
    try:
        response = _session.request(
            method,
            url(path),
            headers={"Authorization": f"Bearer {token}"},
            timeout=settings.WHATSAPP_HTTP_TIMEOUT,
            **kwargs,
        )
    except requests.RequestException as exc:
        raise GraphError("network", type(exc).__name__) from exc
    _raise_for(response)
    try:
        return response.json()
    except ValueError as exc:
        raise GraphError("bad_answer", "the Graph API did not answer JSON") from exc


def download(
    media_url: str, *, token: str, max_bytes: int, expected_sha256: str = ""
) -> tuple[bytes, str]:
    """Fetches a media file (authorised), refusing more than `max_bytes`; (content, type)."""
    try:
        with _session.get(
            media_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=settings.WHATSAPP_HTTP_TIMEOUT,
            stream=True,
        ) as response:
            _raise_for(response)
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise GraphError("too_large", f"{declared} bytes")
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise GraphError("too_large", f"more than {max_bytes} bytes")
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "")
    except requests.RequestException as exc:
        raise GraphError("network", type(exc).__name__) from exc
    content = b"".join(chunks)
    if expected_sha256:
        import base64

        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        if digest != expected_sha256 and hashlib.sha256(content).hexdigest() != expected_sha256:
            raise GraphError("bad_checksum", "the file does not match its sha256")
    return content, content_type
