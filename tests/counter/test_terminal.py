"""``queue-counter`` for real: the console script in a pseudo-terminal (pexpect), pressing keys as an
agent would, against a ``queue-server serve`` process on the embedded defaults.

One server for the module; each test gets a site of its own (conftest.py, sites.py). What the screen
shows is read from the terminal's output, and what happened from the server's HTTP API and its
access log. The client speaks French unless told otherwise: most tests ask for English (``--lang en``),
a few check the French.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import httpx
import pexpect
import pytest

from tests.counter.sites import ACCESS_LOG, SERVICES, TIMEOUT_S, Site
from tests.system.servers import QUEUE_SERVER, seed_site, server

QUEUE_COUNTER = str(Path(sys.executable).parent / "queue-counter")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")
GAP = r"(?:[ \t]|\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9])+"  # between two cells of a row on the screen
TIME = r"\d\d:\d\d"
WAIT = r"-|< 1 min|~\d+ min"
LANGUAGE_ENVIRONMENT = ("LC_ALL", "LC_MESSAGES", "LANG", "QUEUE_COUNTER_LANG")  # none inherited from the runner
LIVE = {"en": "● live", "fr": "● en direct"}


class Terminal:
    """``queue-counter`` in a pseudo-terminal of 40 × 140, with no language set but ``env``'s."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, config_home: Path) -> None:
        environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", *LANGUAGE_ENVIRONMENT)}
        environment.update({"TERM": "xterm-256color", "XDG_CONFIG_HOME": str(config_home), **(env or {})})
        self.output = StringIO()
        self.child = pexpect.spawn(QUEUE_COUNTER, list(args), env=environment, dimensions=(40, 140),
                                   encoding="utf-8", timeout=TIMEOUT_S)
        self.child.logfile_read = self.output

    def screen_text(self) -> str:
        """Everything shown so far, without the terminal's control sequences (for failure messages)."""
        return re.sub(r"[ \t]+", " ", ANSI.sub("", self.output.getvalue()))[-3000:]

    def shows(self, text: str, timeout: float = TIMEOUT_S) -> None:
        """Waits until ``text`` appears in what is written after the last thing waited for."""
        try:
            self.child.expect(re.escape(text), timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise AssertionError(f"{text!r} never appeared; the screen said:\n{self.screen_text()}") from None

    def shows_row(self, *cells: str, timeout: float = TIMEOUT_S) -> None:
        """Waits until one line written after the last thing waited for has these cells side by side
        (each a regular expression; only blanks and the terminal's control sequences between them)."""
        pattern = GAP.join(f"(?:{cell})" for cell in cells)
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise AssertionError(f"{cells!r} never appeared in a row; the screen said:\n{self.screen_text()}") from None

    def press(self, keys: str) -> None:
        self.child.send(keys)

    def exits(self) -> int:
        """Waits for the end of the process; its exit status (nothing like a traceback was written)."""
        self.child.expect(pexpect.EOF, timeout=TIMEOUT_S)
        self.child.close()
        assert "Traceback" not in self.output.getvalue(), self.screen_text()
        assert self.child.exitstatus is not None, f"killed by signal {self.child.signalstatus}"
        return int(self.child.exitstatus)

    def quit(self) -> None:
        self.press("q")
        assert self.exits() == 0

    def kill(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def terminals(tmp_path: Path) -> Iterator[list[Terminal]]:
    """The terminals a test opens, each killed at the end if still running."""
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.kill()


def counter(site: Site, terminals: list[Terminal], tmp_path: Path, *options: str, token: str | None = None,
            env: dict[str, str] | None = None, lang: str | None = "en") -> Terminal:
    """``queue-counter`` at counter 1 of the site (an agent's token unless ``options`` say otherwise), in
    ``lang`` (``None``: no ``--lang``, French), once its live feed is connected."""
    credentials = ("--token", token or site.tokens["agent"]) if "--user" not in options else ()
    language = ("--lang", lang) if lang is not None else ()
    terminal = Terminal("--server", site.server.url, "--counter", "1", *credentials, *language, *options, env=env,
                        config_home=tmp_path / "config")
    terminals.append(terminal)
    terminal.shows(LIVE[lang or "fr"])
    return terminal


def test_an_agent_calls_serves_and_finishes_with_single_keys(site: Site, terminals: list[Terminal],
                                                             tmp_path: Path) -> None:
    """n calls the first ticket to counter 1 (the screen and the server both say so), s starts serving it
    and f finishes it."""
    first, _ = site.issue(), site.issue()
    screen = counter(site, terminals, tmp_path)
    screen.press("n")
    screen.shows("Called A001")
    assert site.counter("1")["ticket"]["number"] == "A001"
    assert site.counter("1")["ticket"]["status"] == "called"
    screen.press("s")
    screen.shows("Serving A001")
    assert site.get(f"/tickets/{first['id']}")["status"] == "serving"
    screen.press("f")
    screen.shows("A001 done")
    assert site.get(f"/tickets/{first['id']}")["status"] == "done"
    assert site.counter("1")["ticket"] is None
    screen.quit()


def test_refusals_are_said_in_plain_words(site: Site, terminals: list[Terminal], tmp_path: Path) -> None:
    """Nothing to finish, nobody waiting, and the server's own refusal (finishing a ticket not yet
    served) are each shown on the status line; the client carries on."""
    screen = counter(site, terminals, tmp_path)
    screen.press("f")
    screen.shows("There is no ticket at this counter to finish.")
    screen.press("n")
    screen.shows("Nobody is waiting.")
    site.issue()
    screen.press("n")
    screen.shows("Called A001")
    screen.press("f")
    screen.shows("Ticket A001 cannot be finished: it is called")
    assert site.counter("1")["ticket"]["status"] == "called"
    screen.quit()


def test_a_no_show_is_put_back_in_the_queue(site: Site, terminals: list[Terminal], tmp_path: Path) -> None:
    """x marks the called ticket as a no-show; b then Enter puts that same ticket back in the queue."""
    ticket = site.issue()
    screen = counter(site, terminals, tmp_path)
    screen.press("n")
    screen.shows("Called A001")
    screen.press("x")
    screen.shows("A001 marked as no-show")
    assert site.get(f"/tickets/{ticket['id']}")["status"] == "no_show"
    screen.press("b")
    screen.shows("[A001]")
    screen.press("\r")
    screen.shows("A001 is back in the queue")
    assert site.get(f"/tickets/{ticket['id']}")["status"] == "waiting"
    screen.quit()


def test_transfer_with_a_note_and_call_out_of_turn(site: Site, terminals: list[Terminal], tmp_path: Path) -> None:
    """t, a service's number and a note transfer the current ticket with that note; c and a number call
    that waiting ticket before the others."""
    first, _, third = site.issue(), site.issue(), site.issue("urbanisme")
    screen = counter(site, terminals, tmp_path)
    screen.press("n")
    screen.shows("Called A001")
    screen.press("t")
    screen.shows("Transfer A001 to")
    screen.press("2")
    screen.shows("a note for the colleague")
    screen.press("missing photo\r")
    screen.shows("A001 transferred to passeports")
    assert site.get(f"/tickets/{first['id']}")["service"] == "passeports"
    assert site.get(f"/tickets/{first['id']}/note")["text"] == "missing photo"
    screen.press("c")
    screen.shows("Call which ticket")
    screen.press("c1\r")
    screen.shows("Called C001 out of turn")
    assert site.get(f"/tickets/{third['id']}")["status"] == "called"
    assert site.counter("1")["ticket"]["number"] == "C001"
    screen.quit()


def test_a_ticket_issued_elsewhere_appears_without_a_key(site: Site, terminals: list[Terminal],
                                                        tmp_path: Path) -> None:
    """A ticket issued at a kiosk shows in the waiting count through the live feed, with no key pressed."""
    screen = counter(site, terminals, tmp_path, "--services", "urbanisme")
    screen.shows("0 waiting")
    site.issue("urbanisme")
    screen.shows("1 waiting")
    screen.quit()


def test_the_screen_follows_the_live_feed_without_asking_for_the_state(site: Site, terminals: list[Terminal],
                                                                      tmp_path: Path) -> None:
    """Tickets issued at a kiosk, a colleague's call and finish, a note left for the ticket at the counter
    and the counter's own actions all show from the live feed's events: the client asks for
    ``GET /state`` once, at start-up, and never again."""
    _, mine = site.issue(), site.issue()
    screen = counter(site, terminals, tmp_path)
    screen.shows_row("etat-civil", "2 waiting", WAIT, "A001 A002")
    site.issue("passeports")
    screen.shows_row("passeports", "1 waiting", WAIT, "B001")
    theirs = site.send("POST", "/counters/2/next", {"services": ["etat-civil"]})
    screen.shows_row("A001", "2", TIME, "called")  # among colleagues' calls
    screen.shows_row("etat-civil", "1 waiting", WAIT, "A002")
    screen.press("n")
    screen.shows("Called A002")
    screen.shows_row("A002", "etat-civil", "called", TIME)  # the counter's panel
    site.send("POST", f"/tickets/{theirs['id']}/start")
    site.send("POST", f"/tickets/{theirs['id']}/finish")
    screen.shows_row("A001", "2", TIME, "done")
    screen.press("s")
    screen.shows_row("A002", "etat-civil", "being served", TIME)
    site.send("PUT", f"/tickets/{mine['id']}/note", {"text": "needs an interpreter"})
    screen.shows_row("note", "needs an interpreter")
    screen.press("f")
    screen.shows("No ticket at this counter")
    screen.press("p")
    screen.shows_row("Counter", "PAUSED")  # the title of its panel
    screen.quit()
    assert site.state_requests() == 1


def users(site: Site, *args: str, password: str) -> None:
    """``queue-server user ARGS`` with the password on standard input."""
    done = subprocess.run([QUEUE_SERVER, "user", *args, "--password-stdin", "--data-dir", str(site.data_dir)],
                          input=password + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_person_signs_in_with_login_and_password(site: Site, terminals: list[Terminal], tmp_path: Path) -> None:
    """--user signs in through the login form (password from QUEUE_COUNTER_PASSWORD); the live feed opens
    with the session and actions pass the CSRF check."""
    password = "a long enough password"
    users(site, "add", "anne", "--tenant", site.id, "--role", f"{site.id}:agent", "--name", "Anne Agent",
          password=password)
    site.issue()
    screen = counter(site, terminals, tmp_path, "--user", "anne", env={"QUEUE_COUNTER_PASSWORD": password})
    screen.shows("Anne Agent")
    screen.press("n")
    screen.shows("Called A001")
    assert site.counter("1")["ticket"]["number"] == "A001"
    site.issue("passeports")
    screen.shows("1 waiting")  # the session's live feed
    screen.quit()


def test_a_session_ended_for_good_stops_the_client_with_status_1(site: Site, terminals: list[Terminal],
                                                                 tmp_path: Path) -> None:
    """A new password ends the person's session: the client cannot sign in again with the old one, so it
    stops with one line saying why and exit status 1."""
    users(site, "add", "bob", "--tenant", site.id, "--role", f"{site.id}:agent", password="the first password")
    screen = counter(site, terminals, tmp_path, "--user", "bob", env={"QUEUE_COUNTER_PASSWORD": "the first password"})
    users(site, "passwd", "bob", password="the second password")
    screen.shows("signing in again failed: Wrong login or password.", timeout=20)
    assert screen.exits() == 1


def test_a_wrong_password_or_token_ends_with_a_message_and_status_2(site: Site, tmp_path: Path) -> None:
    """Credentials the server refuses end the client at once: one readable line, exit status 2, no traceback."""
    for credentials, says in ((("--token", "not-a-token"), "This token is unknown or has been revoked."),
                              (("--user", "nobody"), "Wrong login or password.")):
        screen = Terminal("--server", site.server.url, "--counter", "1", "--lang", "en", *credentials,
                          env={"QUEUE_COUNTER_PASSWORD": "wrong password!"}, config_home=tmp_path)
        screen.shows(says)
        assert screen.exits() == 2


def test_the_terminal_is_given_back_after_ctrl_c(site: Site, tmp_path: Path) -> None:
    """Ctrl-C stops the client (status 130) and leaves the terminal as it found it: echo and line editing on."""
    command = (f"{QUEUE_COUNTER} --server {site.server.url} --counter 1 --token {site.tokens['agent']} --lang en; "
               "echo status=$?; stty -a")
    shell = pexpect.spawn("bash", ["--norc", "-c", command], encoding="utf-8", timeout=TIMEOUT_S,
                          env={**os.environ, "TERM": "xterm-256color", "XDG_CONFIG_HOME": str(tmp_path)},
                          dimensions=(40, 140))
    try:
        shell.expect(re.escape("● live"))
        shell.sendintr()
        shell.expect(r"status=(\d+)")
        assert shell.match.group(1) == "130"
        shell.expect(pexpect.EOF)
        settings = shell.before.split()
        assert "icanon" in settings and "echo" in settings, shell.before
    finally:
        shell.terminate(force=True)


def test_the_chosen_services_are_remembered_for_the_counter(site: Site, terminals: list[Terminal],
                                                            tmp_path: Path) -> None:
    """--services is kept for this server, site and counter: the next start without it calls from those
    services only."""
    site.issue("etat-civil")
    site.issue("passeports")
    counter(site, terminals, tmp_path, "--services", "passeports").quit()
    screen = counter(site, terminals, tmp_path)
    screen.shows("calls: passeports")
    screen.press("n")
    screen.shows("Called B001")
    screen.quit()


def test_a_revoked_token_ends_the_client_with_status_1(site: Site, terminals: list[Terminal], tmp_path: Path) -> None:
    """When an administrator revokes the counter's token, the server closes its live feed and the client
    stops with one line saying why and exit status 1."""
    screen = counter(site, terminals, tmp_path)
    me = httpx.get(f"{site.server.url}/api/v1/me", headers=site.auth(), timeout=TIMEOUT_S).json()
    revoked = subprocess.run([QUEUE_SERVER, "token", "revoke", str(me["token_id"]), "--data-dir", str(site.data_dir)],
                             capture_output=True, text=True, timeout=60)
    assert revoked.returncode == 0, revoked.stderr
    screen.shows("this token was revoked", timeout=20)
    assert screen.exits() == 1


def test_keys_from_the_configuration_file_and_the_option(site: Site, terminals: list[Terminal],
                                                         tmp_path: Path) -> None:
    """A foot pedal's key set in the configuration file (F5) calls the next ticket, Enter too by default,
    and --keys maps Page Down to finish."""
    config = tmp_path / "config" / "guichet" / "counter.json"
    config.parent.mkdir(parents=True)
    config.write_text('{"keys": "next=f5|enter"}')
    site.issue()
    site.issue()
    screen = counter(site, terminals, tmp_path, "--keys", "finish=pagedown")
    screen.shows("f5/Enter")  # the help line
    screen.press("\x1b[15~")
    screen.shows("Called A001")
    screen.press("s")
    screen.shows("Serving A001")
    screen.press("\r")  # Enter: the visit in progress ends, the next ticket is called
    screen.shows("A001 done. Called A002")
    screen.press("s")
    screen.shows("Serving A002")
    screen.press("\x1b[6~")
    screen.shows("A002 done")
    screen.quit()


def test_a_lost_connection_is_shown_and_comes_back_by_itself(tmp_path: Path, terminals: list[Terminal]) -> None:
    """While the server is down the screen says the connection is lost and an action says it was not done;
    once the server is back (same port) the feed resumes and the queue is live again, with no GET /state."""
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    tokens = asyncio.run(seed_site(f"sqlite:///{data_dir / 'guichet.sqlite3'}", "lone", 1, SERVICES))
    with server(data_dir) as first:
        own = Site(first, "lone", tokens, data_dir)
        screen = counter(own, terminals, tmp_path)
    screen.shows("connection lost, retrying")
    screen.press("n")
    screen.shows("Not done: cannot reach")
    with server(data_dir, port=first.port, env=ACCESS_LOG) as second:
        screen.shows("● live", timeout=20)
        back = Site(second, "lone", tokens, data_dir)
        back.issue()
        screen.shows("1 waiting")
        screen.quit()
        assert back.state_requests() == 0  # the feed's replay or snapshot was enough


def test_the_screen_and_refusals_are_in_french_by_default(site: Site, terminals: list[Terminal],
                                                          tmp_path: Path) -> None:
    """Without --lang, in a French locale, the screen, the keys' help, the client's refusals and what an
    action did are in French."""
    site.issue("passeports")
    screen = counter(site, terminals, tmp_path, "--services", "etat-civil", env={"LANG": "fr_FR.UTF-8"}, lang=None)
    screen.shows("File d'attente")
    screen.shows("appeler le suivant")  # the help line
    screen.press("f")
    screen.shows("Aucun ticket à ce guichet : rien à terminer.")
    screen.press("n")
    screen.shows("Personne n'attend pour etat-civil.")
    site.issue()
    screen.press("n")
    screen.shows("A001 appelé (etat-civil).")
    screen.quit()


def test_a_wrong_password_is_refused_in_french_by_default(site: Site, tmp_path: Path) -> None:
    """The login form's error comes back in the client's language (French without --lang), exit status 2."""
    screen = Terminal("--server", site.server.url, "--counter", "1", "--user", "nobody",
                      env={"QUEUE_COUNTER_PASSWORD": "wrong password!"}, config_home=tmp_path)
    screen.shows("Identifiant ou mot de passe incorrect.")
    assert screen.exits() == 2


def test_lang_en_speaks_english_in_a_french_locale(site: Site, terminals: list[Terminal], tmp_path: Path) -> None:
    """--lang en wins over a French locale: the screen, the keys' help and the refusals are in English."""
    screen = counter(site, terminals, tmp_path, env={"LANG": "fr_FR.UTF-8"}, lang="en")
    screen.shows("Queue")
    screen.shows("call next")
    screen.press("f")
    screen.shows("There is no ticket at this counter to finish.")
    screen.quit()
