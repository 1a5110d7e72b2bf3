"""``queue-display``, the hall's voice: its rules on their own (no sockets), then the agent for real
against a ``queue-server serve`` process, with a small player program that logs when each sound starts
and ends instead of playing it. espeak-ng is required, as for test_speech.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import anyio
import httpx
import pytest
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from display.announcer import Announcer, Call, Phrase, Stale
from display.speaker import Backlog, Player, prune
from queue_server.db.tables import Site
from queue_server.queue.codec import iso
from queue_server.speech import Speech, describe
from tests.ages import until_older_than
from tests.system.servers import QUEUE_SERVER, ServerProcess, SharedSites, shared_sites

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
AGENT = (sys.executable, "-m", "display.agent")  # the console script `queue-display` runs the same main
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# A period, not a synchronisation: how long the player's "sound" lasts, so that two sounds at once would
# overlap in its log.
SOUND_S = 0.3

# The player: logs "<start> <end> <wav path>" once the "sound" (SOUND_S) is over.
PLAYER = f"""\
import sys, time
start = time.time()
time.sleep({SOUND_S})
with open(sys.argv[1], "a") as log:
    log.write(f"{{start}} {{time.time()}} {{sys.argv[2]}}\\n")
"""


def call_message(number: str = "A001", counter: str = "1", recalls: int = 0, service: str = "etat-civil",
                 at: datetime = NOW, kind: str = "ticket.called") -> dict[str, Any]:
    """A call event as a display receives it."""
    ticket = {"id": f"id-{number}", "number": number, "service": service, "status": "called", "counter": counter,
              "recalls": recalls}
    phrases = [{"lang": "fr", "text": f"Ticket {number}, guichet {counter}", "audio_url": None},
               {"lang": "en", "text": f"Ticket {number}, counter {counter}", "audio_url": None}]
    return {"id": "1-0", "type": kind, "site": "mairie", "at": iso(at), "data": {"ticket": ticket,
                                                                                "announcements": phrases}}


# The rules, without I/O ----------------------------------------------------------------------------------


def test_a_call_is_spoken_with_its_phrases_in_their_order() -> None:
    """A ticket.called becomes one call to speak, its phrases in the order of data.announcements."""
    call = Announcer().decide(call_message(), NOW + timedelta(seconds=1))
    assert call == Call("id-A001:0", "A001", "1", False, (Phrase("fr", "Ticket A001, guichet 1"),
                                                          Phrase("en", "Ticket A001, counter 1")))


def test_the_same_call_is_never_spoken_twice_but_a_recall_is() -> None:
    """A call replayed is not spoken again; a recall of the same ticket (one more recall) is."""
    announcer = Announcer()
    assert isinstance(announcer.decide(call_message(), NOW), Call)
    assert announcer.decide(call_message(), NOW) is None
    recall = announcer.decide(call_message(recalls=1, kind="ticket.recalled"), NOW)
    assert isinstance(recall, Call) and recall.recall
    assert announcer.decide(call_message(recalls=1, kind="ticket.recalled"), NOW) is None


def test_a_call_older_than_the_window_when_it_arrives_is_stale() -> None:
    """A call that arrives announce_within seconds after it was made is reported stale, not spoken;
    a fresher one is spoken."""
    announcer = Announcer(announce_within_s=2.0)
    assert announcer.decide(call_message(), NOW + timedelta(seconds=2.5)) == Stale("A001", "1", 2.5)
    assert isinstance(announcer.decide(call_message("A002"), NOW + timedelta(seconds=1.5)), Call)


def test_filters_keep_only_their_services_and_counters() -> None:
    """With services and counters filters, only the calls of both are spoken."""
    announcer = Announcer(services=frozenset({"passeports"}), counters=frozenset({"2"}))
    assert announcer.decide(call_message("A001", "2"), NOW) is None
    assert announcer.decide(call_message("B001", "1", service="passeports"), NOW) is None
    assert isinstance(announcer.decide(call_message("B002", "2", service="passeports"), NOW), Call)


def test_snapshots_and_other_events_are_never_spoken() -> None:
    """Only ticket.called and ticket.recalled at a counter speak: not a snapshot, not an issue, not
    a malformed call."""
    announcer = Announcer()
    snapshot = {"type": "snapshot", "id": "1-0", "data": {"recent_calls": [call_message()["data"]["ticket"]]}}
    issued = {**call_message(), "type": "ticket.issued"}
    no_counter = call_message()
    no_counter["data"]["ticket"]["counter"] = None
    bad_time = {**call_message(), "at": "yesterday"}
    assert [announcer.decide(m, NOW) for m in (snapshot, issued, no_counter, bad_time)] == [None] * 4


async def test_a_full_backlog_drops_its_oldest_call() -> None:
    """Beyond its size, the backlog drops the oldest waiting call and keeps the arrival order."""
    backlog = Backlog(size=2)
    calls = [Call(f"{n}:0", f"A00{n}", "1", False, ()) for n in (1, 2, 3)]
    for call in calls:
        backlog.put(call)
    assert backlog.dropped == 1
    assert [await backlog.get(), await backlog.get()] == calls[1:]


async def test_a_hanging_player_is_stopped_after_its_timeout(tmp_path: Path) -> None:
    """A player that never ends is killed (with what it started) after its timeout: a failure, no hang."""
    player = Player(("sh", "-c", "sleep 600 & wait", "player"), timeout_s=0.5)
    started = time.monotonic()
    assert await player.play(tmp_path / "a.wav") is False
    assert time.monotonic() - started < 5 and player.failures == 1


async def test_a_missing_or_failing_player_is_a_failure_not_an_error(tmp_path: Path) -> None:
    """A player that cannot start or exits non-zero makes play() false; nothing is raised."""
    assert await Player(("false",)).play(tmp_path / "a.wav") is False
    assert await Player((str(tmp_path / "no-such-player"),)).play(tmp_path / "a.wav") is False


def test_the_phrase_cache_keeps_the_most_recently_used(tmp_path: Path) -> None:
    """Pruning deletes the least recently used WAVs beyond what it keeps."""
    for n in range(5):
        (tmp_path / f"{n}.wav").write_bytes(b"RIFF")
        os.utime(tmp_path / f"{n}.wav", (1000 + n, 1000 + n))
    assert prune(tmp_path, keep=2) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.wav", "4.wav"]


# The agent against a real server ----------------------------------------------------------------------


class Play(NamedTuple):
    start: float
    end: float
    path: Path


def phrase_file(lang: str, text: str) -> str:
    """The name of the cached WAV of ``text`` spoken in ``lang``."""
    url = Speech(Path("unused"), enabled=True).url(lang, text, render=False)
    assert url is not None
    return url.rsplit("/", 1)[-1]


def call_files(number: int, counter: str, letter: str = "A") -> list[str]:
    """What one call plays: the chime, then the French and English phrases."""
    return ["chime.wav", phrase_file("fr", f"Ticket {letter} {number}, guichet {counter}"),
            phrase_file("en", f"Ticket {letter} {number}, counter {counter}")]


class Cutter:
    """A TCP relay in front of the server that can cut the connections through it and refuse new ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.open = True
        self.links: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def serve(self) -> asyncio.Server:
        listener = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = listener.sockets[0].getsockname()[1]
        return listener

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}

    def cut(self) -> None:
        """Break every connection now and refuse the next ones until ``open`` is set again."""
        self.open = False
        for link in self.links:
            link.transport.abort()


