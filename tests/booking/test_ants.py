"""The ANTS connections: the rules of pre-application numbers, the anti-duplicate client against a fake of the
ANTS' API over real HTTP, and our search API served by uvicorn and called as the ANTS hub calls it."""

from __future__ import annotations

import time
import tomllib
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from queue_server.booking.ants.checks import check_numbers
from queue_server.booking.ants.client import AntsClient, AntsError
from queue_server.booking.ants.hub import ants_routes
from queue_server.booking.ants.rules import Finding, judge, message, read_ids, split_ids, to_declare
from queue_server.booking.ants.values import (
    ApplicationStatus,
    Booked,
    DeclaredAppointment,
    MeetingPoint,
    Status,
    TimeSlot,
)
from queue_server.settings import AntsSettings, load_settings
from tests.booking.ants_fake import FakeAnts, served

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
API_TOKEN = "opt-token-secret-1"
HUB_TOKEN = "hub-token-secret-2"
MAIRIE = MeetingPoint("12", "Mairie de Saint-Martin", 2.35, 48.85, "1 place de la Mairie", "75001", "Paris",
                      "https://saint-martin.example", None)
ANNEXE = MeetingPoint("13", "Mairie annexe", 2.36, 48.86, "5 rue Haute", "75002", "Paris")
SLOW = MeetingPoint("99", "Mairie lente", 2.37, 48.87, "9 rue Basse", "75003", "Paris")


def reasons(findings: Sequence[Finding]) -> list[tuple[str | None, str]]:
    return [(f.application_id, f.reason) for f in findings]


# -- rules ---------------------------------------------------------------------------------------------------------


def test_numbers_are_ten_upper_case_letters_and_digits() -> None:
    """Typed numbers are raised and their spaces dropped; anything but 10 letters and digits is malformed."""
    ids, findings = read_ids(["ab12 345 678", "AB1234567", "AB12-34567X"], people=3)
    assert ids[0] == "AB12345678"
    assert reasons(findings) == [("AB1234567", "malformed"), ("AB12-34567X", "malformed")]


def test_a_number_given_twice_in_one_booking_is_refused() -> None:
    """The same number for two persons of one booking is refused: each person has their own."""
    _ids, findings = read_ids(["AB12345678", "ab12345678"], people=2)
    assert reasons(findings) == [("AB12345678", "repeated")]


def test_one_number_per_person() -> None:
    """Fewer or more numbers than persons coming is refused, and so is none."""
    assert reasons(read_ids(["AB12345678"], people=2)[1]) == [(None, "wrong-count")]
    assert reasons(read_ids([], people=1)[1]) == [(None, "wrong-count")]
    assert read_ids(["AB12345678", "CD12345678"], people=2)[1] == ()


def test_statuses_that_block_each_kind_of_motif() -> None:
    """A demande accepts validated numbers only; a retrait accepts consumed and validated ones."""
    given: list[tuple[str, Status]] = [("V000000001", "validated"), ("C000000001", "consumed"),
                                       ("D000000001", "declared"), ("E000000001", "expired"), ("U000000001", "unknown")]
    statuses = {i: ApplicationStatus(i, status) for i, status in given}
    ids = [*statuses, "M000000001"]  # the last one missing from the answer
    assert reasons(judge("demande", ids, statuses)) == [
        ("C000000001", "consumed"), ("D000000001", "declared"), ("E000000001", "expired"),
        ("U000000001", "unknown"), ("M000000001", "unknown")]
    assert reasons(judge("retrait", ids, statuses)) == [
        ("D000000001", "declared"), ("E000000001", "expired"), ("U000000001", "unknown"),
        ("M000000001", "unknown")]


def test_a_number_booked_elsewhere_is_a_warning_not_a_refusal() -> None:
    """A validated number holding another appointment is said, naming the place; the booking being moved is not."""
    elsewhere = DeclaredAppointment("Mairie de Sannois", "2030-01-01T09:00:00", "https://other.example/rdv/1")
    ours = DeclaredAppointment("Mairie de Saint-Martin", "2030-01-02T09:00:00", "https://guichet.example/a/x")
    statuses = {"V000000001": ApplicationStatus("V000000001", "validated", (elsewhere, ours))}
    (finding,) = judge("demande", ["V000000001"], statuses, management_url=ours.management_url)
    assert finding.reason == "booked-elsewhere" and not finding.blocks and finding.appointments == (elsewhere,)
    assert "Mairie de Sannois" in message(finding, lambda text: text)


