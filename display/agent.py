"""``queue-display``: speaks every call of a site through the speakers of the PC it runs on.

    queue-display --server http://server:8000 --token DISPLAY_TOKEN [--player "aplay -q"]

For halls where a PC drives the loudspeakers. It asks the server which site its display token
belongs to (``GET /api/v1/me``), follows that site's live feed with the project's client (reconnects
with backoff, resumes with ``since``), and for each ``ticket.called`` and ``ticket.recalled`` plays a
chime, then the call's phrase in each language of ``data.announcements``, in order, rendered on this
PC by pyttsx3 and espeak-ng (the server's ``audio_url`` is not used: the PC speaks even when the server
cannot). The rules are the display page's (see ``announcer``): calls are spoken one at a time in
arrival order, a new call never cuts the current one, a call more than ``--announce-within`` seconds
old when it arrives is logged and not spoken, the same call is never spoken twice.

The feed's reader never waits for speech: calls go to a bounded backlog (``speaker.BACKLOG``, the
oldest dropped beyond it) that a task of its own speaks. Call times are compared with this PC's clock,
corrected by the server's ``Date`` header when the two differ by more than ``CLOCK_SLACK_S`` (a PC
whose clock runs ahead would otherwise find every call stale and stay silent).

A wrong server URL, a refused token, a token that is not a display's and a revoked token stop the
agent with one line on stderr (exit status 2 for a wrong option, 1 otherwise); a server that cannot be
reached is waited for (the PC may start first). SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
import httpx
import typer
from websockets.exceptions import InvalidMessage, InvalidStatus

from queue_server.client import LiveFeedClient, Refused, Revoked, identify
from queue_server.speech import Speech, chime

from .announcer import Announcer, Call, Stale
from .speaker import BACKLOG, Backlog, Player, Speaker

log = logging.getLogger(__name__)

CLOCK_SLACK_S = 2.0  # a clock off the server's by less than this is trusted (the Date header has whole seconds)
HTTP_TIMEOUT_S = 10.0
MAX_RETRY_S = 30.0


class DisplayError(Exception):
    """Why the agent cannot go on, in one line for the person who started it."""


class OptionError(DisplayError):
    """A wrong option (exit status 2): nothing was tried."""


@dataclass(frozen=True)
class Config:
    """Everything the agent is told, built once by the command line."""

    server: str  # http(s)://host[:port][/prefix], without a trailing slash
    token: str
    data_dir: Path
    player: tuple[str, ...] = ("aplay", "-q")
    announce_within_s: float = 30.0
    services: frozenset[str] | None = None
    counters: frozenset[str] | None = None
    play_timeout_s: float = 20.0
    backlog: int = BACKLOG

    @classmethod
    def build(cls, server: str, token: str, data_dir: Path, player: str = "aplay -q", announce_within_s: float = 30.0,
              services: str | None = None, counters: str | None = None, play_timeout_s: float = 20.0) -> Config:
        """The configuration from the options' text; ``OptionError`` says what is wrong."""
        parts = urlsplit(server)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OptionError(f"--server must be http://HOST[:PORT] or https://HOST[:PORT], not {server!r}")
        try:
            command = tuple(shlex.split(player))
        except ValueError as exc:
            raise OptionError(f"--player {player!r}: {exc}") from None
        if not command:
            raise OptionError("--player is empty")
        if shutil.which(command[0]) is None:
            raise OptionError(f"the player {command[0]!r} is not installed (Debian: apt install alsa-utils for "
                              "aplay), or give another one with --player")
        return cls(server.rstrip("/"), token, data_dir, command, announce_within_s, _names(services),
                   _names(counters), play_timeout_s)


def _names(raw: str | None) -> frozenset[str] | None:
    """``"a, b"`` -> ``{"a", "b"}``; nothing -> ``None`` (no filter)."""
    names = frozenset(name.strip() for name in (raw or "").split(",") if name.strip())
    return names or None


def _clock_offset(answer: httpx.Response) -> timedelta:
    """How far the server's clock is ahead of this PC's, from the answer's ``Date`` (zero when close or unknown)."""
    try:
        server_now = parsedate_to_datetime(answer.headers["date"]) + timedelta(seconds=0.5)  # whole seconds
    except (KeyError, TypeError, ValueError):
        return timedelta()
    offset = server_now - datetime.now(UTC)
    if abs(offset.total_seconds()) <= CLOCK_SLACK_S:
        return timedelta()
    log.warning("this PC's clock is %.0f s %s the server's: call times are read with the server's clock",
                abs(offset.total_seconds()), "behind" if offset > timedelta() else "ahead of")
    return offset


