"""The command line and the small configuration file, read once into ``Options``.

The file is ``$XDG_CONFIG_HOME/guichet/counter.json`` (``~/.config/guichet/counter.json`` without
``XDG_CONFIG_HOME``, or ``--config FILE``)::

    {"keys": "next=n|enter|pagedown,finish=f",
     "counters": {"http://server:8000 demo 1": {"services": ["etat-civil", "passeports"]}}}

``keys`` changes the default keys as ``--keys`` does (``--keys`` applies after it). The services a
counter calls are remembered per server, site and counter each time ``--services`` is given (``all``
forgets them), and used when it is not. The file is written whole to a temporary file, then renamed
over the old one, so an interrupted write never leaves half a file; a file that cannot be read is
reported and ignored.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .keys import ACTIONS, DESCRIPTIONS, KeyMap, KeyMapError, parse_keys


class OptionError(Exception):
    """A wrong option or configuration: the message says which and why (exit status 2)."""


def config_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "guichet" / "counter.json"


def load_file(path: Path) -> dict[str, Any]:
    """The configuration file's content; ``{}`` when there is none; ``OptionError`` if unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise OptionError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise OptionError(f"{path} must hold a JSON object")
    return data


def counter_key(server: str, site: str, counter: str) -> str:
    return f"{server} {site} {counter}"


def remembered_services(data: dict[str, Any], key: str) -> tuple[str, ...] | None:
    entry = data.get("counters", {}).get(key) if isinstance(data.get("counters"), dict) else None
    services = entry.get("services") if isinstance(entry, dict) else None
    if isinstance(services, list) and services and all(isinstance(s, str) for s in services):
        return tuple(services)
    return None


def remember_services(path: Path, key: str, services: tuple[str, ...] | None) -> None:
    """Keep (or, ``None``, forget) the services of the counter ``key``; ``OSError`` if it cannot be written."""
    try:
        data = load_file(path)
    except OptionError:
        data = {}  # unreadable: start again rather than never remember anything
    counters = data.get("counters") if isinstance(data.get("counters"), dict) else {}
    assert isinstance(counters, dict)
    if services is None:
        counters.pop(key, None)
    else:
        counters[key] = {**(counters.get(key) or {}), "services": list(services)}
    data["counters"] = counters
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=".counter-", suffix=".json",
                                     delete=False) as out:
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    os.replace(out.name, path)


@dataclass(frozen=True)
class Options:
    """Everything the client is told, checked."""

    server: str  # http(s)://host[:port], no trailing slash
    counter: str
    token: str | None
    user: str | None
    site: str | None  # None: the token's or the person's only site
    services: tuple[str, ...] | None  # None: all of the counter's services
    services_given: bool  # --services was given (remember it) rather than remembered
    keymap: KeyMap
    config: Path
    log_file: Path | None


KEYS_HELP = "\n".join(f"  {action:<9} {DESCRIPTIONS[action]:<15} default: {KeyMap.build().label(action)}"
                      for action in ACTIONS)

EPILOG = f"""\
keys (change them with --keys ACTION=KEY|KEY,... or "keys" in the configuration file):
{KEYS_HELP}

  Transfer: t, then the service's number or prefix, then an optional note and Enter.
  Call out of turn: c, then the ticket's number (A042) and Enter. Back in queue (after a no-show): b,
  then Enter for the last no-show or another number. Esc cancels a dialogue.
  Key names: one character, enter, space, tab, escape, backspace, up, down, left, right, home, end,
  insert, delete, pageup, pagedown, f1..f12, ctrl-a..ctrl-z, comma, pipe, equals. A keypad's keys
  read as the digits and signs printed on them. Example for a foot pedal sending Page Down:
  --keys "next=pagedown|n|enter".

environment: QUEUE_COUNTER_SERVER, QUEUE_COUNTER_TOKEN, QUEUE_COUNTER_PASSWORD (for --user).
exit status: 0 when quit, 2 for a wrong option or credentials refused at start, 1 when the server
ends the session for good (token revoked), 128 + N when stopped by signal N (130: Ctrl-C).
"""


def parser() -> argparse.ArgumentParser:
    env = os.environ
    p = argparse.ArgumentParser(
        prog="queue-counter", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="A counter agent's terminal: call, recall, serve, finish and transfer tickets with\n"
                    "single keys, and watch the queue live.")
    p.add_argument("--server", default=env.get("QUEUE_COUNTER_SERVER"), metavar="URL",
                   help="the Guichet server, http(s)://host:port")
    p.add_argument("--counter", required=True, metavar="ID", help="this counter's id, e.g. 3")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--token", default=None, metavar="TOKEN",
                     help="an agent's (or supervisor's) bearer token; default: $QUEUE_COUNTER_TOKEN")
    who.add_argument("--user", metavar="LOGIN", help="sign in as this person instead of a token; the password "
                     "comes from $QUEUE_COUNTER_PASSWORD or is asked")
    p.add_argument("--site", metavar="SITE", help="the site (default: the token's, or the person's only site)")
    p.add_argument("--services", metavar="A,B", help="the services this counter calls today, by id (remembered "
                   "for this counter; 'all' for every service of the counter; default: the last ones given, else all)")
    p.add_argument("--keys", metavar="ACTION=KEY,...", help='change keys, e.g. "next=pagedown|n,finish=f"')
    p.add_argument("--config", type=Path, metavar="FILE", help=f"configuration file (default: {config_path()})")
    p.add_argument("--log-file", type=Path, metavar="FILE", help="write a log there (default: no log)")
    return p


def parse(argv: list[str] | None = None) -> tuple[Options, dict[str, Any]]:
    """The options and the configuration file's content; ``OptionError`` for a wrong one (argparse
    itself exits with status 2 for an unknown or missing option)."""
    args = parser().parse_args(argv)
    server = (args.server or "").strip().rstrip("/")
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"--server must be http://HOST[:PORT] or https://HOST[:PORT], not {server!r}"
                          if server else "--server URL is required (or QUEUE_COUNTER_SERVER)")
    token = args.token if args.token is not None else (None if args.user else os.environ.get("QUEUE_COUNTER_TOKEN"))
    if not token and not args.user:
        raise OptionError("give --token TOKEN (or QUEUE_COUNTER_TOKEN), or --user LOGIN")
    counter = args.counter.strip()
    if not counter:
        raise OptionError("--counter must name a counter, e.g. --counter 3")
    path = args.config or config_path()
    data = load_file(path)
    try:
        from_file = parse_keys(data["keys"]) if isinstance(data.get("keys"), str) else {}
    except KeyMapError as exc:
        raise OptionError(f"{path}: keys: {exc}") from None
    try:
        from_option = parse_keys(args.keys) if args.keys else {}
    except KeyMapError as exc:
        raise OptionError(f"--keys: {exc}") from None
    services: tuple[str, ...] | None = None
    if args.services is not None:
        names = tuple(dict.fromkeys(s.strip() for s in args.services.split(",") if s.strip()))
        if not names:
            raise OptionError("--services needs service ids, e.g. --services etat-civil,passeports (or all)")
        services = None if names == ("all",) else names
    options = Options(server=server, counter=counter, token=token or None, user=args.user, site=args.site,
                      services=services, services_given=args.services is not None,
                      keymap=KeyMap.build(from_file, from_option), config=path, log_file=args.log_file)
    return options, data
