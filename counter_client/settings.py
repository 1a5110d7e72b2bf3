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

The language (``--lang``, ``QUEUE_COUNTER_LANG``, the locale: language.py) is found first, so that
``--help`` and the options' errors already speak it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .keys import ACTIONS, KeyMap, KeyMapError, descriptions, parse_keys
from .language import ENVIRONMENT, LANGUAGES, Gettext, choose, gettext_of

HELP_WIDTH = 100


class OptionError(Exception):
    """A wrong option or configuration: the message says which and why (exit status 2)."""


def config_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "guichet" / "counter.json"


def load_file(path: Path, _: Gettext) -> dict[str, Any]:
    """The configuration file's content; ``{}`` when there is none; ``OptionError`` (in the language of
    ``_``) if unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise OptionError(_("cannot read {path}: {problem}").format(path=path, problem=exc)) from None
    if not isinstance(data, dict):
        raise OptionError(_("{path} must hold a JSON object").format(path=path))
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
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}  # none yet, or unreadable: start again rather than never remember anything
    if not isinstance(data, dict):
        data = {}
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
    lang: str  # fr, en: the language of the screen and messages


def epilog(_: Gettext) -> str:
    """The end of ``--help``: the keys, the dialogues, the environment and the exit statuses."""
    described, defaults = descriptions(_), KeyMap.build()
    keys = "\n".join(f"  {action:<9} {described[action]:<20} "
                     + _("default: {keys}").format(keys=defaults.label(action)) for action in ACTIONS)
    indented = textwrap.TextWrapper(HELP_WIDTH, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
    flush = textwrap.TextWrapper(HELP_WIDTH, break_on_hyphens=False)
    return "\n".join([
        _('keys (change them with --keys ACTION=KEY|KEY,... or "keys" in the configuration file):'),
        keys,
        "",
        indented.fill(_("Transfer: t, then the service's number or prefix, then an optional note and Enter. Call "
                        "out of turn: c, then the ticket's number (A042) and Enter. Back in queue (after a "
                        "no-show): b, then Enter for the last no-show or another number. Esc cancels a "
                        "dialogue.")),
        indented.fill(_("Key names: one character, enter, space, tab, escape, backspace, up, down, left, right, "
                        "home, end, insert, delete, pageup, pagedown, f1..f12, ctrl-a..ctrl-z, comma, pipe, "
                        "equals. A keypad's keys read as the digits and signs printed on them. Example for a foot "
                        'pedal sending Page Down: --keys "next=pagedown|n|enter".')),
        "",
        flush.fill(_("environment: QUEUE_COUNTER_SERVER, QUEUE_COUNTER_TOKEN, QUEUE_COUNTER_PASSWORD (for "
                     "--user), QUEUE_COUNTER_LANG (fr or en; without it, the locale: English when LC_ALL, "
                     "LC_MESSAGES or LANG starts with en, else French).")),
        flush.fill(_("exit status: 0 when quit, 2 for a wrong option or credentials refused at start, 1 when "
                     "the server ends the session for good (token revoked), 128 + N when stopped by signal N "
                     "(130: Ctrl-C).")),
        "",
    ])


def parser(_: Gettext) -> argparse.ArgumentParser:
    """The options, their help in the language of ``_`` (argparse's own words, such as ``usage:``, stay
    in English)."""
    env = os.environ
    p = argparse.ArgumentParser(
        prog="queue-counter", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog(_), add_help=False,
        description=textwrap.fill(_("A counter agent's terminal: call, recall, serve, finish and transfer tickets "
                                    "with single keys, and watch the queue live."), HELP_WIDTH))
    p.add_argument("-h", "--help", action="help", help=_("show this help and exit"))
    p.add_argument("--server", default=env.get("QUEUE_COUNTER_SERVER"), metavar="URL",
                   help=_("the Guichet server, http(s)://host:port"))
    p.add_argument("--counter", required=True, metavar="ID", help=_("this counter's id, e.g. 3"))
    who = p.add_mutually_exclusive_group()
    who.add_argument("--token", default=None, metavar="TOKEN",
                     help=_("an agent's (or supervisor's) bearer token; default: $QUEUE_COUNTER_TOKEN"))
    who.add_argument("--user", metavar="LOGIN", help=_("sign in as this person instead of a token; the password "
                                                      "comes from $QUEUE_COUNTER_PASSWORD or is asked"))
    p.add_argument("--site", metavar="SITE", help=_("the site (default: the token's, or the person's only site)"))
    p.add_argument("--services", metavar="A,B", help=_("the services this counter calls today, by id (remembered "
                   "for this counter; 'all' for every service of the counter; default: the last ones given, else "
                   "all)"))
    p.add_argument("--keys", metavar="ACTION=KEY,...", help=_('change keys, e.g. "next=pagedown|n,finish=f"'))
    p.add_argument("--lang", choices=LANGUAGES, help=_("the language of the screen and messages: fr (French) or en "
                                                       "(English); default: $QUEUE_COUNTER_LANG, else the locale's, "
                                                       "else fr"))
    p.add_argument("--config", type=Path, metavar="FILE",
                   help=_("configuration file (default: {path})").format(path=config_path()))
    p.add_argument("--log-file", type=Path, metavar="FILE", help=_("write a log there (default: no log)"))
    return p


def parse(argv: list[str] | None = None) -> tuple[Options, dict[str, Any]]:
    """The options and the configuration file's content; ``OptionError`` for a wrong one, in the language
    chosen (argparse itself exits with status 2 for an unknown or missing option)."""
    given = sys.argv[1:] if argv is None else argv
    _ = gettext_of(choose(given, os.environ))
    args = parser(_).parse_args(given)
    wanted = os.environ.get(ENVIRONMENT)
    if args.lang is None and wanted and wanted not in LANGUAGES:
        raise OptionError(_("{name} must be fr or en, not {value}").format(name=ENVIRONMENT, value=repr(wanted)))
    lang = args.lang or choose([], os.environ)
    _ = gettext_of(lang)
    server = (args.server or "").strip().rstrip("/")
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(_("--server must be http://HOST[:PORT] or https://HOST[:PORT], not {server}").format(
            server=repr(server)) if server else _("--server URL is required (or QUEUE_COUNTER_SERVER)"))
    token = args.token if args.token is not None else (None if args.user else os.environ.get("QUEUE_COUNTER_TOKEN"))
    if not token and not args.user:
        raise OptionError(_("give --token TOKEN (or QUEUE_COUNTER_TOKEN), or --user LOGIN"))
    counter = args.counter.strip()
    if not counter:
        raise OptionError(_("--counter must name a counter, e.g. --counter 3"))
    path = args.config or config_path()
    data = load_file(path, _)
    try:
        from_file = parse_keys(data["keys"], _) if isinstance(data.get("keys"), str) else {}
    except KeyMapError as exc:
        raise OptionError(f"{path}: keys: {exc}") from None
    try:
        from_option = parse_keys(args.keys, _) if args.keys else {}
    except KeyMapError as exc:
        raise OptionError(f"--keys: {exc}") from None
    services: tuple[str, ...] | None = None
    if args.services is not None:
        names = tuple(dict.fromkeys(s.strip() for s in args.services.split(",") if s.strip()))
        if not names:
            raise OptionError(_("--services needs service ids, e.g. --services etat-civil,passeports (or all)"))
        services = None if names == ("all",) else names
    options = Options(server=server, counter=counter, token=token or None, user=args.user, site=args.site,
                      services=services, services_given=args.services is not None,
                      keymap=KeyMap.build(from_file, from_option), config=path, log_file=args.log_file, lang=lang)
    return options, data
