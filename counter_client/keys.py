"""Keys: what the terminal sends, by name, and which action each name stands for (no I/O).

``KeyDecoder`` turns the bytes a terminal in cbreak mode sends into key names: a printable character
stands for itself (``"n"``, ``"+"``, ``"é"``), anything else has a name (``enter``, ``space``,
``escape``, ``backspace``, ``tab``, ``up``/``down``/``left``/``right``, ``home``, ``end``, ``insert``,
``delete``, ``pageup``, ``pagedown``, ``f1`` to ``f12``, ``ctrl-a`` to ``ctrl-z``). Keypads in
application mode send their own sequences, decoded as the plain keys they are labelled with (``0``
to ``9``, ``+``, ``-``, ``*``, ``/``, ``.``, ``enter``). Modifiers on special keys are ignored
(ctrl-F5 is ``f5``). Limit: an escape sequence split across two reads is taken as escape followed by
characters (terminals write each sequence at once, so this does not happen on a local terminal).

``KeyMap`` maps key names to actions. ``parse_keys("next=n|pagedown,finish=f")`` gives the changes
that ``--keys`` and the configuration file's ``"keys"`` make to ``DEFAULT_KEYS``: each named action
gets exactly the keys listed (``|`` between them), which no other action keeps. Since ``,`` and
``|`` separate, they are written ``comma`` and ``pipe``. A letter also matches its capital (a pedal
that sends ``N`` calls the next ticket) unless the capital is mapped to something else.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from .language import Gettext

Action = Literal["next", "recall", "start", "finish", "no-show", "transfer", "call", "requeue", "pause", "open",
                 "close", "quit"]
ACTIONS: Final[tuple[Action, ...]] = get_args(Action)


def descriptions(_: Gettext) -> dict[Action, str]:
    """What each action does, for the help line and --help, in the order they are shown."""
    return {
        "next": _("call next"),
        "recall": _("recall"),
        "start": _("start serving"),
        "finish": _("finish"),
        "no-show": _("no-show"),
        "transfer": _("transfer"),
        "call": _("call a number"),
        "requeue": _("back in queue"),
        "pause": _("pause counter"),
        "open": _("open counter"),
        "close": _("close counter"),
        "quit": _("quit"),
    }


# Enter and space call the next ticket, so that a foot pedal or a keypad mapped to Enter works as is;
# a keypad's digits double the letters.
DEFAULT_KEYS: Final[dict[Action, tuple[str, ...]]] = {
    "next": ("n", "enter", "space", "0"),
    "recall": ("r", "1"),
    "start": ("s", "2"),
    "finish": ("f", "3"),
    "no-show": ("x", "4"),
    "transfer": ("t",),
    "call": ("c",),
    "requeue": ("b",),
    "pause": ("p",),
    "open": ("o",),
    "close": ("k",),
    "quit": ("q", "ctrl-d"),
}

_NAMED_CHARACTERS: Final = {"comma": ",", "pipe": "|", "equals": "="}
_CONTROL: Final = {"\r": "enter", "\n": "enter", " ": "space", "\t": "tab", "\x1b": "escape", "\x7f": "backspace",
                   "\x08": "backspace"}
_SS3: Final = {  # ESC O x: F1-F4, and the keys of a keypad in application mode
    "P": "f1", "Q": "f2", "R": "f3", "S": "f4", "H": "home", "F": "end", "A": "up", "B": "down", "C": "right",
    "D": "left", "M": "enter", "j": "*", "k": "+", "l": ",", "m": "-", "n": ".", "o": "/",
    **{chr(ord("p") + digit): str(digit) for digit in range(10)},
}
_CSI_LETTERS: Final = {"A": "up", "B": "down", "C": "right", "D": "left", "H": "home", "F": "end", "E": "5",
                       "P": "f1", "Q": "f2", "R": "f3", "S": "f4", "Z": "tab"}
_CSI_TILDE: Final = {1: "home", 2: "insert", 3: "delete", 4: "end", 5: "pageup", 6: "pagedown", 7: "home", 8: "end",
                     11: "f1", 12: "f2", 13: "f3", 14: "f4", 15: "f5", 17: "f6", 18: "f7", 19: "f8", 20: "f9",
                     21: "f10", 23: "f11", 24: "f12"}
_LINUX_F: Final = {"A": "f1", "B": "f2", "C": "f3", "D": "f4", "E": "f5"}  # the Linux console's ESC [ [ x
SPECIAL_KEYS: Final = frozenset({*_CONTROL.values(), *_SS3.values(), *_CSI_LETTERS.values(), *_CSI_TILDE.values()}
                                - {",", ".", "*", "+", "-", "/", *map(str, range(10))})


class KeyMapError(ValueError):
    """A ``--keys`` text that cannot be read; the message says what is wrong."""


class KeyDecoder:
    """Bytes from the terminal in, key names out; keeps an incomplete UTF-8 character or escape
    sequence for the next ``feed``."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""

    def feed(self, data: bytes) -> list[str]:
        text = self._pending + self._utf8.decode(data)
        self._pending = ""
        keys: list[str] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b" and i + 1 < len(text):
                key, used = _escape(text, i)
                if used == 0:  # an incomplete sequence: wait for the rest
                    self._pending = text[i:]
                    break
                if key is not None:
                    keys.append(key)
                i += used
                continue
            if ch == "\r" and text[i + 1:i + 2] == "\n":  # CR LF is one Enter, not two calls
                i += 1
            if ch in _CONTROL:
                keys.append(_CONTROL[ch])
            elif ord(ch) < 32:
                keys.append(f"ctrl-{chr(ord(ch) + 96)}")
            elif ch.isprintable():
                keys.append(ch)
            i += 1
        return keys