@dataclass
class Hall:
    server: ServerProcess
    tokens: dict[str, str]
    data_dir: Path  # the test's: the agent's data, its log, the player's
    http: httpx.AsyncClient
    site: str = "mairie"
    server_dir: Path | None = None  # the server's data (for its command line)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    @property
    def plays_log(self) -> Path:
        return self.data_dir / "plays.log"

    async def issue(self, service: str = "etat-civil") -> None:
        answer = await self.http.post(f"/api/v1/sites/{self.site}/tickets", json={"service": service},
                                      headers=self.auth("agent"))
        assert answer.status_code == 201, answer.text

    async def call(self, counter: str, service: str = "etat-civil", start: bool = False) -> dict[str, Any]:
        """Call the next ticket of ``service`` at ``counter`` (``start``: and start serving it, so that the
        counter can call again)."""
        answer = await self.http.post(f"/api/v1/sites/{self.site}/counters/{counter}/next",
                                      json={"services": [service]}, headers=self.auth("agent"))
        assert answer.status_code == 200, answer.text
        if start:
            started = await self.http.post(f"/api/v1/sites/{self.site}/tickets/{answer.json()['id']}/start",
                                           headers=self.auth("agent"))
            assert started.status_code == 200, started.text
        return dict(answer.json())

    async def recall(self, ticket_id: str) -> None:
        answer = await self.http.post(f"/api/v1/sites/{self.site}/tickets/{ticket_id}/recall",
                                      headers=self.auth("agent"))
        assert answer.status_code == 200, answer.text

    def plays(self) -> list[Play]:
        if not self.plays_log.exists():
            return []
        return [Play(float(start), float(end), Path(path))
                for start, end, path in (line.split(" ", 2) for line in self.plays_log.read_text().splitlines())]

    async def wait_for_plays(self, count: int, timeout: float = 60.0) -> list[Play]:
        """Waits until the player has played ``count`` sounds (the first rendering starts espeak-ng)."""
        with anyio.fail_after(timeout):
            while len(self.plays()) < count:
                await anyio.sleep(0.05)
        return self.plays()

    def player_command(self) -> str:
        script = self.data_dir / "player.py"
        script.write_text(PLAYER)
        return f"{sys.executable} {script} {self.plays_log}"

    def start(self, *options: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        """The agent's process and its log (stdout and stderr)."""
        log = self.data_dir / "display.log"
        with open(log, "ab") as out:
            process = subprocess.Popen([*AGENT, *options], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                       env={**os.environ, **(env or {})})
        return process, log

    @asynccontextmanager
    async def agent(self, *extra: str, env: dict[str, str] | None = None, flags: bool = True,
              url: str | None = None) -> AsyncIterator[tuple[subprocess.Popen[bytes], Path]]:
        """The agent following the site (yielded once its log says so), stopped with SIGTERM afterwards."""
        options = ("--server", url or self.server.url, "--token", self.tokens["display"],
                   "--player", self.player_command(), "--data-dir", str(self.data_dir / "display")) if flags else ()
        process, log = self.start(*options, *extra, env=env)
        try:
            with anyio.fail_after(30):
                while f"following site {self.site}\n" not in log.read_text():
                    assert process.poll() is None, log.read_text()
                    await anyio.sleep(0.05)
            yield process, log
        finally:
            if process.poll() is None:
                process.terminate()
                with anyio.fail_after(15):
                    while process.poll() is None:
                        await anyio.sleep(0.05)
        assert "Traceback" not in log.read_text(), log.read_text()


async def _bilingual(session: AsyncSession, site: str) -> None:
    await session.execute(update(Site).where(Site.id == site).values(languages=["fr", "en"]))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def halls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSites]:
    """One server for the module, a site per test: three counters serving état civil and passports, French and
    English."""
    with shared_sites(tmp_path_factory.mktemp("halls"), 16, 3, ("etat-civil", "passeports"), ("display", "agent"),
                      _bilingual) as shared:
        yield shared


