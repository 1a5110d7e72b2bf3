"""Schemathesis against the app's own ``/openapi.json``: every operation, positive and negative inputs, each
expected to get what the document says: valid input is never refused as malformed or invalid (400, 413, 422),
invalid input is never accepted (2xx).

The app runs in the test's event loop with its lifespan (like the ``client`` fixture); Hypothesis runs
in a worker thread and sends each case back to the loop over ``httpx.ASGITransport``. Cases are steered
towards the demo site (its id, tickets, counters, services, devices and pairing codes) and come from a
varied caller (a device token of each role, a signed-in person, or credentials schemathesis makes up),
so that most get past routing and authentication instead of all being 401s and 404s.
"""

from __future__ import annotations

import json
import os
import re
import traceback
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import phonenumbers
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from queue_server.booking.domain.motifs import Motif
from queue_server.booking.seed import demo_motifs
from queue_server.db.engine import make_engine, sessions
from queue_server.platform.tokens import create_token
from queue_server.platform.users import add_user
from queue_server.queue.web.api import PHONE_FORMAT
from queue_server.settings import LimitSettings
from queue_server.web.openapi import PATH_SEGMENT
from tests.conftest import Stack
from tests.requests.support import put_categories

pytestmark = [pytest.mark.anyio, pytest.mark.one_stack]  # odd input on PostgreSQL: test_odd_input runs on both

# Per operation and per generation mode (positive, then negative): 25 keep `make test` within its time, the two
# hundred operations of the contract each getting 25 valid and half a dozen invalid requests on every run (each run
# draws new ones, so that runs add up). QUEUE_TEST_FUZZ_EXAMPLES=1000 digs deeper (about 40 s per 100 more; give
# pytest a longer --timeout).
EXAMPLES = max(25, int(os.environ.get("QUEUE_TEST_FUZZ_EXAMPLES", "25")))
# Invalid inputs mostly stop at validation, whatever they are: a quarter as many keep the suite within its time.
NEGATIVE_EXAMPLES = EXAMPLES // 4
BASE_URL = "http://testserver"
SERVICES = ("etat-civil", "passeports", "urbanisme")
COUNTERS = ("1", "2", "3", "4")
PASSWORD = "correct horse battery"
# positive_data_acceptance: a valid request gets 2xx, 401, 403, 404, 409 or 429 (schemathesis's default: never
# 400, 413 or 422); negative_data_rejection: an invalid one gets one of the refusals below, never a 2xx.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, positive_data_acceptance, negative_data_rejection]
# The refusals the document uses; schemathesis's default lacks 413, which an invalid body beyond 16 KiB gets.
REFUSALS = ["400", "401", "403", "404", "405", "409", "413", "422", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}})
# Strings that random generation seldom makes, and that code parsing ids and numbers trips on: digits that are not
# decimal (str.isdigit() is true, int() refuses them), other scripts' digits, more digits than int() converts.
ODD = ("²", "٣", "１２", "-1", "0", "1.5", " 7", "0x1F", "9" * 4301)
# Mostly callers that may do everything; sometimes one that is refused (403), or made-up credentials (None).
CALLERS = ("admin", "agent", "person", "supervisor", "admin", "agent", "kiosk", "display", None)
# The operations of API.md, at least, must be in /openapi.json (and so be fuzzed).
_SITE, _TICKET = "/api/v1/sites/{site}", "/api/v1/sites/{site}/tickets/{ticket_id}"
_PARTIES = "/api/v1/tenants/{tenant}/parties"
_PARTY = _PARTIES + "/{party}"
CONTRACT = {"GET /healthz", "GET /readyz", f"POST {_SITE}/tickets", f"GET {_TICKET}", f"GET {_SITE}/state",
            f"POST {_SITE}/counters/{{counter}}/next", f"POST {_TICKET}/transfer",
            *(f"POST {_TICKET}/{action}" for action in ("recall", "start", "finish", "no-show", "cancel"))}
