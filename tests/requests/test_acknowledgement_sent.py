"""What a citizen receives, through the whole app with real parts: a request filed over HTTP is acknowledged by
an e-mail that the app's own outbox worker delivers to an SMTP server (aiosmtpd) started by the test, within the
60 seconds CRPA practice and API.md ask, stating the reference, the date of receipt and the service in charge."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date

from tests.conftest import Stack
from tests.outbox.support import SmtpSink, eventually
from tests.requests.support import put_categories

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


async def test_a_web_request_is_acknowledged_by_email_within_sixty_seconds(stack: Stack) -> None:
    """The acknowledgement reaches the SMTP server within 60 s with the reference in its subject and, in its text,
    today's date in Paris, the service in charge with its phone and address, and the tracking link."""
    from queue_server.settings import load_settings
    from queue_server.web.app import create_app

    await put_categories(stack.settings)
    mail = SmtpSink()
    mail_url = await mail.start()
    try:
        settings = load_settings(**{**stack.settings.model_dump(mode="python", by_alias=True),
                                    "email": {"url": mail_url, "from": "mairie@demoville.fr"}})
        app = create_app(settings)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http):
            started = time.monotonic()
            filed = await http.post("/api/v1/tenants/demo/requests", json={
                "category": "urbanisme", "subject": "Abri de jardin",
                "body": "Faut-il une déclaration préalable pour un abri de jardin de 8 m² ?",
                "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}})
            assert filed.status_code == 201, filed.text
            await eventually(lambda: len(mail.received) == 1, timeout_s=60.0)
            assert time.monotonic() - started < 60.0
    finally:
        await mail.close()
    [message] = mail.received
    reference = filed.json()["reference"]
    assert message["To"] == "anne@example.fr"
    assert f"[{reference}]" in message["Subject"]
    text = text_of(message)
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).date()
    assert f"Date de réception : {format_date(today, 'd MMMM y', locale='fr')}" in text
    assert "Service urbanisme" in text and "01 23 45 67 20" in text and "12 rue des Artisans" in text
    assert "décision implicite d'acceptation" in text and "attestation" in text
    assert f"/r/{filed.json()['id']}" in text