@pytest.fixture
async def hall(halls: SharedSites, tmp_path: Path) -> AsyncIterator[Hall]:
    site, tokens = halls.take()
    async with httpx.AsyncClient(base_url=halls.server.url, timeout=10) as http:
        yield Hall(halls.server, tokens, tmp_path, http, site, halls.server.log.parent)


def assert_one_at_a_time_and_spoken(plays: list[Play]) -> None:
    """No sound starts before the previous one ended; every phrase is real speech, 1 to 6 s long."""
    for before, after in zip(plays, plays[1:], strict=False):
        assert after.start >= before.end, (before, after)
    for play in plays:
        if play.path.name != "chime.wav":
            sound = describe(play.path)
            assert 1.0 <= sound["seconds"] <= 6.0 and sound["rms"] > 0.02, (play.path, sound)


async def test_three_calls_in_a_row_are_each_announced_whole_in_order(hall: Hall) -> None:
    """Three calls made at once are spoken one after the other, in call order, each as the chime then
    its French and English phrases rendered on this PC, never two sounds at a time."""
    for _ in range(3):
        await hall.issue()
    async with hall.agent() as (process, _):
        for counter in ("1", "2", "3"):
            await hall.call(counter)
        plays = await hall.wait_for_plays(9)
        assert process.poll() is None
    assert [play.path.name for play in plays] == call_files(1, "1") + call_files(2, "2") + call_files(3, "3")
    assert plays[0].path == hall.data_dir / "display" / "chime.wav"
    speech = [play for play in plays if play.path.name != "chime.wav"]
    assert all(play.path.parent == hall.data_dir / "display" / "speech" for play in speech)
    assert_one_at_a_time_and_spoken(plays)