# Refusals of a valid request for the state it finds, which no schema can state: (operation, problem type). An
# Idempotency-Key already used for another body is a 422, as draft-ietf-httpapi-idempotency-key-header says.
STATEFUL_REFUSALS = {
    (f"POST {_SITE}/tickets", "/problems/idempotency-key-reused"),
    # Configuration: a new service needs a name and a prefix, a new site a name; a counter serves services the
    # site has; a range of hours ends after it starts and overlaps no other; a closure ends after it starts.
    (f"PUT {_SITE}/services/{{service}}", "/problems/incomplete-service"),
    (f"PUT {_SITE}/services/{{service}}", "/problems/invalid-hours"),
    (f"PUT {_SITE}/counters/{{counter}}", "/problems/unknown-service"),
    (f"PUT {_SITE}/hours", "/problems/invalid-hours"),
    (f"PUT {_SITE}/hours", "/problems/invalid-closure"),
    (f"PUT {_SITE}", "/problems/incomplete-site"),
    # The citizen record: a SIRET's key and a birth date in the past; a note in one of the author's sectors (the
    # callers belong to none); a role of a person in an organisation; a merge of two parties of one kind; a
    # sector's members and sites of the collectivity.
    (f"POST {_PARTIES}", "/problems/invalid-siret"),
    (f"POST {_PARTIES}", "/problems/invalid-birth-date"),
    (f"PATCH {_PARTY}", "/problems/invalid-siret"),
    (f"PATCH {_PARTY}", "/problems/invalid-birth-date"),
    (f"POST {_PARTY}/notes", "/problems/not-your-sector"),
    (f"POST {_PARTY}/relations", "/problems/not-a-person"),
    (f"POST {_PARTY}/relations", "/problems/not-an-organisation"),
    (f"POST {_PARTY}/merge", "/problems/merge-with-itself"),
    (f"POST {_PARTY}/merge", "/problems/merge-other-kind"),
    ("PUT /api/v1/tenants/{tenant}/sectors/{sector}", "/problems/unknown-member"),
    ("PUT /api/v1/tenants/{tenant}/sectors/{sector}", "/problems/unknown-site"),
    # A logo's body is a PNG or a JPEG image that decodes whole, which no schema of a binary body states.
    (f"PUT {_SITE}/logo", "/problems/invalid-logo"),
    # Booking: a start is one of the motif's slots (its hours, the days open, its notice and horizon); a range of
    # days ends after it starts and spans 62 days at most; a motif's service is the site's, its hours' ranges end
    # after they start and do not overlap, its duration rule names a count question; a check-in comes on the day,
    # in the motif's window.
    *((f"{method} {_SITE}/{path}", f"/problems/{kind}") for method, path in (
        ("POST", "appointments"), ("POST", "appointments/{appointment}/move"))
      for kind in ("closed", "outside-hours", "too-soon", "too-far")),
    (f"GET {_SITE}/slots", "/problems/invalid-range"),
    (f"PUT {_SITE}/motifs/{{motif}}", "/problems/unknown-service"),
    (f"PUT {_SITE}/motifs/{{motif}}", "/problems/invalid-hours"),
    (f"PUT {_SITE}/motifs/{{motif}}", "/problems/unknown-question"),
    *((f"POST {_SITE}/check-in", f"/problems/{kind}") for kind in ("not-today", "too-early", "too-late")),
    # The answers to a motif's own questions (which differ by motif: a required one, a count's bounds, a choice).
    (f"POST {_SITE}/appointments", "/problems/invalid-answers"),
    # A proof of work answers a challenge this server gave (and is used once): a well-formed one it did not give
    # is refused with a fresh challenge.
    (f"POST {_SITE}/appointments", "/problems/proof-required"),
    # The waiting list: someone to tell (a phone or an e-mail, each optional in the schema), a day not passed.
    (f"POST {_SITE}/waitlist", "/problems/contact-needed"),
    (f"POST {_SITE}/waitlist", "/problems/invalid-date"),
    # Requests: a category of the collectivity's; a sender R112-9-1 identifies (a letter's postal address, an
    # organisation's SIREN or RNA number and not both), a SIREN's key, a valid phone number.
    *(("POST /api/v1/tenants/{tenant}/requests", f"/problems/{kind}")
      for kind in ("unknown-category", "sender-incomplete", "invalid-siren", "invalid-phone")),
    # A letter's day of receipt: staff's, for a letter, within the last 60 days of the site's calendar.
    ("POST /api/v1/tenants/{tenant}/requests", "/problems/invalid-receipt-date"),
    # A category's mentions, as an acknowledgement of receipt needs them (R112-11-1), and a site of the collectivity.
    ("PUT /api/v1/tenants/{tenant}/request-categories/{category}", "/problems/incomplete-category"),
    ("PUT /api/v1/tenants/{tenant}/request-categories/{category}", "/problems/unknown-site"),
    ("POST /api/v1/tenants/{tenant}/requests/{request}/category", "/problems/unknown-category"),  # one of its own
    ("POST /api/v1/tenants/{tenant}/requests/{request}/party", "/problems/unknown-party"),  # a party of its record
    # Handling requests: a staff member of the collectivity in charge; a transmission to another collectivity of
    # the installation (and a category it has); a merge into a request of the collectivity; a reply template's
    # {placeholders} among those filled.
    ("POST /api/v1/tenants/{tenant}/requests/{request}/assignee", "/problems/unknown-user"),
    *(("POST /api/v1/tenants/{tenant}/requests/{request}/transmit", f"/problems/{kind}")
      for kind in ("unknown-administration", "unknown-category")),
    ("POST /api/v1/tenants/{tenant}/requests/{request}/merge", "/problems/unknown-request"),
    *((f"{method} /api/v1/tenants/{{tenant}}/request-templates{path}", "/problems/unknown-placeholder")
      for method, path in (("POST", ""), ("PUT", "/{template}"))),
    # The requests' figures: a period that ends after it starts, a year at most.
    *((f"GET /api/v1/tenants/{{tenant}}/requests/{path}", "/problems/invalid-range")
      for path in ("stats", "stats.csv")),
    # The phone desk: a reason, a party, a service and an agent of the collectivity's; a callback within the next
    # three months (from an hour ago) to a number that is one; a list of reasons with each id once; a period of at
    # most a year that ends after it starts.
    *(("POST /api/v1/tenants/{tenant}/phone/calls", f"/problems/{kind}") for kind in (
        "unknown-reason", "unknown-party", "unknown-service", "unknown-agent", "invalid-due-time", "invalid-phone")),
    ("PUT /api/v1/tenants/{tenant}/phone/reasons", "/problems/duplicate-reason"),
    ("GET /api/v1/tenants/{tenant}/phone/stats", "/problems/invalid-range"),
    ("GET /api/v1/tenants/{tenant}/phone/stats.csv", "/problems/invalid-range"),
    # The knowledge base: a collectivity is no partner of itself; a local note goes on a partner's sheet, not its own.
    ("PUT /api/v1/tenants/{tenant}/kb/partners", "/problems/self-partner"),
    ("PUT /api/v1/tenants/{tenant}/kb/sheets/{sheet}/note", "/problems/own-sheet"),
    # The surveys: an answer names only the questions its survey asks (a campaign's, which differ by survey); a
    # campaign's period ends after it starts, its questions' ids are unique, a choice offers two different answers;
    # the results' period, as the other figures'.
    ("POST /api/v1/surveys/{token}", "/problems/invalid-answer"),
    ("POST /api/v1/tenants/{tenant}/surveys/campaigns", "/problems/invalid-campaign"),
    *((f"GET /api/v1/sites/{{site}}/surveys/{path}", "/problems/invalid-range") for path in ("results", "results.csv")),
}
REASONS = ("etat-civil", "urbanisme", "dechets", "voirie", "autre")  # the phone desk's, by default
MOTIFS = ("passeport", "mariage", "permis")