def test_only_the_validated_numbers_of_a_demande_are_declared() -> None:
    """A demande declares its validated numbers to the ANTS; a retrait declares none."""
    statuses = {"V000000001": ApplicationStatus("V000000001", "validated"),
                "C000000001": ApplicationStatus("C000000001", "consumed")}
    assert to_declare("demande", statuses) == ("V000000001",)
    assert to_declare("retrait", statuses) == ()


def test_numbers_joined_in_one_query_value_are_split() -> None:
    """"AB12345678,cd12345678" and "AB12345678 EF12345678" give each number once, raised."""
    assert split_ids(["AB12345678,cd12345678", "AB12345678 EF12345678"]) == [
        "AB12345678", "CD12345678", "EF12345678"]


# -- the anti-duplicate client against the fake ANTS ----------------------------------------------------------------


@pytest.fixture
async def ants() -> AsyncIterator[tuple[FakeAnts, str]]:
    """The fake anti-duplicate API on a real server: the fake and its API base URL."""
    fake = FakeAnts(API_TOKEN, statuses={"V000000001": "validated", "V000000002": "validated",
                                         "C000000001": "consumed", "E000000001": "expired"})
    async with served(fake.app()) as url:
        try:
            yield fake, f"{url}/api"
        finally:
            fake.release()


async def test_the_status_of_several_numbers_in_one_call(ants: tuple[FakeAnts, str]) -> None:
    """One call gives each number's status; a number the ANTS does not hold is unknown."""
    fake, url = ants
    async with AntsClient(url, API_TOKEN) as client:
        statuses = await client.status(["V000000001", "C000000001", "X000000001"])
    assert {i: s.status for i, s in statuses.items()} == {
        "V000000001": "validated", "C000000001": "consumed", "X000000001": "unknown"}
    assert fake.calls == ["GET /api/status"]


async def test_a_consumed_number_blocks_a_demande_and_not_a_retrait(ants: tuple[FakeAnts, str]) -> None:
    """Checked with the ANTS, a consumed number refuses a filing appointment and lets a collection through."""
    _fake, url = ants
    async with AntsClient(url, API_TOKEN) as client:
        demande = await check_numbers(client, "demande", ["c000000001", "V000000001"], people=2)
        retrait = await check_numbers(client, "retrait", ["C000000001"], people=1)
    assert reasons(demande.refusals) == [("C000000001", "consumed")] and not demande.accepted
    assert retrait.accepted and retrait.statuses["C000000001"].status == "consumed"


async def test_malformed_numbers_are_refused_without_asking_the_ants(ants: tuple[FakeAnts, str]) -> None:
    """A malformed number is refused before any call to the ANTS."""
    fake, url = ants
    async with AntsClient(url, API_TOKEN) as client:
        check = await check_numbers(client, "demande", ["V00000001"], people=1)
    assert reasons(check.refusals) == [("V00000001", "malformed")] and fake.calls == []


async def test_declare_then_withdraw_reach_the_ants(ants: tuple[FakeAnts, str]) -> None:
    """A declared appointment shows in the number's status with our management URL and local time, then is gone."""
    fake, url = ants
    start = datetime(2030, 3, 4, 9, 30, tzinfo=PARIS)
    async with AntsClient(url, API_TOKEN) as client:
        await client.declare("V000000001", meeting_point=MAIRIE, start=start,
                             management_url="https://guichet.example/a/abc")
        (held,) = (await client.status(["V000000001"]))["V000000001"].appointments
        assert held == DeclaredAppointment("Mairie de Saint-Martin", "2030-03-04T09:30:00",
                                           "https://guichet.example/a/abc", "12")
        assert await client.withdraw("V000000001", meeting_point=MAIRIE, start=start) == 1
        assert (await client.status(["V000000001"]))["V000000001"].appointments == ()
    assert fake.calls == ["POST /api/appointments", "GET /api/status", "DELETE /api/appointments", "GET /api/status"]


async def test_a_server_error_is_an_ants_error(ants: tuple[FakeAnts, str]) -> None:
    """An HTTP 500 from the ANTS is an AntsError naming the call and the status."""
    fake, url = ants
    fake.fail_with = 500
    async with AntsClient(url, API_TOKEN) as client:
        with pytest.raises(AntsError, match="ANTS status: HTTP 500"):
            await client.status(["V000000001"])


async def test_a_wrong_token_is_an_ants_error_that_does_not_show_it(ants: tuple[FakeAnts, str]) -> None:
    """The ANTS' 401 is an AntsError whose message holds no token."""
    _fake, url = ants
    async with AntsClient(url, "wrong-token-secret") as client:
        with pytest.raises(AntsError, match="HTTP 401") as raised:
            await client.declare("V000000001", meeting_point=MAIRIE, start=datetime(2030, 1, 1, 9),
                                 management_url="https://guichet.example/a/abc")
    assert "secret" not in str(raised.value)


