"""Logging for every process ``queue-server`` starts: one format, and no credential in any line."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus


class RedactTokens(logging.Filter):
    """Credentials must never reach a log line: a device page's ``?token=``, however it is spelt, and
    the headers that carry one (which websockets logs at debug level during a handshake).

    The message is formatted here, then every ``name=value`` of a query string is looked at by its
    decoded name (``tok%65n`` is ``token``): the value of any name holding "token" is replaced; so
    is the value of an ``Authorization``, ``Cookie`` or ``X-CSRF-Token`` header line."""

    _pair = re.compile(r"(?<=[?&;])([^=&;\s\"#?]*)=([^&;\s\"#]*)")
    _header = re.compile(r"(?im)\b((?:proxy-)?authorization|(?:set-)?cookie|x-csrf-token)(:\s*)\S[^\r\n]*")

    @classmethod
    def _redact_pair(cls, match: re.Match[str]) -> str:
        name = unquote_plus(match.group(1))
        return f"{match.group(1)}=***" if "token" in name.casefold() else match.group(0)

    @classmethod
    def redact(cls, text: str) -> str:
        if "=" in text:
            text = cls._pair.sub(cls._redact_pair, text)
        return cls._header.sub(r"\1\2***", text) if ":" in text else text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: let logging report it as usual
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactTokens())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per plugin at every start
