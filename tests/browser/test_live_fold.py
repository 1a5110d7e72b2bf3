"""The browser's fold against the server: the agent page (staff.js, its ``Staff.view`` kept by
``Live.fold`` of /static/live.js) and the counter client's board (counter_client/view.py), both fed by
the live feed alone, equal ``GET /state`` after each of a few hundred random actions (old state + new
events == fresh state), positions and estimates of the staff queue included.

Half way, both lose their connection for a few actions, and come back with ``since``: the events
they missed are replayed to them and folded like the others.

The actions are drawn by ``random.Random(SEED)`` among those the state allows (a few that it refuses,
409, are sent too and change nothing); ``GUICHET_FOLD_SEED`` and ``GUICHET_FOLD_ACTIONS`` try others. A
failure names the seed, the step and the actions so far."""

from __future__ import annotations

import copy
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import httpx
import orjson
from anyio.from_thread import start_blocking_portal
from playwright.sync_api import Page, expect
from websockets.sync.client import connect

from counter_client.board import Board, event_key
from counter_client.view import apply
from queue_server.client import LiveFeedClient
from queue_server.queue.protocol import SnapshotView
from tests.browser.conftest import Hall

SEED = int(os.environ.get("GUICHET_FOLD_SEED", "20261206"))
ACTIONS = int(os.environ.get("GUICHET_FOLD_ACTIONS", "300"))
TIMEOUT_S = 10.0
CUT = 8  # actions made while the page is offline
SERVICES = ("etat-civil", "passeports", "urbanisme")
COUNTERS = ("1", "2", "3", "4")
STAFF = ("agent", "supervisor")  # two names at the counters ("test agent", "test supervisor")
PRINTER = ("ok", "paper_low", "paper_out", "cover_open", "offline", "error")
MESSAGES = ("Fermeture à 16 h", "", "Pensez à votre justificatif", "")