@dataclass
class Fuzzed:
    """The running app, the schema it serves, each caller's credentials, and real ids of the demo site."""

    http: httpx.AsyncClient
    schema: Any
    credentials: dict[str | None, tuple[dict[str, str], dict[str, str]]]  # caller: (headers, cookies)
    pools: dict[str, list[str]] = field(default_factory=dict)  # parameter or body field: real values
    surveys: Any = None  # the app's surveys (queue_server/surveys/service.py): no endpoint invites anyone

    def operations(self) -> list[APIOperation]:
        """Every operation of the served schema; revocations last, so that they come after every other use
        of the tokens (a generated device id may name a caller's own token)."""
        return sorted((result.ok() for result in self.schema.get_all_operations()),
                      key=lambda operation: ("revoke" in operation.path, operation.label))

    async def refresh(self) -> None:
        """New waiting, called, served and finished tickets, open counters and unused pairing codes, for the next
        operation: the previous ones moved them on (best effort: what a revocation broke is left out)."""
        admin, agent = self.credentials["admin"][0], self.credentials["agent"][0]
        tickets = []
        for n in range(6):
            issued = await self.http.post("/api/v1/sites/demo/tickets", json={"service": SERVICES[n % 3]},
                                          headers=admin)
            tickets += [issued.json()["id"]] if issued.status_code == 201 else []
        for counter, actions in (("1", ()), ("2", ("start",)), ("3", ("start", "finish")), ("4", ("no-show",))):
            await self.http.post(f"/api/v1/sites/demo/counters/{counter}/open", headers=agent)
            called = await self.http.post(f"/api/v1/sites/demo/counters/{counter}/next", headers=agent)
            for action in actions if called.status_code == 200 else ():
                await self.http.post(f"/api/v1/sites/demo/tickets/{called.json()['id']}/{action}", headers=agent)
        self.pools["ticket_id"] = (self.pools.get("ticket_id", []) + tickets)[-12:]
        # Valid phone numbers are French mobiles (mobile_numbers): the site reads them in France again, whatever
        # region a case of PUT /api/v1/sites/{site} gave it.
        await self.http.put("/api/v1/sites/demo", json={"region": "FR"}, headers=admin)
        codes = []
        for role in ("kiosk", "display"):
            pairing = await self.http.post("/api/v1/sites/demo/pairings", json={"role": role}, headers=admin)
            codes += [pairing.json()["code"]] if pairing.status_code == 201 else []
        self.pools["code"] = codes or self.pools.get("code", ["ABCD-1234"])
        parties = []
        for body in ({"kind": "person", "first_name": "Anne", "last_name": "Lefèvre", "phones": ["0612345678"]},
                     {"kind": "association", "name": "Les Amis du Moulin", "rna": "W751234567"}):
            created = await self.http.post("/api/v1/tenants/demo/parties", json=body, headers=admin)
            parties += [str(created.json()["id"])] if created.status_code == 201 else []
        self.pools["party"] = (self.pools.get("party", []) + parties)[-6:]
        self.pools["into"] = self.pools["party"]
        await self._appointments(admin)
        filed = await self.http.post("/api/v1/tenants/demo/requests", headers=admin, json={
            "category": "voirie", "subject": "Trottoir", "body": "Le trottoir est abîmé.",
            "person": {"first_name": "Anne", "last_name": "Lefèvre", "email": "anne@example.fr"}})
        self.pools["request"] = (self.pools.get("request", []) + ([filed.json()["id"]] if filed.status_code == 201
                                                                  else []))[-6:]
        written = await self.http.post("/api/v1/tenants/demo/request-templates", headers=admin,
                                       json={"title": "Relance", "body": "Bonjour {name}, votre demande {reference}."})
        self.pools["template"] = (self.pools.get("template", []) + ([str(written.json()["id"])]
                                                                    if written.status_code == 201 else []))[-6:]
        await self._calls(admin)
        await self._surveys(admin)

    async def _surveys(self, admin: dict[str, str]) -> None:
        """Two fresh invitations (their tokens: a case may have answered the previous ones) and a campaign."""
        tokens = []
        for _ in range(2):
            source = f"visit:{uuid.uuid4().hex}"
            contact = f"+336{uuid.uuid4().int % 10**8:08d}"
            if await self.surveys.invite(source=source, kind="visit", site="demo", service="etat-civil", channel="sms",
                                         contact=contact, ended_at=datetime.now(UTC)):
                tokens.append(await self.surveys.token_of(source))
        self.pools["token"] = (self.pools.get("token", []) + tokens)[-6:]
        today = datetime.now(UTC).date()
        made = await self.http.post("/api/v1/tenants/demo/surveys/campaigns", headers=admin, json={
            "name": "Accueil", "first": today.isoformat(), "last": (today + timedelta(days=7)).isoformat(),
            "questions": [{"id": "attente", "kind": "choice", "label": "L'attente ?",
                           "choices": ["Courte", "Longue"]}]})
        assert made.status_code == 201, made.text
        self.pools["campaign"] = (self.pools.get("campaign", []) + [made.json()["id"]])[-6:]

    async def _calls(self, admin: dict[str, str]) -> None:
        """The phone desk's default reasons back (a case may have put others), and a new call with a callback to do
        (their ids), for its operations."""
        default = await self.http.put("/api/v1/tenants/demo/phone/reasons", headers=admin, json={
            "reasons": [{"id": reason, "name": reason.replace("-", " ").capitalize()} for reason in REASONS]})
        assert default.status_code == 200, default.text
        due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        logged = await self.http.post("/api/v1/tenants/demo/phone/calls", headers=admin, json={
            "reason": "voirie", "outcome": "callback", "duration_s": 90,
            "callback": {"due_at": due, "phone": "06 12 34 56 78"}})
        assert logged.status_code == 201, logged.text
        self.pools["call"] = (self.pools.get("call", []) + [logged.json()["id"]])[-6:]
        self.pools["callback"] = (self.pools.get("callback", []) + [str(logged.json()["callback"]["id"])])[-6:]

    async def _appointments(self, admin: dict[str, str]) -> None:
        """Free slots of the next two weeks (whatever today is) and two new appointments booked by staff in them
        (their ids and codes), for booking's operations."""
        today = datetime.now(UTC).date()
        free: list[tuple[str, str]] = []  # (motif, start)
        for motif in ("passeport", "mariage"):
            found = await self.http.get("/api/v1/sites/demo/slots", params={
                "motif": motif, "from": today.isoformat(), "to": (today + timedelta(days=14)).isoformat()})
            free += [(motif, s["start"]) for s in found.json()["slots"]] if found.status_code == 200 else []
        self.pools["start"] = [start for _, start in free[::7][:20]] or self.pools.get("start", [])
        ids, codes = [], []
        last = {motif: start for motif, start in free}  # each motif's last free slot
        for motif, start in last.items():
            booked = await self.http.post("/api/v1/sites/demo/appointments", headers=admin, json={
                "motif": motif, "start": start,
                "person": {"first_name": "Anne", "last_name": "Lefèvre", "phone": "06 12 34 56 78"}})
            if booked.status_code == 201:
                ids.append(booked.json()["id"])
                codes.append(booked.json()["code"])
        self.pools["appointment"] = (self.pools.get("appointment", []) + ids)[-6:]
        self.pools["appointment_code"] = (self.pools.get("appointment_code", []) + codes)[-6:]