async def test_no_answer_in_time_is_an_ants_error(ants: tuple[FakeAnts, str]) -> None:
    """An ANTS that does not answer within timeout_s is an AntsError, raised about timeout_s later."""
    fake, url = ants
    fake.hang = True
    began = time.monotonic()
    async with AntsClient(url, API_TOKEN, timeout_s=0.3) as client:
        with pytest.raises(AntsError, match="no answer within 0.3 s"):
            await client.status(["V000000001"])
    assert time.monotonic() - began < 3


async def test_an_unreachable_ants_refuses_the_booking(ants: tuple[FakeAnts, str]) -> None:
    """When the ANTS cannot be asked, the check refuses with "unavailable" rather than let duplicates through."""
    fake, url = ants
    fake.fail_with = 503
    async with AntsClient(url, API_TOKEN) as client:
        check = await check_numbers(client, "demande", ["V000000001"], people=1)
    assert reasons(check.refusals) == [(None, "unavailable")]


# -- our search API, as the ANTS hub calls it -----------------------------------------------------------------------


class Directory:
    """The booking service as the hub sees it: two meeting points with slots, one whose search never ends."""

    def __init__(self) -> None:
        self.asked: list[tuple[Sequence[str], date, date, str, int]] = []

    async def meeting_points(self) -> list[MeetingPoint]:
        return [MAIRIE, ANNEXE, SLOW]

    async def free_slots(self, meeting_point_ids: Sequence[str], first: date, last: date, reason: str,
                         documents_number: int) -> dict[str, list[TimeSlot]]:
        self.asked.append((meeting_point_ids, first, last, reason, documents_number))
        if SLOW.id in meeting_point_ids:
            await anyio.Event().wait()  # never set: only the hub's budget ends this search
        day = datetime.combine(first, datetime.min.time(), PARIS)
        return {point: [TimeSlot(day.replace(hour=h, minute=m), f"https://guichet.example/book?at={h}{m}")
                        for h, m in ((10, 20), (9, 0), (9, 0))]
                for point in meeting_point_ids if point in (MAIRIE.id, ANNEXE.id)}

    async def appointments_of(self, application_ids: Sequence[str]) -> dict[str, list[Booked]]:
        booked = Booked("Mairie de Saint-Martin", datetime(2030, 3, 4, 9, 30, tzinfo=PARIS),
                        "https://guichet.example/a/abc", "https://guichet.example/a/abc/cancel")
        return {i: [booked] for i in application_ids if i == "V000000001"}


@pytest.fixture
async def hub() -> AsyncIterator[tuple[httpx.AsyncClient, Directory]]:
    """Our search API served for real, and a client sending the ANTS' token."""
    directory = Directory()
    app = Starlette(routes=ants_routes(directory, HUB_TOKEN, slots_budget_s=0.5))
    async with served(app) as url, httpx.AsyncClient(base_url=url, headers={"X-HUB-RDV-AUTH-TOKEN": HUB_TOKEN},
                                                      timeout=15) as client:
        yield client, directory


SLOTS = {"meeting_point_ids": ["12", "13"], "start_date": "2030-03-04", "end_date": "2030-03-31",
         "reason": "PASSPORT", "documents_number": "2"}


async def test_the_search_api_refuses_a_missing_or_wrong_token(hub: tuple[httpx.AsyncClient, Directory]) -> None:
    """Without the ANTS' token, or with another, each route answers 401 problem+json."""
    client, _directory = hub
    for path in ("getManagedMeetingPoints", "availableTimeSlots", "searchApplicationIds"):
        for headers in ({"X-HUB-RDV-AUTH-TOKEN": ""}, {"X-HUB-RDV-AUTH-TOKEN": "not-the-token"}):
            answer = await client.get(f"/api/ants/{path}", headers=headers)
            assert answer.status_code == 401, path
            assert answer.headers["content-type"] == "application/problem+json"


async def test_an_empty_configured_token_lets_nobody_in() -> None:
    """A hub token left empty refuses every call, even one sending an empty header."""
    async with served(Starlette(routes=ants_routes(Directory(), ""))) as url, httpx.AsyncClient() as client:
        answer = await client.get(f"{url}/api/ants/getManagedMeetingPoints", headers={"X-HUB-RDV-AUTH-TOKEN": ""})
    assert answer.status_code == 401