# Before the page's scripts: every WebSocket it opens is kept in window.testSockets, so that the test can
# cut the feed's connection (Chromium's offline mode stops new connections, not those open).
KEEP_SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.testSockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.testSockets.push(this);
    }
  };
})();"""

# The page's view once it has reached an event id (a stream id, compared as numbers), as JSON; null if
# it has not within the time given.
PAGE_VIEW_AT = """async ([id, timeoutMs]) => {
  const key = (value) => String(value).split("-").map(Number);
  const reached = () => {
    const view = window.Staff.view;
    if (!view) return false;
    const [have, want] = [key(view.last_event_id), key(id)];
    return have[0] > want[0] || (have[0] === want[0] && (have[1] || 0) >= (want[1] || 0));
  };
  const until = Date.now() + timeoutMs;
  while (!reached()) {
    if (Date.now() > until) return null;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return JSON.stringify(window.Staff.view);
}"""


class Follower:
    """The counter client's board at counter 1, from the state at start and then the feed's events
    (as tests/counter/test_view.py has it), in a thread of its own: Playwright's sync API holds this
    thread's event loop."""

    def __init__(self, hall: Hall, state: SnapshotView) -> None:
        self.board = Board(hall.site, "1")
        self.board.take_snapshot(copy.deepcopy(state))
        self.changed = threading.Condition()
        self.feed = LiveFeedClient(hall.url, hall.site, hall.tokens["agent"], self.take,
                                   since=state["last_event_id"])

    def take(self, message: dict[str, Any]) -> None:
        with self.changed:
            self.board.take_event(message)
            self.changed.notify_all()

    async def cut(self) -> None:
        """Closes the feed's connection (once it has one): the client comes back at once, with ``since``."""
        with anyio.fail_after(TIMEOUT_S):
            while self.feed.connection is None:
                await anyio.sleep(0.01)
        await self.feed.connection.close()

    def view_at(self, event_id: str) -> SnapshotView | None:
        """The board's view once it has reached ``event_id``; None if it has not within ``TIMEOUT_S``."""
        def reached() -> bool:
            return self.board.snapshot is not None and \
                event_key(self.board.snapshot["last_event_id"]) >= event_key(event_id)

        with self.changed:
            if not self.changed.wait_for(reached, TIMEOUT_S):
                return None
            assert not self.board.incomplete, "an event could not be folded whole"
            return copy.deepcopy(self.board.snapshot)


def names(items: list[Any]) -> list[Any]:
    """A list of tickets (or counters, services) by number or id, to say which are where."""
    return [i.get("number", i.get("id")) if isinstance(i, dict) else i for i in items]


def differences(expected: Any, actual: Any, path: str = "") -> Iterator[str]:
    """Where ``actual`` differs from ``expected``, one line each."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys()):
            if key not in actual:
                yield f"{path}.{key}: missing (expected {expected[key]!r})"
            elif key not in expected:
                yield f"{path}.{key}: unexpected {actual[key]!r}"
            else:
                yield from differences(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual) or names(expected) != names(actual):
            yield f"{path}: {names(actual)} instead of {names(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            yield from differences(e, a, f"{path}[{i}]")
    elif expected != actual:
        yield f"{path}: {actual!r} instead of {expected!r}"


@dataclass
class Action:
    what: str  # for the log
    method: str
    path: str  # under the site
    role: str
    body: dict[str, Any] | None = None


@dataclass
class Actions:
    """Random actions that the state allows, mostly (``rng`` decides everything)."""

    rng: random.Random
    no_shows: list[str] = field(default_factory=list)  # tickets marked no-show, not back in the queue
    by_kiosk: set[str] = field(default_factory=set)  # tickets a kiosk issued (those can be reprinted)
    numbers: dict[str, str] = field(default_factory=dict)  # ticket id -> number, for the log

    def staff(self) -> str:
        return self.rng.choice(STAFF)

    def choose(self, state: dict[str, Any]) -> Action:
        rng = self.rng
        waiting: list[dict[str, Any]] = state["queue"]
        held = [c["ticket"] for c in state["counters"] if c["ticket"] is not None]
        called = [t for t in held if t["status"] == "called"]
        serving = [t for t in held if t["status"] == "serving"]
        ready = [c["id"] for c in state["counters"] if c["ticket"] is None or c["ticket"]["status"] == "serving"]
        busy = [c["id"] for c in state["counters"] if c["ticket"] is not None and c["ticket"]["status"] == "called"]
        self.numbers.update((t["id"], t["number"]) for t in [*waiting, *held, *state["recent_calls"]])
        candidates: list[tuple[float, Any]] = [
            (8 if len(waiting) < 6 else 4 if len(waiting) < 30 else 1, self.issue),
            (2, self.counter),
            (0.3, lambda: Action("display message", "PUT", "/display/message", "supervisor",
                                 {"text": rng.choice(MESSAGES)})),
            (0.3, lambda: Action("printer", "PUT", "/kiosks/self/printer", "kiosk", {"status": rng.choice(PRINTER)})),
        ]
        if ready:
            candidates.append((6, lambda: self.next(rng.choice(ready))))
        if busy:
            candidates.append((0.3, lambda: self.next(rng.choice(busy))))  # refused: its call is not served
        if waiting and ready:
            candidates.append((2, lambda: self.ticket("call", rng.choice(waiting), {"counter": rng.choice(ready)})))
        if called:
            candidates += [(1.5, lambda: self.ticket("recall", rng.choice(called))),
                           (4, lambda: self.ticket("start", rng.choice(called))),
                           (1.5, lambda: self.ticket("no-show", rng.choice(called)))]
        if serving:
            candidates.append((4, lambda: self.ticket("finish", rng.choice(serving))))
        if self.no_shows:
            candidates.append((1.5, lambda: self.requeue(rng.choice(self.no_shows))))
        open_tickets = waiting + held
        if open_tickets:
            candidates += [(2, lambda: self.transfer(rng.choice(open_tickets))),
                           (0.8, lambda: self.ticket("note", rng.choice(open_tickets),
                                                     {"text": "Malentendant"}, method="PUT"))]
        if waiting or called:
            candidates.append((1.2, lambda: self.ticket("cancel", rng.choice(waiting + called))))
        reprintable = [t for t in open_tickets if t["id"] in self.by_kiosk]
        if reprintable:
            candidates.append((0.4, lambda: self.ticket("reprint", rng.choice(reprintable))))
        make = rng.choices([c[1] for c in candidates], weights=[c[0] for c in candidates])[0]
        return cast(Action, make())

    def issue(self) -> Action:
        service = self.rng.choice(SERVICES)
        priority = self.rng.random() < 0.2
        role = "kiosk" if self.rng.random() < 0.3 else self.staff()
        body = {"service": service, "priority": priority, "lang": self.rng.choice(("fr", "en"))}
        return Action(f"issue {service}{' priority' if priority else ''} ({role})", "POST", "/tickets", role, body)

    def next(self, counter: str) -> Action:
        services: list[str] | None = None
        if self.rng.random() < 0.6:
            services = self.rng.sample(SERVICES, self.rng.randint(1, len(SERVICES)))
        return Action(f"next at {counter} {services or 'all'}", "POST", f"/counters/{counter}/next", self.staff(),
                      {"services": services} if services else None)

    def counter(self) -> Action:
        counter, action = self.rng.choice(COUNTERS), self.rng.choice(("open", "pause", "close"))
        return Action(f"{action} counter {counter}", "POST", f"/counters/{counter}/{action}", self.staff())

    def ticket(self, action: str, ticket: dict[str, Any], body: dict[str, Any] | None = None,
               method: str = "POST") -> Action:
        return Action(f"{action} {ticket['number']} ({ticket['status']}) {body or ''}", method,
                      f"/tickets/{ticket['id']}/{action}", self.staff(), body)

    def requeue(self, ticket_id: str) -> Action:
        return Action(f"requeue {self.numbers.get(ticket_id, ticket_id)}", "POST", f"/tickets/{ticket_id}/requeue",
                      self.staff())

    def transfer(self, ticket: dict[str, Any]) -> Action:
        body: dict[str, Any] = {"service": self.rng.choice(SERVICES), "to_front": self.rng.random() < 0.4}
        if self.rng.random() < 0.3:
            body["note"] = "Dossier incomplet"
        return self.ticket("transfer", ticket, body)

    def done(self, action: Action, answer: httpx.Response) -> None:
        """What the answer tells about the tickets this model follows."""
        if answer.status_code not in (200, 201):
            return
        ticket_id = action.path.split("/")[2] if action.path.startswith("/tickets/") else None
        if action.path == "/tickets" and action.role == "kiosk":
            self.by_kiosk.add(answer.json()["id"])
        elif ticket_id and action.path.endswith("/no-show") and ticket_id not in self.no_shows:
            self.no_shows.append(ticket_id)
        elif ticket_id and action.path.endswith("/requeue") and ticket_id in self.no_shows:
            self.no_shows.remove(ticket_id)


def test_the_page_and_the_python_client_fold_the_feed_into_the_state(page: Page, hall: Hall) -> None:
    """Issue (some priority, by kiosk or staff), call next with various services, call out of turn,
    recall, start, finish, no-show, requeue, transfer (to the front, with a note), cancel, note, reprint,
    open, pause and close counters, set the displays' message, report a printer: after each action,
    the agent page's folded view and the Python board's both equal GET /state, exactly."""
    rng = random.Random(SEED)
    actions = Actions(rng)
    log: list[str] = []
    headers = {role: hall.auth(role) for role in ("agent", "supervisor", "kiosk")}
    base = f"{hall.url}/api/v1/sites/{hall.site}"
    page.add_init_script(KEEP_SOCKETS)
    hall.sign_in(page, "agent", "/counter")
    page.locator("#setup-form button[type=submit]").click()  # counter 1, every service
    expect(page.locator("#connection")).to_have_text("En direct")
    expect(page.locator("#counter-status")).to_have_text("Ouvert")  # choosing the counter opened it
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=TIMEOUT_S) as http, start_blocking_portal() as portal:

        def state() -> dict[str, Any]:
            answer = http.get("/state", headers=headers["agent"])
            assert answer.status_code == 200, answer.text
            return cast(dict[str, Any], answer.json())

        fresh = state()
        follower = Follower(hall, cast(SnapshotView, fresh))
        running = portal.start_task_soon(follower.feed.run)
        refused = 0
        try:
            for step in range(ACTIONS + 1):
                if step == ACTIONS // 2:  # both lose their connection, and resume with since
                    page.context.set_offline(True)
                    page.evaluate("window.testSockets.forEach((socket) => socket.close())")
                    expect(page.locator("#connection")).to_have_class(re.compile(r"\bdown\b"))
                    portal.call(follower.cut)
                elif step == ACTIONS // 2 + CUT:
                    page.context.set_offline(False)
                offline = ACTIONS // 2 <= step < ACTIONS // 2 + CUT
                if step:
                    action = actions.choose(fresh)
                    answer = http.request(action.method, action.path, json=action.body, headers=headers[action.role])
                    log.append(f"{step}: {action.what} -> {answer.status_code}")
                    where = f"seed {SEED}, step {step}; the actions:\n" + "\n".join(log[-40:])
                    assert answer.status_code in (200, 201, 204, 409), f"{answer.text}\n{where}"
                    refused += answer.status_code == 409
                    actions.done(action, answer)
                    fresh = state()
                else:
                    where = f"seed {SEED}, at start"
                if not offline:
                    raw = page.evaluate(PAGE_VIEW_AT, [fresh["last_event_id"], TIMEOUT_S * 1000])
                    assert raw is not None, f"the page never reached {fresh['last_event_id']}; {where}"
                    wrong = list(differences(fresh, orjson.loads(raw)))
                    assert not wrong, "the page's view is not the state:\n" + "\n".join(wrong[:20]) + "\n" + where
                board = follower.view_at(fresh["last_event_id"])
                assert board is not None, f"the board never reached {fresh['last_event_id']}; {where}"
                wrong = list(differences(fresh, board))
                assert not wrong, "the board's view is not the state:\n" + "\n".join(wrong[:20]) + "\n" + where
        finally:
            running.cancel()
    elapsed = time.monotonic() - started
    urls = page.evaluate("window.testSockets.map((socket) => socket.url)")
    assert len(urls) >= 2 and "since=" in urls[-1], urls  # the page resumed after the cut
    assert follower.feed.connections == 2  # resumed once
    assert refused < ACTIONS // 4, f"{refused} of {ACTIONS} actions were refused (seed {SEED})"
    print(f"{ACTIONS} actions (seed {SEED}, {refused} refused, {len(fresh['queue'])} waiting at the end) "
          f"in {elapsed:.1f} s")


def test_a_public_view_folds_into_the_public_state(hall: Hall) -> None:
    """What kiosks and displays receive (the public view and its events), folded, is GET /state for a
    display: a visit served at a counter changes the service's figures (served, the estimates that the
    kiosk shows) and frees the counter: its start and end reach public screens."""
    def post(path: str, body: dict[str, Any] | None = None, role: str = "agent") -> dict[str, Any]:
        answer = hall.api("POST", path, role, json=body)
        assert answer.status_code in (200, 201), answer.text
        return cast(dict[str, Any], answer.json())

    with connect(f"ws://127.0.0.1:{hall.port}/ws/sites/{hall.site}?token={hall.tokens['display']}") as feed:
        view = orjson.loads(feed.recv(TIMEOUT_S))["data"]
        first = post("/tickets", {"service": "etat-civil"}, "kiosk")
        post("/tickets", {"service": "etat-civil"}, "kiosk")
        post("/counters/1/next")
        post(f"/tickets/{first['id']}/start")
        post(f"/tickets/{first['id']}/finish")
        post("/tickets", {"service": "passeports"}, "kiosk")  # the feed's last event, to know when it is there
        fresh = hall.api("GET", "/state", "display").json()
        while view["last_event_id"] != fresh["last_event_id"]:
            apply(view, orjson.loads(feed.recv(TIMEOUT_S)))
    wrong = list(differences(fresh, view))
    assert not wrong, "\n".join(wrong)