async def _devices_and_person(stack: Stack) -> list[str]:
    """Adds three device tokens that cases may revoke (not the callers' own), and ``fuzz``, an admin person."""
    engine = make_engine(stack.settings.database_url)
    try:
        async with sessions(engine)() as session:
            devices = [str((await create_token(session, "demo", role, f"spare {role}"))[0])
                       for role in ("kiosk", "display", "kiosk")]
            await add_user(session, "demo", "fuzz", PASSWORD, "Fuzz", [(None, "admin")])
            await session.commit()
    finally:
        await engine.dispose()
    return devices


async def _sign_in(transport: httpx.ASGITransport) -> tuple[dict[str, str], dict[str, str]]:
    """The session cookie and CSRF header of ``fuzz``, signed in through the login form."""
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as browser:
        page = await browser.get("/login")
        form = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert form, page.text
        done = await browser.post("/login", data={"login": "fuzz", "password": PASSWORD, "csrf": form.group(1)})
        assert done.status_code == 303, done.text
        me = await browser.get("/api/v1/me")
        assert me.status_code == 200, me.text
        return {"X-CSRF-Token": me.json()["csrf_token"]}, {"guichet_session": browser.cookies["guichet_session"]}


@pytest.fixture
async def fuzzed(stack: Stack) -> AsyncIterator[Fuzzed]:
    """The app with its lifespan, its schema loaded from ``/openapi.json``, the callers' credentials."""
    from queue_server.web.app import create_app

    devices = await _devices_and_person(stack)
    # No rate limits (their own tests have them): past the 10th pairing code a minute, /pair would refuse every case
    # before reading its body.
    no_limits = LimitSettings(**dict.fromkeys(LimitSettings.model_fields, 0))
    app = create_app(stack.settings.model_copy(update={"limits": no_limits}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            served = await http.get("/openapi.json")
            assert served.status_code == 200, served.text
            credentials: dict[str | None, tuple[dict[str, str], dict[str, str]]] = {
                role: (stack.auth(role), {}) for role in ("admin", "agent", "supervisor", "kiosk", "display")}
            # A person's session goes without a token (a made-up one would be tried first, and refused).
            headers, cookies = await _sign_in(transport)
            credentials["person"] = ({"Authorization": "", **headers}, cookies)
            credentials[None] = ({}, {})
            for motif in demo_motifs():  # booking's: put through the API, as an administrator would
                put = await http.put(f"/api/v1/sites/demo/motifs/{motif.id}", json=_motif_body(motif),
                                     headers=stack.auth("admin"))
                assert put.status_code == 201, put.text
            await put_categories(stack.settings)  # the requests' (requests/seed.py)
            sheets = []
            for status in ("published", "draft"):  # the knowledge base's: a public sheet and a draft, two versions each
                body = {"title": "Perte du passeport", "body": "Déclarer la **perte**.", "audience": "public",
                        "status": status, "shared": True}
                made = await http.post("/api/v1/tenants/demo/kb/sheets", json=body, headers=stack.auth("admin"))
                assert made.status_code == 201, made.text
                changed = await http.put(f"/api/v1/tenants/demo/kb/sheets/{made.json()['id']}",
                                         json={**body, "body": "Déclarer la perte ou le vol."},
                                         headers=stack.auth("admin"))
                assert changed.status_code == 200, changed.text
                sheets.append(made.json()["id"])
            pools = {"site": ["demo"] * 3, "counter": list(COUNTERS), "device": devices, "service": list(SERVICES),
                     "tenant": ["demo"] * 3, "sector": ["etat-civil", "social"], "motif": list(MOTIFS),
                     "category": ["etat-civil", "urbanisme", "voirie", "autre"], "reason": list(REASONS),
                     "sheet": sheets,
                     "version": ["1", "2"]}
            fuzzed = Fuzzed(http, schemathesis.openapi.from_dict(served.json(), config=CONFIG), credentials, pools,
                            app.state.surveys)
            await fuzzed.refresh()
            assert len(fuzzed.pools["ticket_id"]) == 6 and len(fuzzed.pools["code"]) == 2, fuzzed.pools
            yield fuzzed


def _motif_body(motif: Motif) -> dict[str, Any]:
    """A motif of ``booking/seed.py`` as ``PUT …/motifs/{motif}`` takes it."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {"service": motif.service, "name": motif.name, "duration_min": motif.duration_min,
            "capacity": motif.capacity, "min_notice_h": motif.min_notice_min / 60, "horizon_days": motif.horizon_days,
            "hours": {days[d]: [[f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"] for a, b in spans]
                      for d, spans in (motif.hours or {}).items()},
            "public_holidays": motif.holidays, "cancel_cutoff_h": motif.cancel_cutoff_min / 60,
            "questions": [{"id": q.id, "label": q.label, "kind": q.kind, "required": q.required, "minimum": q.minimum,
                           "maximum": q.maximum} for q in motif.questions],
            "duration_rule": {"question": motif.duration_rule.question,
                              "per_extra_min": motif.duration_rule.per_extra_min} if motif.duration_rule else None}


def _is_mobile(number: str) -> bool:
    parsed = phonenumbers.parse(number, "FR")
    return (phonenumbers.is_valid_number(parsed)
            and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE)


def _spelt(digits: str, spelling: int) -> str:
    """``digits`` (06 12 34 56 78, all together) as people write them: grouped by two with spaces, no-break spaces,
    dots or dashes, or international (+33 6 12 34 56 78, 0033...)."""
    pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
    return [digits, " ".join(pairs), "\u00a0".join(pairs), ".".join(pairs), "-".join(pairs),
            f"+33 {digits[1]} {' '.join(pairs[1:])}", f"+33{digits[1:]}", f"0033{digits[1:]}",
            f"+33 (0){digits[1]} {' '.join(pairs[1:])}"][spelling]


def mobile_numbers() -> st.SearchStrategy[str]:
    """Valid French mobile numbers (the demo site reads local numbers in France), for the mobile-phone format."""
    national = st.builds("0{}{}".format, st.sampled_from("67"), st.text("0123456789", min_size=8, max_size=8))
    return st.builds(_spelt, national.filter(_is_mobile), st.integers(0, 8))


# Schemathesis knows no such format: without a strategy for it, valid phone numbers would be random digits.
schemathesis.openapi.format(PHONE_FORMAT, mobile_numbers())


def _has_input(operation: APIOperation) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


def _valid_segment(value: object) -> bool:
    """Whether ``value`` is a path parameter the document allows (``openapi.py`` ``_param``)."""
    return isinstance(value, str) and 1 <= len(value) <= 64 and re.match(PATH_SEGMENT, value) is not None


def _aimed(case: Case, draw: st.DrawFn, pools: dict[str, list[str]], mode: GenerationMode) -> Case:
    """``case`` with, often, real ids of the demo site in place of random ones, in its path and (valid cases) its
    body; sometimes a value of ``ODD`` in a path or (invalid cases) query parameter. A valid case gets nothing the
    server may refuse as invalid (an id of ``ODD`` names nothing: 404), an invalid one nothing that may mend it (a
    real id in its body)."""
    params = case.path_parameters or {}
    for name, value in params.items():
        # A negative case may be invalid by its path alone (an id too long): a real id would mend it.
        if name in pools and (mode is GenerationMode.POSITIVE or _valid_segment(value)):
            params[name] = draw(st.sampled_from([*pools[name], value]))
    for where in (params, case.query if mode is GenerationMode.NEGATIVE and case.query else {}):
        for name in where:
            if draw(st.integers(0, 9)) == 0:
                where[name] = draw(st.sampled_from(ODD))
    body = case.body
    if isinstance(body, dict) and mode is GenerationMode.POSITIVE and draw(st.booleans()):
        # A check-in's code is an appointment's; elsewhere a code is a pairing code.
        codes = "appointment_code" if case.operation.path.endswith("/check-in") else "code"
        for name, pool in (("service", "service"), ("counter", "counter"), ("code", codes), ("motif", "motif"),
                           ("start", "start"), ("category", "category")):
            if isinstance(body.get(name), str) and pools.get(pool):
                body[name] = draw(st.sampled_from(pools[pool]))
        if case.operation.path.endswith("/phone/calls") and isinstance(body.get("reason"), str):
            body["reason"] = draw(st.sampled_from(pools["reason"]))  # a call's (a pause's is a word of its own)
        for name in ("party", "into"):  # a party's number in a body (a relation, a merge)
            if isinstance(body.get(name), int) and pools.get(name):
                body[name] = int(draw(st.sampled_from(pools[name])))
        if isinstance(body.get("services"), list):
            body["services"] = draw(st.lists(st.sampled_from(pools["service"]), min_size=1, max_size=3))
    if not _has_input(case.operation):
        # No input at all (/healthz, /readyz): an unknown query string, which must change nothing.
        case.query = draw(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=16), max_size=3))
    return case


def _request(case: Case) -> dict[str, Any]:
    """The keyword arguments of ``httpx.AsyncClient.request`` for ``case`` (schemathesis gives requests')."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    headers = {k: v.encode("latin-1") if isinstance(v, str) else v for k, v in dict(kwargs["headers"]).items()}
    if kwargs.get("cookies"):
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items()).encode("latin-1")
    request: dict[str, Any] = {"method": kwargs["method"], "url": kwargs["url"], "headers": headers,
                               "params": kwargs.get("params") or None}
    if "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"]).encode()
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data.encode() if isinstance(data, str) else data
    assert not kwargs.get("files"), kwargs
    return request