async def test_a_recall_is_announced_again(hall: Hall) -> None:
    """A ticket recalled at its counter is spoken a second time, whole."""
    await hall.issue()
    async with hall.agent():
        ticket = await hall.call("2")
        await hall.wait_for_plays(3)
        await hall.recall(ticket["id"])
        plays = await hall.wait_for_plays(6)
    assert [play.path.name for play in plays] == call_files(1, "2") * 2
    assert_one_at_a_time_and_spoken(plays)


async def test_calls_made_before_the_agent_started_are_not_spoken(hall: Hall) -> None:
    """A call made more than --announce-within seconds before the agent connected (it is only in the
    snapshot) is never spoken; the next call is."""
    await hall.issue()
    await hall.issue()
    called = await hall.call("1")
    await until_older_than(called["called_at"], 2)  # the --announce-within window
    async with hall.agent("--announce-within", "2"):
        await hall.call("2")
        plays = await hall.wait_for_plays(3)
    assert [play.path.name for play in plays] == call_files(2, "2")


async def test_a_call_replayed_after_a_cut_is_spoken_only_if_still_recent(hall: Hall) -> None:
    """After a cut, the agent resumes where it stopped: a call made during the cut and replayed more than
    --announce-within seconds later is logged, not spoken; calls before and after it are spoken once."""
    for _ in range(3):
        await hall.issue()
    cutter = Cutter(hall.server.port)
    listener = await cutter.serve()
    quick = {"WEBSOCKETS_BACKOFF_INITIAL_DELAY": "0.2", "WEBSOCKETS_BACKOFF_MIN_DELAY": "0.2",
             "WEBSOCKETS_BACKOFF_MAX_DELAY": "0.5"}
    try:
        async with hall.agent("--announce-within", "2", url=f"http://127.0.0.1:{cutter.port}", env=quick) as (_, log):
            await hall.call("1")
            await hall.wait_for_plays(3)
            cutter.cut()
            called = await hall.call("2")
            await until_older_than(called["called_at"], 2)  # replayed older than --announce-within
            cutter.open = True
            with anyio.fail_after(30):
                while "A002 at counter 2 arrived" not in log.read_text():
                    await anyio.sleep(0.05)
            await hall.call("3")
            plays = await hall.wait_for_plays(6)
            assert log.read_text().count(f"following site {hall.site}\n") >= 2
    finally:
        listener.close()
    assert "not spoken (older than 2 s)" in log.read_text()
    assert [play.path.name for play in plays] == call_files(1, "1") + call_files(3, "3")


async def test_only_the_chosen_services_and_counters_are_spoken(hall: Hall) -> None:
    """With --services and --counters, calls of other services or at other counters are not spoken."""
    for service in ("etat-civil", "passeports", "passeports"):
        await hall.issue(service)
    async with hall.agent("--services", "passeports", "--counters", "2"):
        await hall.call("2", "etat-civil", start=True)  # A001 at 2: another service
        await hall.call("1", "passeports")  # B001 at 1: another counter
        await hall.call("2", "passeports")  # B002 at 2: spoken
        plays = await hall.wait_for_plays(3)
    assert [play.path.name for play in plays] == call_files(2, "2", letter="B")