def _escape(text: str, start: int) -> tuple[str | None, int]:
    """The key of the escape sequence at ``text[start]`` and how many characters it takes (0: incomplete;
    ``None``: a sequence with no key of ours, skipped whole)."""
    kind = text[start + 1]
    if kind == "O":
        if start + 2 >= len(text):
            return None, 0
        return _SS3.get(text[start + 2]), 3
    if kind != "[":
        return "escape", 1  # ESC then a key: the escape key (alt-x comes as escape, x)
    if text[start + 2:start + 3] == "[":  # the Linux console's F1-F5
        if start + 3 >= len(text):
            return None, 0
        return _LINUX_F.get(text[start + 3]), 4
    end = start + 2
    while end < len(text) and not ("\x40" <= text[end] <= "\x7e"):
        end += 1
    if end >= len(text):
        return None, 0
    final, params = text[end], text[start + 2:end]
    used = end - start + 1
    if final == "~":
        first = params.split(";")[0]
        return (_CSI_TILDE.get(int(first)) if first.isdigit() else None), used
    return _CSI_LETTERS.get(final), used


def parse_key_name(name: str, _: Gettext) -> str:
    """A key name as written in ``--keys`` to the name ``KeyDecoder`` gives (``Enter`` -> ``enter``,
    ``comma`` -> ``,``); ``KeyMapError`` (its message in the language of ``_``) if it is no key."""
    raw = name.strip()
    lowered = raw.lower()
    if lowered in _NAMED_CHARACTERS:
        return _NAMED_CHARACTERS[lowered]
    if len(raw) == 1 and raw.isprintable() and raw != " ":
        return raw
    if lowered in SPECIAL_KEYS or lowered == "space":
        return lowered
    if lowered.startswith("ctrl-") and len(lowered) == 6 and lowered[5].isalpha() and lowered[5].isascii():
        return lowered
    known = ", ".join(sorted(SPECIAL_KEYS | {"space", "comma", "pipe", "equals"}))
    raise KeyMapError(_("{name} is not a key: use one character, ctrl-X, or one of {known}").format(
        name=repr(raw), known=known))


def parse_keys(text: str, _: Gettext) -> dict[Action, tuple[str, ...]]:
    """``"next=n|pagedown,finish=f"`` -> ``{"next": ("n", "pagedown"), "finish": ("f",)}``; ``KeyMapError``
    (its message in the language of ``_``) for a text that cannot be read."""
    changes: dict[Action, tuple[str, ...]] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        action, sep, names = item.partition("=")
        action = action.strip().lower().replace("_", "-")
        if not sep or not names.strip():
            raise KeyMapError(_("{item}: write ACTION=KEY, e.g. next=n or next=enter|pagedown").format(
                item=repr(item.strip())))
        if action not in ACTIONS:
            raise KeyMapError(_("{action} is not an action; the actions are {actions}").format(
                action=repr(action), actions=", ".join(ACTIONS)))
        changes[action] = tuple(parse_key_name(name, _) for name in names.split("|") if name.strip())
    return changes


@dataclass(frozen=True)
class KeyMap:
    """Which keys stand for which action."""

    keys: Mapping[Action, tuple[str, ...]]

    @classmethod
    def build(cls, *changes: Mapping[Action, Iterable[str]]) -> KeyMap:
        """``DEFAULT_KEYS`` with ``changes`` applied in order (later ones win)."""
        keys: dict[Action, tuple[str, ...]] = dict(DEFAULT_KEYS)
        for change in changes:
            for action, names in change.items():
                taken = tuple(dict.fromkeys(names))
                keys = {a: tuple(k for k in ks if k not in taken) for a, ks in keys.items()}
                keys[action] = taken
        return cls(keys)

    def action(self, key: str) -> Action | None:
        """The action of ``key``, or ``None``."""
        for candidate in (key, key.lower()) if len(key) == 1 else (key,):
            for action, names in self.keys.items():
                if candidate in names:
                    return action
        return None

    def label(self, action: Action, _: Gettext | None = None) -> str:
        """How the keys of ``action`` are shown: ``n/Enter/space``; ``-`` when it has none. Without ``_``,
        as ``--keys`` names them; with it, as the screen says them (``n/Entrée/espace`` in French)."""
        names = self.keys.get(action, ())
        return "/".join(_label(name, _) for name in names) or "-"


def _label(name: str, _: Gettext | None) -> str:
    if _ is not None:
        shown = {"enter": _("Enter"), "space": _("space"), "escape": _("Esc")}.get(name)
        if shown is not None:
            return shown
    return {"enter": "Enter", ",": "comma", "|": "pipe", "escape": "Esc"}.get(name, name)
