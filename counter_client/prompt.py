"""From keys to intents: one key for most actions, a short dialogue on the bottom line for the others
(no I/O).

Outside a dialogue, a key of the ``KeyMap`` gives an ``Intent`` of its action, without details. The
client then opens a dialogue for the actions that need more: ``ask_service`` (transfer: the service by
its number or prefix, then an optional note), ``ask_number`` (call out of turn, put back in the
queue: a ticket number, ``A42`` and ``a042`` both read ``A042``). In a dialogue, Enter answers,
Escape cancels (``CANCELLED``), Backspace and ctrl-U edit; other special keys are ignored. Questions and
hints are in the language of the ``Gettext`` the keyboard is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from .keys import Action, KeyMap
from .language import Gettext

MAX_TEXT = 200  # characters of a typed answer (a transfer's note)


@dataclass(frozen=True)
class Intent:
    """What the agent asked for: an action and, for some, its details."""

    action: Action
    number: str | None = None  # call, requeue: the ticket's number
    service: str | None = None  # transfer: the service's id
    note: str | None = None  # transfer: what the agent typed (None: nothing)


@dataclass(frozen=True)
class Choice:
    """A service offered in the transfer dialogue."""

    id: str
    name: str
    prefix: str


CANCELLED: Final = "cancelled"
Outcome = Intent | Literal["cancelled"] | None

_NUMBER = re.compile(r"^\s*([A-Za-z]+)\s*-?\s*0*(\d{1,6})\s*$")


def normalise_number(text: str) -> str | None:
    """A ticket number as typed (``a42``, ``A 042``) as the server writes it (``A042``); ``None`` if
    it is not one."""
    found = _NUMBER.match(text)
    if found is None:
        return None
    return f"{found.group(1).upper()}{int(found.group(2)):03d}"


@dataclass(frozen=True)
class Prompt:
    """The dialogue in progress: its question, what has been typed, a hint after a wrong answer."""

    question: str
    text: str = ""
    hint: str = ""
    choices: tuple[Choice, ...] = ()


class Keyboard:
    """The keys' meaning, one key at a time; ``prompt`` is the dialogue in progress, if any."""

    def __init__(self, keymap: KeyMap, gettext: Gettext) -> None:
        self.keymap = keymap
        self.gettext = gettext
        self.prompt: Prompt | None = None
        self._action: Action | None = None
        self._service: str | None = None
        self._default = ""

    def press(self, key: str) -> Outcome:
        """What ``key`` means now: an intent, ``CANCELLED`` (a dialogue abandoned), or ``None`` (a key
        that does nothing, or a dialogue that goes on)."""
        if self.prompt is None:
            action = self.keymap.action(key)
            return Intent(action) if action is not None else None
        if key == "escape":
            self._close()
            return CANCELLED
        if self.prompt.choices and self._service is None:
            return self._choose(key)
        if key == "enter":
            return self._answer()
        self._edit(key)
        return None

    def ask_service(self, number: str, choices: Sequence[Choice]) -> None:
        """Open the transfer dialogue of ticket ``number``."""
        _ = self.gettext
        self._action, self._service = "transfer", None
        listed = "  ".join(f"{n}:{c.prefix} {c.name}" for n, c in enumerate(choices, 1))
        self.prompt = Prompt(_("Transfer {number} to (number or prefix, Esc cancels) {services} >").format(
            number=number, services=listed), choices=tuple(choices))

    def ask_number(self, action: Action, question: str, default: str = "") -> None:
        """Open a dialogue that asks ``question`` (a whole sentence, translated) for a ticket number
        (``default``: what Enter alone answers)."""
        _ = self.gettext
        self._action, self._service, self._default = action, None, default
        if default:
            asked = _("{question} [{default}] (Enter confirms, Esc cancels) >").format(question=question,
                                                                                        default=default)
        else:
            asked = _("{question} (Enter confirms, Esc cancels) >").format(question=question)
        self.prompt = Prompt(asked)

    def _close(self) -> None:
        self.prompt, self._action, self._service, self._default = None, None, None, ""

    def _edit(self, key: str) -> None:
        assert self.prompt is not None
        text = self.prompt.text
        if key == "backspace":
            text = text[:-1]
        elif key == "ctrl-u":
            text = ""
        elif key == "space" and len(text) < MAX_TEXT:
            text += " "
        elif len(key) == 1 and len(text) < MAX_TEXT:
            text += key
        self.prompt = Prompt(self.prompt.question, text, "", self.prompt.choices)

    def _choose(self, key: str) -> Outcome:
        """A key in the transfer dialogue's first step: chooses as soon as the answer is unambiguous."""
        assert self.prompt is not None
        if key == "enter":
            chosen = _match(self.prompt.choices, self.prompt.text, exact=True)
            if chosen is None:
                hint = self.gettext("no service {typed}: type one of the numbers or prefixes shown").format(
                    typed=repr(self.prompt.text))
                self.prompt = Prompt(self.prompt.question, "", hint, self.prompt.choices)
                return None
            return self._chosen(chosen)
        self._edit(key)
        chosen = _match(self.prompt.choices, self.prompt.text, exact=False)
        return self._chosen(chosen) if chosen is not None else None

    def _chosen(self, choice: Choice) -> Outcome:
        self._service = choice.id
        self.prompt = Prompt(self.gettext("Transfer to {service}: a note for the colleague (optional; Enter sends, "
                                          "Esc cancels) >").format(service=choice.name))
        return None

    def _answer(self) -> Outcome:
        assert self.prompt is not None and self._action is not None
        action, text = self._action, self.prompt.text.strip()
        if action == "transfer":
            intent = Intent(action, service=self._service, note=text or None)
        else:
            number = normalise_number(text or self._default)
            if number is None:
                _ = self.gettext
                hint = (_("{typed} is not a ticket number (like A042)").format(typed=repr(text)) if text
                        else _("type a ticket number (like A042)"))
                self.prompt = Prompt(self.prompt.question, self.prompt.text, hint)
                return None
            intent = Intent(action, number=number)
        self._close()
        return intent


def _match(choices: Sequence[Choice], typed: str, exact: bool) -> Choice | None:
    """The choice ``typed`` names by its number, prefix (or, ``exact``, id): with ``exact=False``,
    only if no other choice's number or prefix could still follow from more typing."""
    wanted = typed.strip().casefold()
    if not wanted:
        return None
    names = [(c, {str(n), c.prefix.casefold()} | ({c.id.casefold()} if exact else set()))
             for n, c in enumerate(choices, 1)]
    hits = [c for c, keys in names if wanted in keys]
    if len(hits) != 1:
        return None
    if not exact and any(key != wanted and key.startswith(wanted) for _, keys in names for key in keys):
        return None
    return hits[0]
