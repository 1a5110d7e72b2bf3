"""What an e-mail of the collectivity's mailbox says, read without I/O: whether it is automatic (never a request,
never answered: no mail loop), the reference or the Message-IDs it answers, who sent it, its text, its files.

Automatic (RFC 3834 and common practice): ``Auto-Submitted`` other than ``no``; bounces and delivery reports
(``multipart/report``, an empty ``Return-Path``, a sender such as ``MAILER-DAEMON``); out-of-office replies
(``X-Autoreply``, ``X-Autorespond``, ``Precedence: auto_reply``, ``bulk`` or ``junk``, ``X-Auto-Response-Suppress``
naming ``OOF`` or ``All``, and subjects such as "Réponse automatique", "Absence du bureau", "Out of office",
"Automatic reply", "Undeliverable"). A subject alone decides only with those typical words at its start, so that a
citizen writing "Absence de mon fils à la cantine" is not mistaken for one (limit: a citizen whose subject starts
with "Absent du bureau" or "Réponse automatique" is).

Text: the first ``text/plain`` part that is not an attachment; else the HTML part sanitised by nh3 (no script, no
style, no event handler, links kept with ``rel="noopener noreferrer"``). Files: every part with a file name or that
is no text; those ``domain/attachments.py`` allows are kept (their type read from their content), the others named
in ``refused`` with the reason (the caller notes them on the request)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import filetype
import nh3

from queue_server.requests.domain import attachments

REFERENCE = re.compile(r"\bDEM-\d{4}-\d{6}\b")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(?:(?:auto(?:matic)?[ -]?(?:reply|response)|auto:|autoreply|out of (?:the )?office|"
    r"r[ée]ponse automatique|absente? du bureau|absence du bureau|message d'absence|abwesenheit|"
    r"undeliverable|undelivered mail|"
    r"delivery status notification|mail delivery (?:failed|failure|system)|returned mail|"
    r"non remis|message non remis|notification d'[ée]tat de (?:la )?distribution)\b)", re.IGNORECASE)
DAEMONS = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)
BULK = frozenset({"auto_reply", "bulk", "junk", "list"})
MAX_SUBJECT = 200


@dataclass(frozen=True, slots=True)
class File:
    filename: str
    content_type: str  # read from the content
    data: bytes


@dataclass(frozen=True, slots=True)
class Read:
    """An e-mail as the intake uses it. ``message_id``: its Message-ID, or ``sha256:`` and its bytes' digest."""

    message_id: str
    automatic: str  # why it is automatic ("" when a person wrote it)
    sender: str  # the address replies go to (From)
    first_name: str
    last_name: str
    to: tuple[str, ...]  # the addresses it was sent to (To, Cc, Delivered-To), lower case
    subject: str
    reference: str | None  # the first request reference in its subject
    answers: tuple[str, ...]  # the Message-IDs it answers, oldest first (References, then In-Reply-To)
    text: str
    files: tuple[File, ...] = ()
    refused: tuple[tuple[str, str], ...] = field(default=())  # (file name, why)


def parse(raw: bytes) -> Read:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    message_id = _header(message, "Message-ID").strip()
    found = MESSAGE_ID.search(message_id)
    key = found.group(0) if found else "sha256:" + hashlib.sha256(raw).hexdigest()
    name, address = parseaddr(_header(message, "From"))
    first, last = _names(name, address)
    recipients = tuple(dict.fromkeys(
        addr.lower() for _n, addr in getaddresses([_header(message, h) for h in ("To", "Cc", "Delivered-To")])
        if addr))
    subject = " ".join(_header(message, "Subject").split())
    reference = REFERENCE.search(subject)
    answers = tuple(dict.fromkeys(MESSAGE_ID.findall(_header(message, "References"))
                                  + MESSAGE_ID.findall(_header(message, "In-Reply-To"))))
    text, files, refused = _content(message)
    return Read(key, automatic(message, address), address, first, last, recipients, subject[:MAX_SUBJECT],
                reference.group(0) if reference else None, answers, text, tuple(files), tuple(refused))


def automatic(message: EmailMessage, sender: str) -> str:
    """Why ``message`` is automatic, or "" when nothing says so."""
    submitted = _header(message, "Auto-Submitted").strip().lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return "auto-submitted"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    if "Return-Path" in message and _header(message, "Return-Path").strip() in ("<>", ""):
        return "bounce"
    if not sender or DAEMONS.match(sender):
        return "daemon"
    if "X-Autoreply" in message or "X-Autorespond" in message:
        return "auto-reply header"
    if _header(message, "Precedence").strip().lower() in BULK:
        return "precedence"
    suppress = {part.strip().lower() for part in _header(message, "X-Auto-Response-Suppress").split(",")}
    if suppress & {"oof", "all"}:
        return "auto-response-suppress"
    if AUTOMATIC_SUBJECT.match(_header(message, "Subject")):
        return "subject"
    return ""


def sanitised(html: str) -> str:
    """HTML as an agent may see it: nh3's (Ammonia's) safe subset, scripts and their text removed."""
    return nh3.clean(html, clean_content_tags={"script", "style"}, link_rel="noopener noreferrer")


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header: as if absent
        return ""
    return str(value) if value is not None else ""


def _names(name: str, address: str) -> tuple[str, str]:
    """First and last names from ``"Anne Lefèvre"`` (last word last); the address's local part when no name."""
    words = name.replace('"', " ").split()
    if len(words) >= 2:
        return " ".join(words[:-1])[:100], words[-1][:100]
    if words:
        return words[0][:100], words[0][:100]
    local = address.partition("@")[0] or "?"
    return local[:100], local[:100]


def _content(message: EmailMessage) -> tuple[str, list[File], list[tuple[str, str]]]:
    plain: str | None = None
    html: str | None = None
    files: list[File] = []
    refused: list[tuple[str, str]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        filename = part.get_filename()
        kind = part.get_content_type()
        if filename is None and part.get_content_disposition() != "attachment" and kind.startswith("text/"):
            try:
                content = str(part.get_content())
            except (LookupError, ValueError):
                content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")  # type: ignore[union-attr]
            if kind == "text/plain" and plain is None:
                plain = content
            elif kind == "text/html" and html is None:
                html = content
            continue
        if kind.startswith("message/") or kind in ("text/rfc822-headers", "message/delivery-status"):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        shown = filename or "document"
        if len(data) > attachments.MAX_BYTES:
            refused.append((shown, "plus de 10 Mo"))
            continue
        media = filetype.guess_mime(data[:8192])
        if not attachments.allowed(media):
            refused.append((shown, "type non accepté (PDF, JPEG, PNG, ODT, DOCX)"))
            continue
        if len(files) >= attachments.MAX_FILES:
            refused.append((shown, f"plus de {attachments.MAX_FILES} fichiers"))
            continue
        assert media is not None
        files.append(File(attachments.shown_name(shown, media), media, data))
    text = plain.strip() if plain is not None else sanitised(html).strip() if html is not None else ""
    return text, files, refused
