"""Text messages: the provider interface, two providers, SMS segment counting and the "turn near" text.

One error: every provider failure is an ``SmsError`` (unreachable, timed out, refused); its message
names no phone number and no credential, so it may be logged as is.

Segments follow GSM 03.38: a text made only of GSM-7 characters (the basic set, plus the extension
table ``^{}\\[~]|€`` and form feed, which cost two septets each) fits 160 septets in one SMS, 153 per
part when split; any other character (``ç``, ``â``, ``ê``, ``î``, ``ô``, ``û``, ``á``, Arabic...)
turns the whole text to UCS-2: 70 UTF-16 units in one SMS, 67 per part. Some operators transliterate
instead; counting as UCS-2 is the safe bet for the bill.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Literal, Protocol
from urllib.parse import quote_plus

import httpx
import orjson

from queue_server.i18n import translations
from queue_server.settings import SmsSettings

log = logging.getLogger(__name__)

# GSM 03.38 basic character set, in table order (0x1B, the escape to the extension table, left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # two septets each (escape + code)
GSM7_SINGLE, GSM7_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units
LOG_KEEP = 100  # messages a LogProvider remembers


class SmsError(Exception):
    """The provider did not take the message (network error, timeout, non-2xx answer)."""


class SmsProvider(Protocol):
    async def send(self, to: str, text: str) -> None:
        """Send ``text`` to ``to`` (E.164, "+33612345678"); raises ``SmsError`` on failure."""
        ...


# Segments --------------------------------------------------------------------------------------------


def _gsm7_costs(text: str) -> list[int] | None:
    """Septets per character, or ``None`` if a character is outside GSM-7."""
    costs = []
    for char in text:
        if char in GSM7_BASIC:
            costs.append(1)
        elif char in GSM7_EXTENSION:
            costs.append(2)
        else:
            return None
    return costs


def _parts(costs: list[int], size: int) -> int:
    """Parts of ``size`` units, never splitting one character (an escape pair, a surrogate pair)."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > size:
            parts, used = parts + 1, 0
        used += cost
    return parts


def segments(text: str) -> int:
    """How many SMS ``text`` is sent as (an empty text is still one SMS)."""
    costs = _gsm7_costs(text)
    if costs is not None:
        return 1 if sum(costs) <= GSM7_SINGLE else _parts(costs, GSM7_PART)
    units = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return 1 if sum(units) <= UCS2_SINGLE else _parts(units, UCS2_PART)


# The "turn near" message -----------------------------------------------------------------------------

# With the site's and service's names, with the service's only, bare: the longest that fits is sent.
TURN_NEAR = (
    "Ticket {number} ({service}, {site}): your turn is near. People ahead of you: {ahead}.",
    "Ticket {number} ({service}): your turn is near. People ahead of you: {ahead}.",
    "Ticket {number}: your turn is near. People ahead of you: {ahead}.",
)


def _format(texts: tuple[str, str], **values: object) -> str:
    """The translated text of ``texts`` (translated, English) filled in; a translation with broken
    placeholders falls back to the English."""
    try:
        return texts[0].format(**values)
    except (KeyError, IndexError, ValueError):
        return texts[1].format(**values)


def turn_near_message(lang: str, number: str, service_name: str, site_name: str, ahead: int, *,
                      gettext: Callable[[str], str] | None = None) -> str:
    """The text telling ticket ``number`` that ``ahead`` people are before it, in ``lang``.

    Always one SMS: when the full text would take two, the site's name goes, then the service's
    name is shortened, then dropped; as a last resort (absurd ticket numbers) the text is cut.
    ``gettext`` replaces the catalog of ``lang`` (tests, or catalogs not shipped yet).
    """
    _ = gettext or translations(lang).gettext
    # Literal msgids, so that `make i18n` extracts them; TURN_NEAR holds the same, in the same order.
    texts = tuple(zip((
        _("Ticket {number} ({service}, {site}): your turn is near. People ahead of you: {ahead}."),
        _("Ticket {number} ({service}): your turn is near. People ahead of you: {ahead}."),
        _("Ticket {number}: your turn is near. People ahead of you: {ahead}."),
    ), TURN_NEAR, strict=True))
    full = _format(texts[0], number=number, service=service_name, site=site_name, ahead=ahead)
    if segments(full) == 1:
        return full
    for length in range(len(service_name), 0, -1):
        service = service_name if length == len(service_name) else service_name[:length].rstrip() + "."
        text = _format(texts[1], number=number, service=service, ahead=ahead)
        if segments(text) == 1:
            return text
    text = _format(texts[2], number=number, ahead=ahead)
    while segments(text) > 1:
        text = text[:-1]
    return text