async def test_every_option_can_come_from_the_environment(hall: Hall) -> None:
    """QUEUE_DISPLAY_<OPTION> variables stand for the command line's options."""
    await hall.issue()
    env = {"QUEUE_DISPLAY_SERVER": hall.server.url, "QUEUE_DISPLAY_TOKEN": hall.tokens["display"],
           "QUEUE_DISPLAY_PLAYER": hall.player_command(), "QUEUE_DISPLAY_DATA_DIR": str(hall.data_dir / "display"),
           "QUEUE_DISPLAY_ANNOUNCE_WITHIN": "20", "QUEUE_DISPLAY_COUNTERS": "3", "QUEUE_DISPLAY_SERVICES": "etat-civil",
           "QUEUE_DISPLAY_PLAY_TIMEOUT": "5"}
    async with hall.agent(env=env, flags=False):
        await hall.call("3")
        plays = await hall.wait_for_plays(3)
    assert [play.path.name for play in plays] == call_files(1, "3")


async def test_a_failing_player_is_logged_and_the_agent_carries_on(hall: Hall) -> None:
    """A player that fails on every sound is logged for each, and the next calls are still handled."""
    await hall.issue()
    await hall.issue()
    async with hall.agent("--player", "false") as (process, log):
        await hall.call("1")
        await hall.call("2")
        with anyio.fail_after(60):
            while log.read_text().count("the player 'false' failed") < 6:
                await anyio.sleep(0.05)
        assert process.poll() is None
    assert "announcing A002 at counter 2" in log.read_text()


async def test_a_revoked_token_stops_the_agent_with_a_clear_message(hall: Hall) -> None:
    """Revoking the display's token ends the agent with one line saying so (exit status 1)."""
    me = (await hall.http.get("/api/v1/me", headers=hall.auth("display"))).json()
    async with hall.agent() as (process, log):
        subprocess.run([QUEUE_SERVER, "token", "revoke", str(me["token_id"]), "--data-dir", str(hall.server_dir)],
                       check=True, capture_output=True)
        with anyio.fail_after(30):
            while process.poll() is None:
                await anyio.sleep(0.05)
    assert process.returncode == 1
    assert log.read_text().splitlines()[-1].startswith("queue-display: this display's token was revoked")


def run_agent(*options: str) -> subprocess.CompletedProcess[str]:
    """The agent run to its end (it should stop at once), with its exit status and stderr."""
    return subprocess.run([*AGENT, *options], cwd=ROOT, capture_output=True, text=True, timeout=60)


def assert_one_readable_line(run: subprocess.CompletedProcess[str], status: int, says: str) -> None:
    assert run.returncode == status, run.stderr
    assert "Traceback" not in run.stderr and says in run.stderr, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("queue-display: "), run.stderr


@pytest.mark.parametrize(("case", "says"), [
    ("unknown token", "the server refused this token"),
    ("agent token", "needs a display token"),
    ("not a Guichet server", "is not a Guichet server"),
])
async def test_a_refusal_by_the_server_ends_with_one_readable_line(hall: Hall, case: str, says: str) -> None:
    """An unknown token, a token of another role or a URL that is not a Guichet server stop the agent at
    once (exit status 1) with one line saying why, and no traceback."""
    server, token = {
        "unknown token": (hall.server.url, "not-a-token"),
        "agent token": (hall.server.url, hall.tokens["agent"]),
        "not a Guichet server": (f"{hall.server.url}/nothing-here", hall.tokens["display"]),
    }[case]
    run = run_agent("--server", server, "--token", token, "--player", "true", "--data-dir", str(hall.data_dir))
    assert_one_readable_line(run, 1, says)


@pytest.mark.parametrize(("options", "says"), [
    (("--server", "127.0.0.1:8000"), "--server must be http://HOST"),
    (("--server", "http://127.0.0.1:9", "--player", "no-such-player -q"), "the player 'no-such-player' is not"),
])
def test_a_wrong_option_ends_with_one_readable_line(tmp_path: Path, options: tuple[str, ...], says: str) -> None:
    """A server URL without its scheme or a player that is not installed is refused before anything is
    tried (exit status 2), in one line."""
    run = run_agent("--token", "x", "--data-dir", str(tmp_path), *options)
    assert_one_readable_line(run, 2, says)
