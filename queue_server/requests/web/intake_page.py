"""The staff's intake pages: a request that came by post, by phone or at the counter entered by an agent, and the
printable acknowledgement of receipt of any request. Agents, supervisors and administrators of the tenant, signed
in (``RequestsPages``' rules: the sign-in page, else a 403 page).

- ``GET /demandes/nouvelle`` (linked from the list, key N): the form. How it came (letter, phone, counter), a
  letter's day of receipt (today by default; up to 60 days back, never later: ``domain/receipt.py``), the
  category, subject and text, the sender (a person, or writing for a company or an association with its SIREN or
  RNA number), their contact, and the scanned letter (PDF, JPEG or PNG). ``static/demandes/intake.js`` sends it
  as the API's multipart request (``POST /api/v1/tenants/{t}/requests``): the API's checks are the rules, and a
  refusal is shown next to its field with a summary that takes the focus; nothing typed or chosen is lost (the
  page stays as it is). Once filed, the request's page opens.
- ``GET /demandes/{id}/accuse``: the acknowledgement of receipt as an A4 letter, for a window envelope: the
  collectivity's letterhead (name, logo, postal address), the sender's postal address where the window shows it,
  the date, the reference, what R112-11-1 and R112-11-2 ask (the same facts as the e-mail:
  ``domain/acknowledgement.py``), the tracking link and its QR code (segno). Its "Print" button tells the server
  (``POST …/requests/{id}/printed``: audited; for a sender without e-mail address it is their acknowledgement of
  receipt) and opens the browser's printing. Opening it is a read of the request (audited, ``request.read``).

Limits: the letter is in the request's language when the pages speak it (French or English), else French; the
postal address is cut into lines where the agent typed new lines, else at its commas."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import segno
from babel.dates import format_date
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_server.requests.domain import acknowledgement, attachments
from queue_server.requests.domain.receipt import MAX_LETTER_AGE_DAYS
from queue_server.requests.errors import unknown_request
from queue_server.requests.service import contact_of, mentions_of
from queue_server.requests.web.api import MAX_TEXT
from queue_server.requests.web.staff import PATH, RequestsPages, _Viewer, channel_words, json_block
from queue_server.web.http import plausible_id
from queue_server.web.i18n import LANGUAGES, templates, translations

NEW = PATH + "/nouvelle"
SCAN_TYPES = ("pdf", "jpg", "jpeg", "png")  # a scanned letter; the API's own check (by content) stays the rule


def field_messages(lang: str) -> dict[str, str]:
    """What to say next to each field of the form when it is refused, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "channel": _("Choose how the request came."),
        "received_on": _("Give the day the town hall received the letter: today or up to %(days)d days ago, "
                         "never later.") % {"days": MAX_LETTER_AGE_DAYS},
        "category": _("Choose the category of the request."),
        "subject": _("Give the request a subject (200 characters at most)."),
        "body": _("Write what the person asks (10,000 characters at most)."),
        "first_name": _("Give the sender's first name."),
        "last_name": _("Give the sender's last name."),
        "email": _("Give a valid e-mail address, or leave it empty and give a postal address."),
        "phone": _("This is not a valid phone number. Check it, or leave it empty."),
        "address": _("Give the sender's postal address (300 characters at most): a letter is answered by post."),
        "organisation": _("Give the name of the company or association."),
        "organisation_number": _("Give a valid SIREN number (9 digits) or RNA number (W and 9 digits)."),
        "attachments": _("Attach PDF, JPEG or PNG files of 10 MB at most."),
        "contact": _("Give an e-mail address or a postal address, for the answer."),
    }


def form_strings(lang: str) -> dict[str, Any]:
    """What the form's script says, in ``lang``."""
    _ = translations(lang).gettext
    return {
        "fields": field_messages(lang),
        "summary_one": _("The request is not filed yet: correct this point."),
        "summary_many": _("The request is not filed yet: correct these points."),
        "failed": _("The request could not be filed: {problem}"),
        "unreachable": _("The server cannot be reached. Nothing is lost: try again."),
        "for_party": _("The request will be added to the citizen record of {name}."),
        "not_linked": _("It could not be added to the citizen record: link it from its page."),
        "sending": _("Filing the request…"),
        "filed": _("Request {reference} filed."),
        "file_type": _("“{name}” is not a PDF, JPEG or PNG file."),
        "file_size": _("“{name}” is larger than 10 MB."),
        "file_count": _("{n} files at most."),
    }