# Providers -------------------------------------------------------------------------------------------


def mask_number(e164: str) -> str:
    """``"+33612345678"`` as ``"+*********78"``: enough to tell two test phones apart in a log."""
    digits = sum(char.isdigit() for char in e164)
    out, seen = [], 0
    for char in e164:
        if char.isdigit():
            seen += 1
            out.append(char if seen > digits - 2 else "*")
        else:
            out.append(char)
    return "".join(out)


class LogProvider:
    """Sends nothing: logs each message (number masked) and keeps the last ``LOG_KEEP`` in ``sent``
    as ``(number, text)``, for development and demonstrations."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, to: str, text: str) -> None:
        self.sent.append((to, text))
        del self.sent[:-LOG_KEEP]
        log.info("SMS to %s (%d segment(s)): %s", mask_number(to), segments(text), text)


ContentType = Literal["json", "form"]
PLACEHOLDER = re.compile(r"\{(to|to_digits|text|sender)\}")
DEFAULT_TEMPLATES: Mapping[str, str] = {
    "json": '{"to": "{to}", "text": "{text}", "sender": "{sender}"}',
    "form": "to={to}&text={text}&sender={sender}",
}


def render(template: str, values: Mapping[str, str], content_type: ContentType) -> str:
    """``template`` with ``{to}``, ``{to_digits}``, ``{text}`` and ``{sender}`` replaced by ``values``,
    escaped for a JSON string (the template supplies the quotes) or URL-encoded. Other braces are
    left alone, so a JSON template needs no doubling of its own braces."""

    def escape(value: str) -> str:
        if content_type == "json":
            return orjson.dumps(value).decode()[1:-1]
        return quote_plus(value)

    return PLACEHOLDER.sub(lambda match: escape(values[match.group(1)]), template)


class HttpProvider:
    """Any provider with a plain HTTP API: one request per message, a 2xx answer means accepted.

    ``POST`` sends the rendered ``body_template`` as the body (JSON or form); ``GET`` appends it to
    the URL's query string (form only). ``auth`` is sent as the value of the ``auth_header`` header
    ("Bearer ...", "Basic ..."; Brevo's header is ``api-key``). Placeholders: ``{to}`` (E.164),
    ``{to_digits}`` (E.164 without "+", as several French providers want), ``{text}``, ``{sender}``.
    Redirects are not followed; ``timeout_s`` bounds each phase (connect, write, read) of the request.
    """

    def __init__(self, url: str, *, method: Literal["POST", "GET"] = "POST", auth: str = "",
                 auth_header: str = "Authorization", body_template: str = "",
                 content_type: ContentType = "json", sender: str = "", timeout_s: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if method == "GET" and content_type != "form":
            raise ValueError("an SMS provider called with GET takes form (query string) parameters")
        self.url = url
        self.method = method
        self.auth = auth
        self.auth_header = auth_header
        self.body_template = body_template or DEFAULT_TEMPLATES[content_type]
        self.content_type: ContentType = content_type
        self.sender = sender
        self.timeout_s = timeout_s
        self.transport = transport
        if content_type == "json":
            try:
                orjson.loads(self.render("+33600000000", "text"))
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"the SMS body template is not JSON once filled in: {exc}") from None

    def render(self, to: str, text: str) -> str:
        values = {"to": to, "to_digits": to.lstrip("+"), "text": text, "sender": self.sender}
        return render(self.body_template, values, self.content_type)

    async def send(self, to: str, text: str) -> None:
        body = self.render(to, text)
        headers = {self.auth_header: self.auth} if self.auth else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
                if self.method == "GET":
                    url = self.url + ("&" if "?" in self.url else "?") + body
                    response = await client.get(url, headers=headers)
                else:
                    headers["Content-Type"] = ("application/json; charset=utf-8" if self.content_type == "json"
                                               else "application/x-www-form-urlencoded")
                    response = await client.post(self.url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:  # the exception's text may hold the URL, and so a token
            raise SmsError(f"SMS provider unreachable ({type(exc).__name__})") from None
        if not response.is_success:
            raise SmsError(f"SMS provider answered HTTP {response.status_code}")


def make_provider(settings: SmsSettings) -> SmsProvider | None:
    """The provider ``settings`` choose; ``None`` when SMS are off. Raises ``ValueError`` on a
    configuration that cannot work (checked at start, not at the first message)."""
    if settings.provider == "log":
        return LogProvider()
    if settings.provider == "http":
        return HttpProvider(
            settings.url, method=settings.method, auth=settings.auth.get_secret_value(),
            auth_header=settings.auth_header, body_template=settings.body_template,
            content_type=settings.content_type, sender=settings.sender, timeout_s=settings.timeout_s,
        )
    return None