class DisplayAgent:
    """One display's voice: identifies its token, follows the site's feed, speaks its calls."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.site = ""
        self.clock_offset = timedelta()
        self.announcer = Announcer(config.announce_within_s, config.services, config.counters)
        self.backlog = Backlog(config.backlog)
        self.speech = Speech(config.data_dir / "speech", replay_window_s=config.announce_within_s)
        self.player = Player(config.player, config.play_timeout_s)
        self.speaker = Speaker(self.speech, self.player, config.data_dir / "chime.wav", self.backlog)
        self.stale = 0  # calls that arrived too late to be spoken, this run

    async def identify(self) -> None:
        """The site of this display's token; waits (with backoff) for a server that cannot be reached."""
        try:
            me, answer = await identify(self.config.server, self.config.token, "display",
                                        timeout_s=HTTP_TIMEOUT_S, max_delay_s=MAX_RETRY_S)
        except Refused as exc:
            raise DisplayError(str(exc)) from None
        self.site = me["site"]
        self.clock_offset = _clock_offset(answer)

    async def run(self) -> None:
        """Identify, then speak the site's calls until stopped (a signal) or refused (``DisplayError``)."""
        await self.identify()
        try:
            self.config.data_dir.mkdir(parents=True, exist_ok=True)
            self.speaker.chime.write_bytes(chime())
        except OSError as exc:
            raise DisplayError(f"cannot write to --data-dir {self.config.data_dir}: {exc.strerror or exc}") from None
        if not self.speech.available:
            log.warning("espeak-ng or pyttsx3 is missing on this PC: calls get the chime alone")
        feed = LiveFeedClient(self.config.server, self.site, self.config.token, self.handle,
                              on_connect=lambda: log.info("following site %s", self.site))
        refused: DisplayError | None = None
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._stop_on_signal, tasks.cancel_scope)
                tasks.start_soon(self.speech.run)
                tasks.start_soon(self.speaker.run)
                refused = await self._follow(feed)
                tasks.cancel_scope.cancel()
        finally:
            self.speech.close()
        if refused is not None:
            raise refused

    async def _follow(self, feed: LiveFeedClient) -> DisplayError:
        """Run the feed until the server refuses it for good; what to tell the person who started the agent."""
        delay = 0.5
        while True:
            connections = feed.connections
            try:
                await feed.run()
            except Revoked:
                return DisplayError("this display's token was revoked: create a new one "
                                    "(queue-server token create --role display)")
            except InvalidStatus as exc:
                return DisplayError(f"the server refused the live feed of site {self.site} "
                                    f"(HTTP {exc.response.status_code}): check the token")
            except InvalidMessage as exc:
                # A connection closed before the server's answer (a server or proxy going down mid-handshake):
                # the client library takes it as fatal; it is not. Resumes after the last call, as a reconnect.
                delay = 1.0 if feed.connections > connections else min(delay * 2, MAX_RETRY_S)
                log.warning("the server's answer was cut short (%s); trying again in %.0f s", exc, delay)
                await anyio.sleep(delay)

    @staticmethod
    async def _stop_on_signal(scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for received in signals:
                log.info("stopping (%s)", signal.Signals(received).name)
                scope.cancel()
                return

    def handle(self, message: dict[str, Any]) -> None:
        """One message of the feed: a call to speak goes to the backlog; never waits."""
        if message.get("type") == "snapshot" and message.get("resumed") is False:
            log.warning("the server could not replay what happened during the cut: calls made meanwhile "
                        "were not spoken")
        decision = self.announcer.decide(message, datetime.now(UTC) + self.clock_offset)
        if isinstance(decision, Stale):
            self.stale += 1
            log.warning("%s at counter %s arrived %.0f s after it was called: not spoken (older than %.0f s)",
                        decision.number, decision.counter, decision.age_s, self.config.announce_within_s)
        elif isinstance(decision, Call):
            self.speaker.prepare(decision)
            self.backlog.put(decision)


async def run(config: Config) -> None:
    """The agent's life (its objects made inside the event loop)."""
    await DisplayAgent(config).run()


app = typer.Typer(add_completion=False)


@app.command()
def main_command(
    server: Annotated[str, typer.Option("--server", envvar="QUEUE_DISPLAY_SERVER", help="http(s)://host:port")],
    token: Annotated[str, typer.Option("--token", envvar="QUEUE_DISPLAY_TOKEN", show_default=False,
                                       help="A display's device token.")],
    player: Annotated[str, typer.Option("--player", envvar="QUEUE_DISPLAY_PLAYER",
                                        help="Command that plays a WAV file (its last argument).")] = "aplay -q",
    data_dir: Annotated[Path, typer.Option("--data-dir", envvar="QUEUE_DISPLAY_DATA_DIR",
                                           help="Where rendered phrases are kept.")] = Path("var/display"),
    announce_within: Annotated[float, typer.Option("--announce-within", envvar="QUEUE_DISPLAY_ANNOUNCE_WITHIN",
                                                   min=0.0, help="Seconds a call stays worth saying.")] = 30.0,
    services: Annotated[str | None, typer.Option("--services", envvar="QUEUE_DISPLAY_SERVICES",
                                                 help="Only these services' calls: a,b (default: all).")] = None,
    counters: Annotated[str | None, typer.Option("--counters", envvar="QUEUE_DISPLAY_COUNTERS",
                                                 help="Only these counters' calls: 1,2 (default: all).")] = None,
    play_timeout: Annotated[float, typer.Option("--play-timeout", envvar="QUEUE_DISPLAY_PLAY_TIMEOUT", min=0.1,
                                                help="Seconds one sound may play before it is stopped.")] = 20.0,
) -> None:
    """Speak every call of the display's site through this PC's speakers."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        config = Config.build(server, token, data_dir, player, announce_within, services, counters, play_timeout)
        anyio.run(run, config)
    except OptionError as exc:
        typer.echo(f"queue-display: {exc}", err=True)
        raise typer.Exit(2) from None
    except DisplayError as exc:
        typer.echo(f"queue-display: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        sys.exit(130)


def main() -> None:
    app(prog_name="queue-display")


if __name__ == "__main__":
    main()