def _lines(address: str) -> list[str]:
    """A postal address as the lines of an envelope: the agent's lines, else its parts between commas."""
    parts = address.splitlines() if "\n" in address else address.split(",")
    return [part.strip() for part in parts if part.strip()]


def qr_svg(url: str, label: str) -> Markup:
    """The QR code of ``url`` as an inline SVG image named ``label`` (error correction M: a letter gets folded)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=3, border=2, xmldecl=False, svgns=True, title=label,
                                    svgclass="qr", lineclass=None, nl=False)
    return Markup(out.getvalue().decode().replace("<svg ", '<svg role="img" ', 1))


class IntakePages(RequestsPages):
    """The pages, made in the lifespan with the requests' service (``RequestsPages``' sign-in and rendering)."""

    def routes(self) -> list[Any]:
        return [
            Route(NEW, self.new, methods=["GET"]),
            Route(PATH + "/{request}/accuse", self.printable, methods=["GET"]),
        ]

    async def new(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        lang = viewer.lang
        today = await self.requests.today(viewer.tenant)
        channels = channel_words(lang)
        data = {"csrf": viewer.csrf, "lang": lang, "tenant": viewer.tenant, "strings": form_strings(lang),
                "max_bytes": attachments.MAX_BYTES, "max_files": attachments.MAX_FILES, "extensions": SCAN_TYPES}
        return self._render(
            request, viewer, "demande_nouvelle.html", section=None,
            categories=await self.requests.categories(viewer.tenant, staff=True),
            channels=[(key, channels[key]) for key in ("postal", "phone", "counter")],
            today=today.isoformat(), earliest=(today - timedelta(days=MAX_LETTER_AGE_DAYS)).isoformat(),
            max_files=attachments.MAX_FILES, max_text=MAX_TEXT, letter_age=MAX_LETTER_AGE_DAYS,
            data=json_block(data))

    async def printable(self, request: Request) -> Response:
        viewer = await self._viewer(request)
        if not isinstance(viewer, _Viewer):
            return viewer
        request_id = str(request.path_params["request"])
        if not plausible_id(request_id):
            raise unknown_request()
        found = await self.requests.read(viewer.tenant, request_id, self._who(request, viewer))
        row = found.row
        category = next((c for c in await self.requests.categories(viewer.tenant, staff=True)
                         if c.category == row.category), None)
        if category is None:  # a request keeps a category of its tenant's; never seen, but no letter without one
            raise unknown_request()
        head = await self.requests.letterhead(viewer.tenant, category.site_id)
        facts = acknowledgement.facts(row.received_on, contact_of(category), mentions_of(category))
        letter_lang = row.lang if row.lang in LANGUAGES else "fr"
        day = (row.acknowledged_at.astimezone(head.zone).date() if row.acknowledged_at is not None
               else await self.requests.today(viewer.tenant))
        tracking = f"{str(request.base_url).rstrip('/')}/r/{row.id}"

        def long(value: Any) -> str:
            return format_date(value, "d MMMM y", locale=letter_lang)

        _ = translations(letter_lang).gettext
        letter = Markup(templates(letter_lang).get_template("accuse_lettre.html").render(
            lang=letter_lang, row=row, head=head, facts=facts, category=category, tracking=tracking,
            dated=long(day), received=long(facts.received_on),
            implicit_on=long(facts.implicit_on) if facts.implicit_on else "",
            sender_lines=_lines(row.address or ""),
            qr=qr_svg(tracking, _("QR code of the link to follow the request"))))
        _ = translations(viewer.lang).gettext
        data = {"csrf": viewer.csrf, "lang": viewer.lang, "tenant": viewer.tenant, "request": row.id,
                "strings": {"failed": _("The printing could not be noted: {problem}")}}
        return self._render(request, viewer, "accuse.html", section=row.reference, row=row, letter=letter,
                            letter_lang=letter_lang, no_email=not row.email, data=json_block(data),
                            back=f"{PATH}/{quote(row.id)}")
