"""``queue-counter``: a counter agent's terminal client.

    queue-counter --server http://server:8000 --token AGENT_TOKEN --counter 3
    queue-counter --server http://server:8000 --user marie.dupont --counter 3 --services etat-civil

One key per action (``queue-counter --help`` lists them; Enter and space call the next ticket, so a foot
pedal or keypad mapped to Enter works), and a live view of the site: the counter with its ticket and a
running timer, the queue by service with its estimated wait, colleagues' last calls, and a status line
saying what the last action did, or why the server refused it.

Start-up: signs in (a token, or a person's login and password through the login form, like a browser),
finds the site (``--site``, else the token's or the person's only site) and checks the counter and
``--services`` against the site's state. A server that cannot be reached is waited for; credentials
refused, a wrong site, counter or service end the client with one line on stderr and exit status 2,
before the screen is taken. Then the terminal goes to cbreak mode (keys arrive one by one, unechoed)
and comes back as it was on every way out, Ctrl-C, SIGTERM and SIGHUP included.

While it runs: the live feed (``queue_server.client``) keeps the view current and reconnects by
itself ("connection lost, retrying" meanwhile). The view is the state read at start-up, then what the
feed says: it resumes after that state, every event updates the view (board.py), and a reconnection
either replays what was missed or sends a fresh snapshot. ``GET /state`` is asked again only when an
event could not be applied whole (a server from before ``data.services`` in events).

One action at a time: keys pressed while the server has not answered are ignored (a pedal that
bounces calls once).

Language: French, or English with ``--lang en`` (``QUEUE_COUNTER_LANG``, an English locale: language.py),
for the screen, the keys' help and every message, the login form's errors included; the server's
reasons for a refusal (its problem details) are English only, and shown as they are.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import signal
import sys
import termios
import tty
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from rich.console import Console
from rich.live import Live
from websockets.exceptions import InvalidStatus

from queue_server.client import LiveFeedClient, Revoked
from queue_server.queue.protocol import SnapshotView

from .board import Board, Connection
from .desk import current_or_refuse, doing, perform
from .keys import KeyDecoder
from .language import Gettext, gettext_of
from .prompt import CANCELLED, Choice, Intent, Keyboard
from .screen import render
from .server import CounterError, Identity, NotAllowed, Refused, Server, Unreachable
from .settings import OptionError, Options, counter_key, parse, remember_services, remembered_services

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_RETRY_S = 30.0
FEED_MAX_BACKOFF_S = 10.0  # someone watches the screen: the live feed tries again at least this often
STALE_RETRIES = 5  # GET /state answered by a process behind the feed: asked again this many times
TICK_S = 1.0
RESIGN_IN_S = 60.0


class StartError(Exception):
    """Why the client cannot start, in one line for stderr (exit status 2)."""


def say(text: str) -> None:
    print(f"queue-counter: {text}", file=sys.stderr, flush=True)


async def patiently(what: str, attempt: Callable[[], Awaitable[T]], _: Gettext) -> T:
    """``attempt()`` again, with growing delays, for as long as the server cannot be reached (``what``:
    what cannot be done meanwhile, in the language of ``_``)."""
    delay = 1.0
    while True:
        try:
            return await attempt()
        except Unreachable as exc:
            say(_("{problem}: {reason}; trying again in {seconds} s (Ctrl-C to stop)").format(
                problem=what, reason=exc, seconds=f"{delay:.0f}"))
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY_S)


def role_word(role: str, _: Gettext) -> str:
    """A staff role as the agent says it (any other, as the server names it)."""
    return {"agent": _("agent"), "supervisor": _("supervisor"), "admin": _("administrator")}.get(role, role)


def choose_site(identity: Identity, wanted: str | None, _: Gettext) -> str:
    """The site to work at: ``wanted`` if these credentials may work there, else their only site."""
    sites = identity.sites()
    if wanted is not None:
        role = identity.role_at(wanted)
        if identity.person and role is None:
            if sites:
                raise StartError(_("you have no role at the site {site} (your sites: {sites})").format(
                    site=repr(wanted), sites=", ".join(sites)))
            raise StartError(_("you have no role at the site {site}").format(site=repr(wanted)))
        return wanted
    if len(sites) == 1:
        return sites[0]
    if not sites and None in identity.roles:
        raise StartError(_("you may work at every site of your collectivity: say which with --site SITE"))
    if not sites:
        role = next(iter(identity.roles.values()), "?")
        raise StartError(_("the role {role} cannot work at a counter: use an agent's token (queue-server token "
                           "create --site SITE --role agent) or sign in as an agent").format(role=role))
    raise StartError(_("you work at several sites ({sites}): say which with --site SITE").format(
        sites=", ".join(sites)))


def check_counter(snapshot: SnapshotView, options: Options, services: tuple[str, ...] | None, _: Gettext) -> None:
    """``StartError`` unless the site has the counter and the services."""
    counters = [c["id"] for c in snapshot["counters"]]
    if options.counter not in counters:
        if not counters:
            raise StartError(_("the site {site} has no counter {counter} (it has no counters at all)").format(
                site=snapshot["site"], counter=repr(options.counter)))
        raise StartError(_("the site {site} has no counter {counter} (its counters: {counters})").format(
            site=snapshot["site"], counter=repr(options.counter), counters=", ".join(counters)))
    known = [s["id"] for s in snapshot["services"]]
    unknown = [s for s in services or () if s not in known]
    if unknown:
        values = {"site": snapshot["site"], "services": ", ".join(map(repr, unknown)), "known": ", ".join(known)}
        if options.services_given:
            raise StartError(_("the site {site} has no service {services} (its services: {known})").format(**values))
        raise StartError(_("the site {site} has no service {services} (its services: {known}); it was remembered "
                           "from an earlier --services: give --services again").format(**values))


class CounterClient:
    """The client's life: start-up checks, then the screen until the agent quits."""

    def __init__(self, options: Options, config: dict[str, Any], password: str | None) -> None:
        self.options = options
        self.config = config
        self.gettext = gettext_of(options.lang)
        self.server = Server(options.server, token=options.token, login=options.user, password=password,
                             lang=options.lang)
        self.keyboard = Keyboard(options.keymap, self.gettext)
        self.board: Board | None = None
        self.who = ""
        self.busy: str | None = None
        self.fatal: str | None = None
        self.signalled = 0  # the signal that stopped the client
        self.stop = asyncio.Event()
        self.dirty = asyncio.Event()  # the state is worth fetching again (an event could not be applied whole)
        self.live: Live | None = None
        self.tasks: asyncio.TaskGroup | None = None
        self.spawned: set[asyncio.Task[None]] = set()  # the action in flight, a note being read

    async def run(self) -> int:
        """Start, then interact until quit; the exit status."""
        _ = self.gettext
        try:
            try:
                board = await self.start()
            except StartError as exc:
                say(str(exc))
                return 2
            except NotAllowed as exc:
                say(_("the server refused: {reason}").format(reason=exc.detail))
                return 2
            except Refused as exc:
                say(str(exc))
                return 2
            await self.interact(board)
        finally:
            await self.close()
        if self.fatal is not None:
            say(self.fatal)
            return 1
        return 128 + self.signalled if self.signalled else 0

    async def close(self) -> None:
        await self.server.sign_out()
        await self.server.aclose()

    # Start-up -----------------------------------------------------------------------------------------

    async def start(self) -> Board:
        options, _ = self.options, self.gettext
        identity = await patiently(_("cannot sign in at {server}").format(server=options.server),
                                   self.server.identify, _)
        site = choose_site(identity, options.site, _)
        role = identity.role_at(site)
        if role is not None and role not in ("agent", "supervisor", "admin"):
            raise StartError(_("this token is for the role {role}: a counter needs an agent's token (queue-server "
                               "token create --site {site} --role agent)").format(role=role, site=site))
        try:
            snapshot = await patiently(_("cannot read the site's state"), lambda: self.server.state(site), _)
        except Refused as exc:
            raise StartError(_("cannot open the site {site}: {reason}").format(site=repr(site),
                                                                              reason=exc.detail)) from None
        key = counter_key(options.server, site, options.counter)
        services = options.services if options.services_given else remembered_services(self.config, key)
        check_counter(snapshot, options, services, _)
        if options.services_given:
            try:
                remember_services(options.config, key, services)
            except OSError as exc:
                say(_("cannot remember the services in {path}: {problem}").format(path=options.config,
                                                                                 problem=exc.strerror or exc))
        if identity.person:
            self.who = _("{name} ({role})").format(name=identity.name, role=role_word(role or "?", _))
        else:
            self.who = _("token: {name}").format(name=identity.name)
        board = Board(site, options.counter, services)
        board.take_snapshot(snapshot)
        self.board = board
        return board

    # The screen ---------------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The server's time, as well as this PC can tell."""
        return datetime.now(UTC) + self.server.clock_offset

    def redraw(self) -> None:
        if self.live is not None and self.board is not None:
            prompt = self.keyboard.prompt
            self.live.update(render(self.board, self.options.keymap, prompt, self.now(), self.gettext, self.who,
                                    self.busy), refresh=True)

    async def interact(self, board: Board) -> None:
        """The screen and the keys, until quit, a signal, the end of the input or a fatal refusal."""
        loop = asyncio.get_running_loop()
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        keys: asyncio.Queue[str] = asyncio.Queue()
        decoder = KeyDecoder()

        def readable() -> None:
            try:
                data = os.read(fd, 1024)
            except OSError:
                data = b""
            if not data:  # the terminal went away
                self.stop.set()
                return
            for key in decoder.feed(data):
                keys.put_nowait(key)

        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        try:
            tty.setcbreak(fd, termios.TCSANOW)
            loop.add_reader(fd, readable)
            for number in signals:
                loop.add_signal_handler(number, self.halt, number)
            loop.add_signal_handler(signal.SIGWINCH, self.redraw)
            # Ctrl-Z would leave the terminal in cbreak mode on the other screen, under the shell.
            loop.add_signal_handler(signal.SIGTSTP, lambda: None)
            with Live(console=Console(), screen=True, auto_refresh=False, transient=False) as live:
                self.live = live
                self.redraw()
                async with asyncio.TaskGroup() as tasks:
                    self.tasks = tasks
                    # The feed resumes after the state read at start-up (or sends a snapshot if it cannot).
                    since = board.snapshot["last_event_id"] if board.snapshot is not None else None
                    feed = LiveFeedClient(self.options.server, board.site, None, self.on_message, since=since,
                                          headers=self.server.feed_headers, on_connect=lambda: self.on_status("live"),
                                          on_lost=lambda: self.on_status("lost"), max_backoff_s=FEED_MAX_BACKOFF_S,
                                          retry_invalid_handshakes=True)
                    running = [tasks.create_task(self.follow(feed)), tasks.create_task(self.refresh()),
                               tasks.create_task(self.tick()), tasks.create_task(self.read_keys(keys))]
                    self.read_note()  # of the ticket at the counter at start-up, if it has one
                    await self.stop.wait()
                    for task in (*running, *self.spawned):
                        task.cancel()
                self.live = self.tasks = None
        finally:
            loop.remove_reader(fd)
            for number in (*signals, signal.SIGWINCH, signal.SIGTSTP):
                loop.remove_signal_handler(number)
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def halt(self, number: int) -> None:
        """A signal: stop as if the agent quit, with the exit status 128 + its number."""
        self.signalled = self.signalled or number
        self.stop.set()

    async def follow(self, feed: LiveFeedClient) -> None:
        """Run the live feed. Refused for good, a person's session is opened again (at most once a
        minute: the password may have changed, or the account been disabled); a token's ends the client."""
        assert self.board is not None
        _ = self.gettext
        last_sign_in = -RESIGN_IN_S
        while True:
            try:
                await feed.run()
            except (InvalidStatus, Revoked) as exc:
                why = feed_refusal(exc, _)
                now = asyncio.get_running_loop().time()
                if self.server.login is None or now - last_sign_in < RESIGN_IN_S:
                    self.fatal = why
                    break
                last_sign_in = now
                try:
                    await self.server.sign_in()
                except CounterError as refused:
                    self.fatal = _("{problem}; signing in again failed: {reason}").format(problem=why, reason=refused)
                    break
                self.board.say(_("The session had ended: signed in again."), "info", self.now())
        self.stop.set()

    def on_message(self, message: dict[str, Any]) -> None:
        """A snapshot or an event of the feed: the view follows it, with no request."""
        assert self.board is not None
        self.board.take_event(message)
        if self.board.incomplete:
            self.dirty.set()
        self.read_note()
        self.redraw()

    def on_status(self, status: Connection) -> None:
        assert self.board is not None
        if self.board.connection != status:
            self.board.connection = status
            if status == "live" and self.board.incomplete:
                self.dirty.set()  # a fetch that failed while the feed was away
            self.redraw()

    async def refresh(self) -> None:
        """Fetch the site's state when an event could not be applied whole (an older server's); several
        such events in a row make one fetch. A state behind the feed is asked again, a few times."""
        assert self.board is not None
        board = self.board
        stale = 0
        while True:
            await self.dirty.wait()
            self.dirty.clear()
            try:
                snapshot = await self.server.state(board.site)
            except CounterError as exc:
                log.info("cannot fetch the state: %s", exc)
                continue  # the feed's next incomplete event asks again
            if board.behind(snapshot) and stale < STALE_RETRIES:
                stale += 1
                await asyncio.sleep(0.2)
                self.dirty.set()
                continue
            stale = 0
            board.take_snapshot(snapshot)
            self.read_note()
            self.redraw()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the screen's task group (cancelled when the client stops)."""
        assert self.tasks is not None
        task = self.tasks.create_task(work)
        self.spawned.add(task)
        task.add_done_callback(self.spawned.discard)

    def read_note(self) -> None:
        """Fetch the note of the ticket at the counter, once, if it has one."""
        assert self.board is not None
        ticket = self.board.note_wanted()
        if ticket is not None:
            self.board.notes[ticket["id"]] = None  # asked: not again, whatever the answer
            self.spawn(self._read_note(ticket["id"], ticket["number"]))

    async def _read_note(self, ticket_id: str, number: str) -> None:
        assert self.board is not None
        try:
            self.board.notes[ticket_id] = await self.server.note(self.board.site, ticket_id)
        except CounterError as exc:
            # The number, never the id: a ticket's id is its holder's key to follow it.
            log.info("cannot read the note of ticket %s: %s", number, exc)
            self.board.notes[ticket_id] = self.gettext("(a colleague left a note, which could not be read: "
                                                       "{problem})").format(problem=exc)
        self.redraw()

    async def tick(self) -> None:
        """Redraw every second: the timer runs."""
        while True:
            await asyncio.sleep(TICK_S)
            self.redraw()

    async def read_keys(self, keys: asyncio.Queue[str]) -> None:
        assert self.board is not None
        board = self.board
        while True:
            key = await keys.get()
            outcome = self.keyboard.press(key)
            if outcome == CANCELLED:
                board.say(self.gettext("Cancelled."), "info", self.now())
            elif isinstance(outcome, Intent):
                self.begin(outcome)
            self.redraw()

    def begin(self, intent: Intent) -> None:
        """Open the dialogue the intent needs, or send it (one request at a time)."""
        assert self.board is not None
        board, now, _ = self.board, self.now(), self.gettext
        if intent.action == "quit":
            self.stop.set()
            return
        if self.busy is not None:
            board.say(_("Still waiting for the server ({doing}): key ignored.").format(doing=self.busy), "info", now)
            return
        try:
            if intent.action == "transfer" and intent.service is None:
                ticket = current_or_refuse(board, "transfer", _)
                services = board.snapshot["services"] if board.snapshot is not None else []
                choices = [Choice(s["id"], s["name"], s["prefix"]) for s in services]
                self.keyboard.ask_service(ticket["number"], choices)
                return
            if intent.action == "call" and intent.number is None:
                self.keyboard.ask_number("call", _("Call which ticket out of turn?"))
                return
            if intent.action == "requeue" and intent.number is None:
                self.keyboard.ask_number("requeue", _("Put which ticket back in the queue?"), board.last_no_show or "")
                return
        except CounterError as exc:
            board.say(str(exc), "refused", now)
            return
        self.busy = doing(intent.action, _)
        self.spawn(self.send(intent))

    async def send(self, intent: Intent) -> None:
        assert self.board is not None
        board, _ = self.board, self.gettext
        try:
            done = await perform(self.server, board, intent, self.now(), _, self.options.keymap.label("requeue", _))
        except Unreachable as exc:
            if exc.sent:
                board.say(_("No answer from the server: check the screen before trying again ({problem}).").format(
                    problem=exc), "refused", self.now())
            else:
                board.say(_("Not done: {problem}.").format(problem=exc), "refused", self.now())
        except CounterError as exc:
            board.say(str(exc), "refused", self.now())
        else:
            board.say(done, "ok", self.now())
        finally:
            self.busy = None  # what the action changed comes with the feed's events
            self.redraw()