async def test_the_meeting_points_are_listed(hub: tuple[httpx.AsyncClient, Directory]) -> None:
    """getManagedMeetingPoints lists each meeting point with the contract's fields."""
    client, _directory = hub
    answer = await client.get("/api/ants/getManagedMeetingPoints")
    assert answer.status_code == 200
    assert answer.json()[0] == {
        "id": "12", "name": "Mairie de Saint-Martin", "longitude": 2.35, "latitude": 48.85,
        "public_entry_address": "1 place de la Mairie", "zip_code": "75001", "city_name": "Paris",
        "website": "https://saint-martin.example", "city_logo": None}
    assert [p["id"] for p in answer.json()] == ["12", "13", "99"]


async def test_free_slots_per_meeting_point(hub: tuple[httpx.AsyncClient, Directory]) -> None:
    """availableTimeSlots gives each meeting point's slots in time order, once each, local time with a Z."""
    client, directory = hub
    answer = await client.get("/api/ants/availableTimeSlots", params=SLOTS)
    assert answer.status_code == 200
    expected = [{"datetime": "2030-03-04T09:00Z", "callback_url": "https://guichet.example/book?at=90"},
                {"datetime": "2030-03-04T10:20Z", "callback_url": "https://guichet.example/book?at=1020"}]
    assert answer.json() == {"12": expected, "13": expected}
    assert sorted(directory.asked) == [(["12"], date(2030, 3, 4), date(2030, 3, 31), "PASSPORT", 2),
                                       (["13"], date(2030, 3, 4), date(2030, 3, 31), "PASSPORT", 2)]


async def test_a_slow_search_is_answered_in_time_with_what_was_found(
        hub: tuple[httpx.AsyncClient, Directory]) -> None:
    """A meeting point whose search does not end is left out, and the others' slots come within the budget."""
    client, _directory = hub
    began = time.monotonic()
    answer = await client.get("/api/ants/availableTimeSlots", params={**SLOTS, "meeting_point_ids": ["99", "12"]})
    elapsed = time.monotonic() - began
    assert answer.status_code == 200 and list(answer.json()) == ["12"]
    assert 0.5 <= elapsed < 5  # the budget (0.5 s here, 10 s by default), well within the ANTS' 15 s


async def test_slot_search_parameters_are_checked(hub: tuple[httpx.AsyncClient, Directory]) -> None:
    """An unknown reason, dates out of order, a missing date or a zero count are 400 problem+json."""
    client, _directory = hub
    for wrong in ({"reason": "VISA"}, {"start_date": "2030-04-01"}, {"end_date": ""}, {"documents_number": "0"}):
        answer = await client.get("/api/ants/availableTimeSlots", params={**SLOTS, **wrong})
        assert answer.status_code == 400, wrong
        assert answer.headers["content-type"] == "application/problem+json"


async def test_the_slot_search_spans_at_most_190_days(hub: tuple[httpx.AsyncClient, Directory]) -> None:
    """A year asked for is searched over its first 190 days."""
    client, directory = hub
    await client.get("/api/ants/availableTimeSlots", params={**SLOTS, "end_date": "2031-03-04"})
    assert {asked[2] for asked in directory.asked} == {date(2030, 3, 4) + timedelta(days=190)}


async def test_search_application_ids_finds_an_appointment(hub: tuple[httpx.AsyncClient, Directory]) -> None:
    """searchApplicationIds gives our appointment for a number, and an empty list for one without."""
    client, _directory = hub
    answer = await client.get("/api/ants/searchApplicationIds",
                              params={"application_ids": ["v000000001", "X000000001"]})
    assert answer.status_code == 200
    assert answer.json() == {
        "V000000001": [{"meeting_point": "Mairie de Saint-Martin", "datetime": "2030-03-04T09:30Z",
                        "management_url": "https://guichet.example/a/abc",
                        "cancel_url": "https://guichet.example/a/abc/cancel"}],
        "X000000001": []}


# -- settings -------------------------------------------------------------------------------------------------------


def test_the_documented_ants_section_is_the_defaults_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """config.example.toml's [ants] section equals the defaults, off; QUEUE_ANTS_* override it, tokens unseen."""
    with open(ROOT / "config.example.toml", "rb") as f:
        documented = tomllib.load(f)["ants"]
    assert AntsSettings(**documented) == AntsSettings() and not AntsSettings().enabled
    monkeypatch.setenv("QUEUE_ANTS_ENABLED", "true")
    monkeypatch.setenv("QUEUE_ANTS_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("QUEUE_ANTS_HUB_TOKEN", HUB_TOKEN)
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.ants.enabled and settings.ants.api_token.get_secret_value() == API_TOKEN
    assert settings.ants.hub_token.get_secret_value() == HUB_TOKEN
    assert API_TOKEN not in repr(settings) and HUB_TOKEN not in repr(settings)
