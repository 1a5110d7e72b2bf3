"""Providers: the HTTP provider against a real local endpoint, the log provider, and their settings."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from queue_server.platform.sms import HttpProvider, LogProvider, SmsError, make_provider, mask_number
from queue_server.settings import SmsSettings, load_settings
from tests.sms.support import ProviderEndpoint

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
TEXT = 'Ticket A042 (État civil, "Mairie" & co): your turn is near. People ahead of you: 2.'


@pytest.fixture
async def endpoint() -> AsyncIterator[ProviderEndpoint]:
    server = ProviderEndpoint()
    await server.start()
    yield server
    await server.close()


async def test_a_json_post_carries_the_auth_header_and_an_escaped_body(endpoint: ProviderEndpoint) -> None:
    """POST to the configured URL with the Authorization value, and the template filled in as valid JSON."""
    provider = HttpProvider(endpoint.url + "/v1/sms", auth="Bearer s3cret", sender="Mairie",
                            body_template='{"recipient": "{to_digits}", "content": "{text}", "from": "{sender}", '
                                          '"type": "transactional"}')
    await provider.send("+33612345678", TEXT)
    [request] = endpoint.requests
    assert (request.method, request.path) == ("POST", "/v1/sms")
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["content-type"].startswith("application/json")
    assert orjson.loads(request.body) == {"recipient": "33612345678", "content": TEXT, "from": "Mairie",
                                          "type": "transactional"}


async def test_the_default_json_body_and_a_custom_auth_header(endpoint: ProviderEndpoint) -> None:
    """With no template the body is {"to", "text", "sender"}; the auth value goes in the named header."""
    provider = HttpProvider(endpoint.url, auth="k-123", auth_header="api-key")
    await provider.send("+262692123456", "Ticket C003 : votre tour approche.\nÀ bientôt")
    [request] = endpoint.requests
    assert request.headers["api-key"] == "k-123" and "authorization" not in request.headers
    assert orjson.loads(request.body) == {"to": "+262692123456", "sender": "",
                                          "text": "Ticket C003 : votre tour approche.\nÀ bientôt"}


async def test_a_form_post_is_url_encoded(endpoint: ProviderEndpoint) -> None:
    """content_type form: the template's values are URL-encoded and sent as a form."""
    provider = HttpProvider(endpoint.url + "/send", content_type="form", sender="Ville",
                            body_template="to={to}&msg={text}&from={sender}")
    await provider.send("+33612345678", TEXT)
    [request] = endpoint.requests
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {"to": ["+33612345678"], "msg": [TEXT], "from": ["Ville"]}


async def test_a_get_puts_the_parameters_in_the_query_string(endpoint: ProviderEndpoint) -> None:
    """method GET: the rendered template joins the URL's own query string; no body is sent."""
    provider = HttpProvider(endpoint.url + "/send?pushtype=alert", method="GET", content_type="form",
                            auth="Bearer t", body_template="to={to_digits}&text={text}&sender={sender}",
                            sender="Mairie")
    await provider.send("+33612345678", TEXT)
    [request] = endpoint.requests
    assert (request.method, request.path, request.body) == ("GET", "/send", b"")
    assert request.query == {"pushtype": ["alert"], "to": ["33612345678"], "text": [TEXT], "sender": ["Mairie"]}
    assert request.headers["authorization"] == "Bearer t"


async def test_a_non_2xx_answer_is_an_sms_error_without_the_number(endpoint: ProviderEndpoint) -> None:
    """A 401 or 500 answer raises SmsError naming the status, not the phone number."""
    endpoint.statuses = [401, 500]
    provider = HttpProvider(endpoint.url)
    for status in ("401", "500"):
        with pytest.raises(SmsError, match=status) as caught:
            await provider.send("+33612345678", TEXT)
        assert "612345678" not in str(caught.value)


async def test_an_unreachable_provider_is_an_sms_error_without_the_url(endpoint: ProviderEndpoint) -> None:
    """A refused connection raises SmsError whose text carries neither URL nor token."""
    url = endpoint.url
    await endpoint.close()
    provider = HttpProvider(url + "/send?token=s3cret", method="GET", content_type="form")
    with pytest.raises(SmsError) as caught:
        await provider.send("+33612345678", TEXT)
    assert "s3cret" not in str(caught.value) and "127.0.0.1" not in str(caught.value)


async def test_a_provider_that_never_answers_times_out(endpoint: ProviderEndpoint) -> None:
    """A provider that keeps the request unanswered fails after timeout_s with SmsError."""
    endpoint.silent = True
    provider = HttpProvider(endpoint.url, timeout_s=0.3)
    with pytest.raises(SmsError, match="ReadTimeout"):
        await provider.send("+33612345678", TEXT)


def test_a_json_template_that_is_not_json_is_refused_at_start() -> None:
    """A JSON body template that does not parse once filled in is a configuration error."""
    with pytest.raises(ValueError, match="not JSON"):
        HttpProvider("https://sms.example", body_template='{"to": {to}}')
    with pytest.raises(ValueError, match="GET"):
        HttpProvider("https://sms.example", method="GET", content_type="json")


async def test_the_log_provider_masks_the_number_and_keeps_the_messages(caplog: pytest.LogCaptureFixture) -> None:
    """LogProvider logs the number with all but its last two digits masked and keeps what it sent."""
    provider = LogProvider()
    with caplog.at_level(logging.INFO, logger="queue_server.platform.sms"):
        await provider.send("+33612345678", TEXT)
    assert provider.sent == [("+33612345678", TEXT)]
    assert "+*********78" in caplog.text and "612345678" not in caplog.text
    assert mask_number("+262 692 12 34 56") == "+*** *** ** ** 56"


def test_settings_choose_the_provider() -> None:
    """sms.provider "" means no SMS, "log" a LogProvider, "http" an HttpProvider with the secret auth."""
    assert make_provider(SmsSettings()) is None
    assert isinstance(make_provider(SmsSettings(provider="log")), LogProvider)
    provider = make_provider(SmsSettings(provider="http", url="https://api.sms.example/send", auth="Bearer x",
                                         sender="Mairie", content_type="form", method="GET"))
    assert isinstance(provider, HttpProvider)
    assert (provider.auth, provider.method, provider.content_type) == ("Bearer x", "GET", "form")
    assert provider.sender == "Mairie"
    assert "Bearer x" not in repr(SmsSettings(auth="Bearer x"))


def test_settings_refuse_unusable_sms_configurations() -> None:
    """http without a URL, GET with a JSON body, or a sender longer than 11 characters are refused."""
    for bad in ({"provider": "http"}, {"method": "GET"}, {"sender": "Mairie de Paris"}, {"provider": "sms"}):
        with pytest.raises(ValidationError):
            SmsSettings(**bad)


def test_the_documented_sms_section_is_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """config.example.toml's [sms] section loads and equals the defaults; QUEUE_SMS_* overrides it."""
    with open(ROOT / "config.example.toml", "rb") as f:
        documented = tomllib.load(f)["sms"]
    assert SmsSettings(**documented) == SmsSettings()
    monkeypatch.setenv("QUEUE_SMS_PROVIDER", "log")
    monkeypatch.setenv("QUEUE_SMS_AUTH", "Bearer from-env")
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.sms.provider == "log" and settings.sms.auth.get_secret_value() == "Bearer from-env"