def feed_refusal(exc: InvalidStatus | Revoked, _: Gettext) -> str:
    """Why the server will not let this client follow the site, in one line (with its problem+json's
    detail, in the server's words)."""
    if isinstance(exc, Revoked):
        return _("the server closed the live feed: this token was revoked or the session ended")
    try:
        body = orjson.loads(exc.response.body or b"")
        detail = str(body.get("detail")) if isinstance(body, dict) and body.get("detail") else ""
    except orjson.JSONDecodeError:
        detail = ""
    if detail:
        return _("the server refused the live feed ({status}: {reason})").format(status=exc.response.status_code,
                                                                                reason=detail)
    return _("the server refused the live feed ({status})").format(status=exc.response.status_code)


def _logging(options: Options) -> None:
    """A log file if asked for; else nothing at all (a line on the terminal would tear the screen)."""
    root = logging.getLogger()
    if options.log_file is not None:
        handler: logging.Handler = logging.FileHandler(options.log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.INFO)
        logging.getLogger("httpx").setLevel(logging.WARNING)
    else:
        handler = logging.NullHandler()
    root.addHandler(handler)


def run(argv: list[str] | None = None) -> int:
    """The whole client; its exit status."""
    try:
        options, config = parse(argv)
    except OptionError as exc:
        say(str(exc))
        return 2
    _ = gettext_of(options.lang)
    if not (os.isatty(sys.stdin.fileno()) and os.isatty(sys.stdout.fileno())):
        say(_("needs a terminal (its standard input and output must be a terminal)"))
        return 2
    password: str | None = None
    if options.user is not None:
        password = os.environ.get("QUEUE_COUNTER_PASSWORD")
        if password is None:
            try:
                password = getpass.getpass(_("Password for {login}: ").format(login=options.user))
            except (EOFError, KeyboardInterrupt):
                print(file=sys.stderr)
                return 130
    _logging(options)

    async def life() -> int:
        return await CounterClient(options, config, password).run()

    try:
        return asyncio.run(life())
    except KeyboardInterrupt:
        say(_("stopped"))
        return 130


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
