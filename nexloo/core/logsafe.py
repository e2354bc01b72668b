"""Keeps credentials out of the server's logs.

Browsers cannot send headers on a websocket, so a socket may carry its token in the query string
(`/ws/?api_access_token=…`); uvicorn writes request lines (and websocket handshakes) with their
query strings. This filter masks the value of any credential-looking parameter in those records.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"((?:api_access_token|access_token|token|key)=)[^&\s\"]+", re.I)


def redact(text: str) -> str:
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """On uvicorn's loggers (configured by uvicorn before it imports the application)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
