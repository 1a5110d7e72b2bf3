"""The schemas of /openapi.json state exactly what the server accepts: a value at the edge of a schema, sent to the
server, is accepted when the document says it is valid and refused when it says not.

Schemas are read with jsonschema_rs, the validator schemathesis uses: its patterns are ECMA-262's, as JSON Schema's
are (Python's ``re`` differs, on ``\\s`` for one), so that the document is read as its readers read it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import httpx
import jsonschema_rs
import phonenumbers
import pytest

from queue_server.queue.reports import GROUPINGS
from tests.conftest import Stack
from tests.web.support import Desk, assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]

SITE = "/api/v1/sites/demo"
# ECMA-262's white space and line terminators (\s): TAB, VT, FF, the Zs category, U+FEFF; LF, CR, U+2028, U+2029.
ECMA_SPACE = {"\t", "\v", "\f", "\ufeff", "\n", "\r", "\u2028", "\u2029"} | {
    chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Zs"}
# What Python's str.strip() and str.isspace() call white space (\x1c-\x1f and \x85 among it, not U+FEFF).
PYTHON_SPACE = {chr(c) for c in range(0x10000) if chr(c).isspace()}
# Controls and invisible characters that are white space to neither.
NOT_SPACE = ["\x00", "\x1b", "\x7f", "\u00ad", "\u180e", "\u200b", "\u2060"]


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/openapi.json")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _body_schema(document: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(document["components"]["schemas"][name])


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return dict(document["paths"][path][method])


def _query_schema(document: dict[str, Any], path: str, name: str) -> jsonschema_rs.Validator:
    [parameter] = [p for p in _operation(document, "get", path)["parameters"] if p["name"] == name]
    return jsonschema_rs.validator_for(parameter["schema"])


async def test_the_display_message_is_accepted_up_to_its_documented_length(client: httpx.AsyncClient,
                                                                          stack: Stack) -> None:
    """A message of the schema's maxLength is shown; one character more is a 422."""
    document = await _document(client)
    longest = document["components"]["schemas"]["MessageBody"]["properties"]["text"]["maxLength"]
    url, supervisor = f"{SITE}/display/message", stack.auth("supervisor")
    shown = await client.put(url, json={"text": "é" * longest}, headers=supervisor)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"text": "é" * longest}
    assert_problem(await client.put(url, json={"text": "é" * (longest + 1)}, headers=supervisor), 422)
    assert (await client.get(f"{SITE}/state", headers=supervisor)).json()["message"] == "é" * longest


async def test_a_note_is_blank_exactly_when_its_schema_says_so(client: httpx.AsyncClient, desk: Desk) -> None:
    """Every character that Python or ECMA-262 calls white space, alone, makes a note that the schema and the
    server both refuse; other characters, even invisible ones, make a note both accept."""
    document = await _document(client)
    schema = _body_schema(document, "NoteBody")
    ticket = await desk.issue()
    url = f"{SITE}/tickets/{ticket['id']}/note"
    for text in [ch * 3 for ch in sorted(ECMA_SPACE | PYTHON_SPACE)] + [ch * 3 for ch in NOT_SPACE] + [""]:
        answer = await client.put(url, json={"text": text}, headers=desk.stack.auth("agent"))
        blank = text == "" or text[0] not in NOT_SPACE
        assert schema.is_valid({"text": text}) is not blank, repr(text)
        assert answer.status_code == (422 if blank else 200), (repr(text), answer.text)


async def test_a_note_is_kept_without_the_white_space_its_schema_ignores(client: httpx.AsyncClient,
                                                                        desk: Desk) -> None:
    """Around a note, the server takes off every character the schema's pattern does not count, and no other."""
    ticket = await desk.issue()
    url, agent = f"{SITE}/tickets/{ticket['id']}/note", desk.stack.auth("agent")
    around = "".join(sorted(ECMA_SPACE | PYTHON_SPACE))
    answer = await client.put(url, json={"text": f"{around}Fauteuil roulant{around}"}, headers=agent)
    assert answer.status_code == 200, answer.text
    assert (await client.get(url, headers=agent)).json() == {"text": "Fauteuil roulant"}
    kept = "\u200bFauteuil\u00ad"
    assert (await client.put(url, json={"text": kept}, headers=agent)).status_code == 200
    assert (await client.get(url, headers=agent)).json() == {"text": kept}


# Spellings of numbers, mobile or not, well written or not: each is sent to both endpoints that take a phone.
PHONES = ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78", "06/12/34/56/78", "(06) 12 34 56 78",
          "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0033 6 12 34 56 78", " 06 12 34 56 78 ",
          "06\u00a012\u00a034 56 78", "01 23 45 67 89", "0692 12 34 56", "12", "0000", "+", "bonjour",
          "hello 06 12 34 56 78", "tel:+33612345678", "06 12 34 56 78\n", "06\u202f12 34 56 78", "０６１２３４５６７８",
          "06 12 34 56 78 ext 9"]


def _format_of(schema: dict[str, Any]) -> str | None:
    """The format of a string property, alone or in ``anyOf`` with null."""
    return next((s.get("format") for s in schema.get("anyOf", [schema]) if s.get("type") == "string"), None)