def _stateful_refusal(operation: APIOperation, response: httpx.Response) -> bool:
    """Whether ``response`` to ``operation`` is one of ``STATEFUL_REFUSALS``."""
    if response.status_code not in (422, 428) or response.headers.get("content-type") != "application/problem+json":
        return False
    return (operation.label, response.json().get("type")) in STATEFUL_REFUSALS


# The configuration's operations each run a transaction decided by the queue and read back, the citizen record's a
# transaction with its audit entry: a third of the examples keeps `make test` within its time
# (QUEUE_TEST_FUZZ_EXAMPLES raises them with the rest).
CONFIGURATION = re.compile(r"^(PUT|DELETE|GET) /api/v1/sites/\{site\}(/config|/hours|/services/\{service\}|"
                           r"/counters/\{counter\}|/logo)?$|^[A-Z]+ /api/v1/tenants/")
# Booking's a sixth: each books, moves or computes slots in transactions of their own, and its twenty operations
# share one body model's validation (tests/booking covers their rules).
BOOKING = re.compile(r"^[A-Z]+ /api/v1/sites/\{site\}/(motifs|slots|appointments|check-in|challenge|phone-checks|"
                     r"waitlist)")


def _examples(mode: GenerationMode, operation: APIOperation | None = None) -> int:
    count = EXAMPLES if mode is GenerationMode.POSITIVE else NEGATIVE_EXAMPLES
    if operation is not None and BOOKING.match(operation.label):
        return max(6, count // 6)
    if operation is not None and CONFIGURATION.match(operation.label) and not operation.label.endswith("/state"):
        return max(10, count // 3)
    return count


def _fuzz(fuzzed: Fuzzed, operation: APIOperation, mode: GenerationMode) -> int:
    """Runs ``_examples(mode)`` cases of ``operation`` in ``mode`` (in a worker thread); returns how many were
    sent."""
    # One strategy per caller, its credentials fixed; with none, schemathesis makes them up (or leaves them out).
    by_caller = {caller: operation.as_strategy(mode, headers=headers or None, cookies=cookies or None)
                 for caller, (headers, cookies) in fuzzed.credentials.items()}
    sent = 0

    @st.composite
    def cases(draw: st.DrawFn) -> tuple[str | None, Case]:
        caller = draw(st.sampled_from(CALLERS))
        return caller, _aimed(draw(by_caller[caller]), draw, fuzzed.pools, mode)

    @settings(max_examples=_examples(mode, operation), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(drawn=cases())
    def run(drawn: tuple[str | None, Case]) -> None:
        nonlocal sent
        caller, case = drawn
        request = _request(case)
        fuzzed.http.cookies.clear()  # only the case's own cookies, never what an earlier answer set
        try:
            response = anyio.from_thread.run(lambda: fuzzed.http.request(**request))
            sent += 1
            stateful = _stateful_refusal(operation, response)
            checks = [check for check in CHECKS if check is not positive_data_acceptance or not stateful]
            case.validate_response(response, checks=checks, headers=request["headers"])
        except (Exception, FailureGroup) as exc:
            content = request.get("content")
            exc.add_note(f"Request (caller {caller or 'with made-up credentials'}): {request['method']} "
                         f"{httpx.URL(request['url'], params=request['params'])} body={content!r}")
            raise

    run()
    return sent


def _report(exc: BaseException) -> str:
    """What schemathesis found (with a curl command to replay it), or the app's exception with its traceback;
    then Hypothesis's falsifying example."""
    if isinstance(exc, FailureGroup):
        return "\n".join([str(exc).rstrip(), *getattr(exc, "__notes__", ())])
    return "".join(traceback.format_exception(exc, limit=-6))  # the innermost frames: the app's


# The operations are fuzzed in shards, each its own test with its own app, so that pytest-xdist spreads them
# over its processes (one test of every operation was the suite's longest by far). Each operation goes to the
# shard with the fewest requests so far (dealt in turn, the shards took 20 to 90 s).
SHARDS = 8


def _shard(operations: list[APIOperation], shard: int) -> list[APIOperation]:
    """The operations of ``shard``, in their order (revocations last)."""
    loads = [0] * SHARDS
    mine = []
    for operation in operations:
        cost = _examples(GenerationMode.POSITIVE, operation) + (
            _examples(GenerationMode.NEGATIVE, operation) if _has_input(operation) else 0)
        lightest = loads.index(min(loads))
        loads[lightest] += cost
        if lightest == shard:
            mine.append(operation)
    return mine


@pytest.mark.parametrize("shard", range(SHARDS))
async def test_no_operation_answers_a_5xx_or_off_its_schema(fuzzed: Fuzzed, shard: int) -> None:
    """Dozens of generated requests to every operation of /openapi.json never get a 5xx, nor an answer whose
    status, content type, headers or body its schema does not document; valid ones are never refused as invalid,
    invalid ones never accepted."""
    failures: list[str] = []
    operations = _shard(fuzzed.operations(), shard)  # each shard keeps the order: revocations last
    assert operations
    for operation in operations:
        # Without any input (/healthz, /readyz) there is nothing to make invalid.
        modes = [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * _has_input(operation)
        await fuzzed.refresh()  # once per operation: invalid requests (the negative mode) hardly move anything on
        for mode in modes:
            # Every operation is fuzzed, and the report names each that failed. A 500 arrives as the app's own
            # exception (httpx.ASGITransport raises it), with its traceback.
            try:
                sent = await anyio.to_thread.run_sync(_fuzz, fuzzed, operation, mode)
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {_report(exc)}")
            else:
                if sent < _examples(mode, operation):
                    failures.append(f"{operation.label} ({mode.value}): only {sent} examples")
    if failures:
        pytest.fail(f"{len(failures)} failures:\n\n" + "\n\n".join(failures), pytrace=False)


def test_every_operation_of_the_contract_is_fuzzed() -> None:
    """The shards together cover /openapi.json, which holds at least every operation of API.md."""
    from queue_server.web.app import openapi_document

    schema = schemathesis.openapi.from_dict(openapi_document())
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = [operation.label for operation in operations]
    assert len(labels) >= 29
    assert set(labels) >= CONTRACT, CONTRACT - set(labels)
    dealt = [operation.label for shard in range(SHARDS) for operation in _shard(operations, shard)]
    assert sorted(dealt) == sorted(labels)  # each operation in one shard
