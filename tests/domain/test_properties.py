"""Properties of the rules under random command sequences (hypothesis, stateful).

Whatever commands arrive, in whatever order, at whatever (even lagging) times: numbers are never
duplicated and run 1..n per service and day, a waiting ticket is called at most once, a counter calls an
appointment ticket before any walk-in and a priority walk-in before the others, the queues
match the tickets, deciding never touches the state, ``clone`` isolates, and a state resumed from a
snapshot decides exactly like the one that never stopped.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from queue_server.queue.codec import decode_state, encode_state
from queue_server.queue.domain import commands as c
from queue_server.queue.domain.config import CounterConfig, ServiceConfig, SiteConfig
from queue_server.queue.domain.decide import decide
from queue_server.queue.domain.errors import DomainError
from queue_server.queue.domain.events import Event, TicketCalled, TicketIssued, TicketRequeued, TicketTransferred
from queue_server.queue.domain.state import SiteState, Ticket, evolve

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ((480, 1080),)  # 8:00–18:00
CONFIG = SiteConfig(
    "mairie",
    services=(
        ServiceConfig("etat-civil", "État civil", "A"),
        ServiceConfig("passeports", "Passeports", "P", weight=2.0, daily_cap=8),
        ServiceConfig("urbanisme", "Urbanisme", "U", weight=0.5, hours=dict.fromkeys(range(5), WEEKDAYS)),
    ),
    counters=(
        CounterConfig("1", "Guichet 1", ("etat-civil", "passeports", "urbanisme")),
        CounterConfig("2", "Guichet 2", ("etat-civil", "passeports")),
        CounterConfig("3", "Guichet 3", ("urbanisme",)),
    ),
)
SERVICES = tuple(s.id for s in CONFIG.services)
COUNTERS = st.sampled_from(tuple(k.id for k in CONFIG.counters))
PREFIXES = {s.id: s.prefix for s in CONFIG.services}
TICKET_COMMANDS: dict[str, type[c.TicketCommand]] = {
    "recall": c.Recall, "no_show": c.MarkNoShow, "cancel": c.Cancel, "requeue": c.Requeue,
}
COUNTER_COMMANDS: dict[str, type[c.CounterCommand]] = {
    "open": c.OpenCounter, "pause": c.PauseCounter, "close": c.CloseCounter,
}


def frozen(state: SiteState) -> dict[str, Any]:
    """Everything a state holds, as plain comparable values (empty queues carry no information)."""
    return {
        "last_event_id": state.last_event_id,
        "day": state.day,
        "seq": dict(state.seq),
        "tickets": dict(state.tickets),
        "queues": {k: list(v) for k, v in state.queues.items() if v},
        "idempotency": dict(state.idempotency),
        "applied": dict(state.applied),
        "counters": dict(state.counters),
        "visit_s": dict(state.visit_s),
        "shown_wait": dict(state.shown_wait),
        "recent_calls": list(state.recent_calls),
        "printers": dict(state.printers),
    }


def decision(state: SiteState, command: c.Command, now: datetime) -> list[Event] | tuple[str, str]:
    try:
        return decide(state, command, now)
    except DomainError as refusal:
        return (type(refusal).__name__, refusal.message)


class SiteRules(RuleBasedStateMachine):
    """One site driven by random commands; ``resumed`` is the same site restarted from snapshots."""

    def __init__(self) -> None:
        super().__init__()
        self.state = SiteState(CONFIG)
        self.resumed = SiteState(CONFIG)
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.sent: list[c.Command] = []
        self.ids = 0
        self.issued: dict[tuple[str, str], list[TicketIssued]] = defaultdict(list)
        self.calls_while_waiting: dict[str, int] = {}

    def fresh(self, kind: str) -> str:
        self.ids += 1
        return f"{kind}{self.ids}"

    def run(self, command: c.Command, seconds: int = 0, lag: int = 0) -> None:
        """Decide ``command`` a little later (by a clock ``lag`` seconds behind), check the rules around
        it, and fold its events."""
        self.now += timedelta(seconds=seconds)
        now = self.now - timedelta(seconds=lag)
        self.sent.append(command)
        before = frozen(self.state)
        result = decision(self.state, command, now)
        assert frozen(self.state) == before, "decide changed the state"
        assert decision(self.resumed, command, now) == result, "a resumed state decided differently"
        events = [] if isinstance(result, tuple) else result

        tentative = self.state.clone()
        for event in events:
            if isinstance(event, TicketCalled) and isinstance(command, c.CallNext):
                self.called_in_order(tentative, command, tentative.tickets[event.ticket_id])
            if isinstance(event, TicketCalled):
                assert tentative.tickets[event.ticket_id].status == "waiting"
                self.calls_while_waiting[event.ticket_id] += 1
                assert self.calls_while_waiting[event.ticket_id] == 1, "a waiting ticket was called twice"
            if isinstance(event, TicketIssued | TicketRequeued | TicketTransferred):
                self.calls_while_waiting[event.ticket_id] = 0
            evolve(tentative, event)
            evolve(self.resumed, event)
            if isinstance(event, TicketIssued):
                assert tentative.day is not None
                self.issued[(tentative.day, event.service)].append(event)
        assert frozen(self.state) == before, "evolving a clone changed the original"
        self.state = tentative

    @staticmethod
    def called_in_order(state: SiteState, command: c.CallNext, chosen: Ticket) -> None:
        """The ticket a counter calls next is an appointment ticket whenever one waits in the services it calls
        from; else a priority walk-in whenever one waits there."""
        counter = CONFIG.counter(command.counter)
        assert counter is not None
        services = command.services or counter.services
        waiting = [t for t in state.tickets.values() if t.status == "waiting" and t.service in services]
        assert chosen.booked == any(t.booked for t in waiting), "an appointment ticket was passed by a walk-in"
        if not chosen.booked:
            assert chosen.priority == any(t.priority for t in waiting), "a priority walk-in was passed"

    def pick(self, data: st.DataObject) -> str:
        """One of today's tickets (or an unknown id when there is none)."""
        return data.draw(st.sampled_from(sorted(self.state.tickets) or ["unknown"]))

    # Time ------------------------------------------------------------------------------------

    @initialize(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)))
    def begin(self, start: datetime) -> None:
        self.now = start.replace(tzinfo=UTC)

    @rule(seconds=st.integers(0, 3600) | st.integers(-300, 0) | st.integers(3600, 30 * 3600))
    def wait(self, seconds: int) -> None:
        """Minutes pass, or a night, or the next command comes from a process whose clock lags."""
        self.now += timedelta(seconds=seconds)

    @rule(seconds=st.integers(0, 300))
    def past_midnight(self, seconds: int) -> None:
        """The clock moves to just after the site's next local midnight."""
        tomorrow = self.now.astimezone(PARIS).date() + timedelta(days=1)
        self.now = datetime.combine(tomorrow, time(), tzinfo=PARIS).astimezone(UTC) + timedelta(seconds=seconds)

    # Commands --------------------------------------------------------------------------------

    @rule(service=st.sampled_from(SERVICES), counter=COUNTERS, lag=st.integers(1, 900), call=st.booleans())
    def from_a_lagging_clock(self, service: str, counter: str, lag: int, call: bool) -> None:
        """A process whose clock is behind (perhaps still yesterday) issues or calls."""
        command: c.Command = (
            c.CallNext(command_id=self.fresh("c"), counter=counter) if call
            else c.IssueTicket(command_id=self.fresh("c"), ticket_id=self.fresh("t"), service=service)
        )
        self.run(command, lag=lag)

    @rule(service=st.sampled_from(SERVICES), priority=st.booleans(), key=st.sampled_from([None, None, "k1", "k2"]),
          lang=st.sampled_from(["fr", "en"]), seconds=st.integers(0, 120),
          appointment=st.sampled_from([None, None, None, "K7M2QX", "B4RT9Z"]))
    def issue(self, service: str, priority: bool, key: str | None, lang: str, seconds: int,
              appointment: str | None) -> None:
        """A walk-in takes a ticket, or a booked citizen checks in (``appointment``)."""
        self.run(c.IssueTicket(command_id=self.fresh("c"), ticket_id=self.fresh("t"), service=service,
                               priority=priority, idempotency_key=key, lang=lang,
                               issued_by=12 if priority else None, appointment=appointment), seconds)

    @rule(counter=COUNTERS, services=st.sampled_from([None, None, ("etat-civil",), ("passeports", "urbanisme")]),
          seconds=st.integers(0, 120))
    def call_next(self, counter: str, services: tuple[str, ...] | None, seconds: int) -> None:
        self.run(c.CallNext(command_id=self.fresh("c"), counter=counter, services=services), seconds)

    @rule(data=st.data(), counter=COUNTERS)
    def call_ticket(self, data: st.DataObject, counter: str) -> None:
        self.run(c.CallTicket(command_id=self.fresh("c"), ticket_id=self.pick(data), counter=counter))

    @rule(data=st.data(), seconds=st.integers(0, 120))
    def start(self, data: st.DataObject, seconds: int) -> None:
        self.run(c.Start(command_id=self.fresh("c"), ticket_id=self.pick(data)), seconds)

    @rule(data=st.data(), seconds=st.integers(0, 1200))
    def finish(self, data: st.DataObject, seconds: int) -> None:
        self.run(c.Finish(command_id=self.fresh("c"), ticket_id=self.pick(data)), seconds)

    @rule(data=st.data(), kind=st.sampled_from(sorted(TICKET_COMMANDS)))
    def ticket_command(self, data: st.DataObject, kind: str) -> None:
        self.run(TICKET_COMMANDS[kind](command_id=self.fresh("c"), ticket_id=self.pick(data)))

    @rule(data=st.data(), service=st.sampled_from(SERVICES), to_front=st.booleans())
    def transfer(self, data: st.DataObject, service: str, to_front: bool) -> None:
        self.run(c.Transfer(command_id=self.fresh("c"), ticket_id=self.pick(data), service=service,
                            to_front=to_front))

    @rule(data=st.data(), kiosk=st.sampled_from([None, 12, 13]))
    def reprint(self, data: st.DataObject, kiosk: int | None) -> None:
        self.run(c.Reprint(command_id=self.fresh("c"), ticket_id=self.pick(data), kiosk=kiosk))

    @rule(kiosk=st.sampled_from([12, 13]), status=st.sampled_from(["ok", "paper_out", "offline", "jammed"]),
          seconds=st.integers(0, 600))
    def report_printer(self, kiosk: int, status: str, seconds: int) -> None:
        """A kiosk's agent reports its printer (sometimes a status that does not exist)."""
        self.run(c.ReportPrinter(command_id=self.fresh("c"), kiosk=kiosk, status=status), seconds)

    @rule(text=st.sampled_from(["", "Bienvenue", " Bienvenue ", "x" * 281]))
    def set_display_message(self, text: str) -> None:
        """A supervisor sets the displays' message (sometimes one too long)."""
        self.run(c.SetDisplayMessage(command_id=self.fresh("c"), text=text))

    @rule(kind=st.sampled_from(sorted(COUNTER_COMMANDS)), counter=COUNTERS)
    def counter_command(self, kind: str, counter: str) -> None:
        self.run(COUNTER_COMMANDS[kind](command_id=self.fresh("c"), counter=counter))

    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        """A command sent again after its reply was lost (or a first command, if none was sent yet)."""
        self.run(data.draw(st.sampled_from(self.sent or [c.OpenCounter(command_id="c0", counter="1")])))

    @rule()
    def restart_from_snapshot(self) -> None:
        """The resumed site restarts from a snapshot of itself; later events are folded onto it."""
        self.resumed = decode_state(CONFIG, encode_state(self.resumed))

    # Invariants ------------------------------------------------------------------------------

    @invariant()
    def numbers_run_from_one_without_gaps_or_duplicates(self) -> None:
        for (_day, service), tickets in self.issued.items():
            assert [t.seq for t in tickets] == list(range(1, len(tickets) + 1))
            assert [t.number for t in tickets] == [f"{PREFIXES[service]}{t.seq:03d}" for t in tickets]

    @invariant()
    def queues_hold_exactly_the_waiting_tickets(self) -> None:
        for service in SERVICES:
            waiting = [t for t in self.state.tickets.values() if t.status == "waiting" and t.service == service]
            assert self.state.queues.get(service, []) == sorted(t.queue_key for t in waiting)

    @invariant()
    def each_busy_counter_holds_its_own_called_ticket(self) -> None:
        held = [k.ticket_id for k in self.state.counters.values() if k.ticket_id is not None]
        assert len(held) == len(set(held))
        for counter_id, counter in self.state.counters.items():
            if counter.ticket_id is not None:
                ticket = self.state.tickets[counter.ticket_id]
                assert ticket.status in ("called", "serving") and ticket.counter == counter_id

    @invariant()
    def the_resumed_state_equals_the_one_that_never_stopped(self) -> None:
        assert frozen(self.resumed) == frozen(self.state)


SiteRules.TestCase.settings = settings(
    max_examples=100, stateful_step_count=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class TestRandomCommandSequences(SiteRules.TestCase):  # type: ignore[misc,valid-type]
    """Random commands at random times never break numbering, calling, isolation or snapshots."""