def _is_mobile(number: str) -> bool:
    """What the mobile-phone format means at a French site: libphonenumber's reading of ``number``."""
    try:
        parsed = phonenumbers.parse(number, "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@pytest.mark.parametrize("where", ["kiosk", "ticket page"])
async def test_a_phone_number_is_taken_when_its_schema_and_format_say_so(client: httpx.AsyncClient, desk: Desk,
                                                                        where: str) -> None:
    """A number is kept exactly when it matches the schema (its pattern, its length) and is a mobile number (its
    format, mobile-phone); anything else is a 422, so that what the schema refuses is never taken."""
    document = await _document(client)
    body = "IssueBody" if where == "kiosk" else "PhoneBody"
    phone = document["components"]["schemas"][body]["properties"]["phone"]
    assert _format_of(phone) == "mobile-phone", phone
    schema = _body_schema(document, body)
    shaped = 0
    for number in PHONES:
        if where == "kiosk":
            sent = {"service": "etat-civil", "phone": number}
            answer = await client.post(f"{SITE}/tickets", json=sent, headers=desk.stack.auth("kiosk"))
        else:
            sent = {"phone": number}
            ticket = await desk.issue()
            answer = await client.put(f"{SITE}/tickets/{ticket['id']}/phone", json=sent)
        taken = schema.is_valid(sent) and _is_mobile(number)
        shaped += schema.is_valid(sent)
        assert answer.status_code == ((201 if where == "kiosk" else 204) if taken else 422), (number, answer.text)
    assert 0 < shaped < len(PHONES)


async def test_a_kiosk_the_site_does_not_have_is_a_documented_404(client: httpx.AsyncClient, desk: Desk) -> None:
    """A reprint at a kiosk id that matches the schema but names no kiosk of the site is a 404 naming the field,
    and the operation documents 404."""
    document = await _document(client)
    assert "404" in _operation(document, "post", "/api/v1/sites/{site}/tickets/{ticket_id}/reprint")["responses"]
    ticket = await desk.issue()
    answer = await desk.act(ticket["id"], "reprint", json={"kiosk": 2**31 - 1})
    assert _body_schema(document, "ReprintBody").is_valid({"kiosk": 2**31 - 1})
    body = assert_problem(answer, 404)
    assert body["type"] == "/problems/unknown-kiosk" and body["errors"][0]["field"] == "kiosk"


async def test_a_kiosk_id_written_as_a_whole_float_is_the_integer(client: httpx.AsyncClient, desk: Desk) -> None:
    """JSON Schema's integers include 2.0: the server reads it as 2, and refuses 2.5 as the schema does."""
    document = await _document(client)
    schema = _body_schema(document, "ReprintBody")
    kiosk = await desk.issue(role="kiosk")
    me = await client.get("/api/v1/me", headers=desk.stack.auth("kiosk"))
    token_id = me.json()["token_id"]
    assert schema.is_valid({"kiosk": float(token_id)}) and not schema.is_valid({"kiosk": token_id + 0.5})
    answer = await desk.act(kiosk["id"], "reprint", json={"kiosk": float(token_id)})
    assert answer.status_code == 200, answer.text
    assert_problem(await desk.act(kiosk["id"], "reprint", json={"kiosk": token_id + 0.5}), 422)


async def test_an_idempotency_key_is_taken_when_its_schema_says_so(client: httpx.AsyncClient, stack: Stack) -> None:
    """Keys with each character a header may carry (as Starlette reads them: latin-1), and at the lengths around
    the limit, are taken (201) exactly when the header's schema says they are valid, refused (422) otherwise."""
    document = await _document(client)
    [header] = [p for p in _operation(document, "post", "/api/v1/sites/{site}/tickets")["parameters"]
                if p["name"] == "Idempotency-Key"]
    schema = jsonschema_rs.validator_for(header["schema"])
    # Surrounding white space never reaches a server over HTTP (RFC 9110, 5.5): inside the key only.
    keys = [f"k{chr(c)}{n}" for n, c in enumerate(range(0x100)) if chr(c) not in "\r\n"]
    keys += ["k" * 254, "k" * 255, "k" * 256, "k"]
    accepted = 0
    for key in keys:
        answer = await client.post(f"{SITE}/tickets", json={"service": "etat-civil"},
                                   headers={**stack.auth("agent"), "Idempotency-Key": key.encode("latin-1")})
        assert answer.status_code == (201 if schema.is_valid(key) else 422), (key, answer.text)
        accepted += answer.status_code == 201
    assert 0 < accepted < len(keys)


async def test_report_groupings_are_those_the_server_takes(client: httpx.AsyncClient, stack: Stack) -> None:
    """Each grouping the document lists gives a report, and only those: another is a 422."""
    document = await _document(client)
    path = "/api/v1/sites/{site}/reports"
    schema = _query_schema(document, path, "by")
    for by in [*GROUPINGS, "agents", "week", ""]:
        answer = await client.get(f"{SITE}/reports", params={"date": "2026-03-10", "by": by},
                                  headers=stack.auth("supervisor"))
        assert answer.status_code == (200 if schema.is_valid(by) else 422), (by, answer.text)


async def test_the_audit_limit_is_taken_within_its_documented_bounds(client: httpx.AsyncClient,
                                                                    stack: Stack) -> None:
    """The schema's minimum and maximum of ``limit`` are the server's: inside, 200; one beyond, 422."""
    document = await _document(client)
    schema = _query_schema(document, "/api/v1/audit", "limit")
    [parameter] = [p for p in _operation(document, "get", "/api/v1/audit")["parameters"] if p["name"] == "limit"]
    low, high = parameter["schema"]["minimum"], parameter["schema"]["maximum"]
    for limit in (low - 1, low, high, high + 1):
        answer = await client.get("/api/v1/audit", params={"limit": limit}, headers=stack.auth("admin"))
        assert answer.status_code == (200 if schema.is_valid(limit) else 422), (limit, answer.text)
