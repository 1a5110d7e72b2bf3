"""The counter client's keys and dialogues, without a terminal: what bytes mean, how ``--keys`` changes
the map, and what a dialogue answers."""

from __future__ import annotations

import pytest

from counter_client.keys import DEFAULT_KEYS, KeyDecoder, KeyMap, KeyMapError, parse_keys
from counter_client.language import gettext_of
from counter_client.prompt import CANCELLED, Choice, Intent, Keyboard, normalise_number

ENGLISH, FRENCH = gettext_of("en"), gettext_of("fr")

CHOICES = (Choice("etat-civil", "État civil", "A"), Choice("passeports", "Passeports", "B"))


def test_bytes_become_key_names() -> None:
    """Printable characters stand for themselves; Enter, space, escape, backspace and control keys get names."""
    assert KeyDecoder().feed(b"n \r\x7f\x1b\x04\xc3\xa9") == ["n", "space", "enter", "backspace", "escape", "ctrl-d",
                                                             "é"]


def test_cr_lf_is_one_enter() -> None:
    """A device that sends CR LF presses Enter once (one call, not two)."""
    assert KeyDecoder().feed(b"\r\n\n") == ["enter", "enter"]


def test_escape_sequences_of_special_and_keypad_keys() -> None:
    """Arrows, Page Down, function keys (with modifiers too) and a keypad in application mode are decoded."""
    sequences = b"\x1b[A\x1b[6~\x1bOP\x1b[15~\x1b[1;5C\x1b[[A\x1bOM\x1bOq\x1bOk"
    assert KeyDecoder().feed(sequences) == ["up", "pagedown", "f1", "f5", "right", "f1", "enter", "1", "+"]


def test_a_sequence_or_character_split_across_reads_is_kept_for_the_next() -> None:
    """An escape sequence or a UTF-8 character cut between two reads is decoded once whole."""
    decoder = KeyDecoder()
    assert decoder.feed(b"\x1b[2") == []
    assert decoder.feed(b"4~\xc3") == ["f12"]
    assert decoder.feed(b"\xa9") == ["é"]


def test_keys_option_replaces_the_keys_of_the_actions_it_names() -> None:
    """``--keys`` gives an action exactly its keys, takes them from other actions, and keeps the rest."""
    keymap = KeyMap.build(parse_keys("finish=pagedown|f, next = n", ENGLISH))
    assert keymap.action("pagedown") == "finish" and keymap.action("f") == "finish"
    assert keymap.action("enter") is None and keymap.action("n") == "next"
    assert keymap.action("r") == "recall" and keymap.keys["recall"] == DEFAULT_KEYS["recall"]


def test_a_capital_letter_does_what_its_small_letter_does_unless_mapped() -> None:
    """``N`` calls the next ticket; a capital mapped to an action of its own keeps it."""
    keymap = KeyMap.build(parse_keys("quit=Q", ENGLISH))
    assert keymap.action("N") == "next"
    assert keymap.action("Q") == "quit" and keymap.action("q") is None


@pytest.mark.parametrize("text", ["next", "next=", "jump=j", "next=zz", "next=ctrl-"])
def test_a_wrong_keys_option_says_what_is_wrong(text: str) -> None:
    """A malformed item, an unknown action or an unknown key name is refused with a message."""
    with pytest.raises(KeyMapError):
        parse_keys(text, ENGLISH)


def test_separators_are_written_by_name() -> None:
    """``comma`` and ``pipe`` name the keys that separate items and keys."""
    assert parse_keys("next=comma|pipe", ENGLISH) == {"next": (",", "|")}


def test_ticket_numbers_are_read_as_the_server_writes_them() -> None:
    """``a42``, ``A 042`` and ``A042`` are all ``A042``; words are not numbers."""
    assert {normalise_number(t) for t in ("a42", "A 042", "A042", "a-42")} == {"A042"}
    assert normalise_number("A1234") == "A1234"
    assert normalise_number("hello") is None and normalise_number("") is None


def test_transfer_dialogue_chooses_the_service_then_takes_a_note() -> None:
    """After t: a number or prefix chooses at once, then the note ends with Enter."""
    keyboard = Keyboard(KeyMap.build(), ENGLISH)
    assert keyboard.press("t") == Intent("transfer")
    keyboard.ask_service("A001", CHOICES)
    assert keyboard.press("b") is None and keyboard.prompt is not None and "Passeports" in keyboard.prompt.question
    for key in "no id":
        assert keyboard.press("space" if key == " " else key) is None
    assert keyboard.press("backspace") is None
    assert keyboard.press("enter") == Intent("transfer", service="passeports", note="no i")
    assert keyboard.prompt is None


def test_transfer_without_a_note_sends_none() -> None:
    """Enter on an empty note transfers without one."""
    keyboard = Keyboard(KeyMap.build(), ENGLISH)
    keyboard.ask_service("A001", CHOICES)
    keyboard.press("1")
    assert keyboard.press("enter") == Intent("transfer", service="etat-civil", note=None)


def test_escape_cancels_a_dialogue_and_keys_act_again() -> None:
    """Esc closes the dialogue; the next key is an action again."""
    keyboard = Keyboard(KeyMap.build(), ENGLISH)
    keyboard.ask_number("call", "Call which ticket?")
    keyboard.press("A")
    assert keyboard.press("escape") == CANCELLED
    assert keyboard.press("n") == Intent("next")


def test_number_dialogue_offers_a_default_and_refuses_words() -> None:
    """Enter alone answers the default; a word is refused with a hint and the dialogue stays open."""
    keyboard = Keyboard(KeyMap.build(), ENGLISH)
    keyboard.ask_number("requeue", "Put back?", default="B007")
    assert keyboard.press("enter") == Intent("requeue", number="B007")
    keyboard.ask_number("call", "Call which ticket?")
    for key in "xyz":
        keyboard.press(key)
    assert keyboard.press("enter") is None and keyboard.prompt is not None and keyboard.prompt.hint
    keyboard.press("ctrl-u")
    for key in "c7":
        keyboard.press(key)
    assert keyboard.press("enter") == Intent("call", number="C007")


def test_a_wrong_keys_option_is_explained_in_french() -> None:
    """With the French catalog, the message that refuses a ``--keys`` text is in French."""
    with pytest.raises(KeyMapError, match="n'est pas une action"):
        parse_keys("jump=j", FRENCH)


def test_dialogues_ask_in_the_keyboards_language() -> None:
    """The questions and hints of a dialogue are in the language the keyboard was given."""
    keyboard = Keyboard(KeyMap.build(), FRENCH)
    keyboard.ask_service("A001", CHOICES)
    assert keyboard.prompt is not None and keyboard.prompt.question.startswith("Transférer A001 vers")
    keyboard.press("escape")
    keyboard.ask_number("call", "Appeler quel ticket hors tour ?")
    keyboard.press("x")
    keyboard.press("enter")
    assert keyboard.prompt is not None and keyboard.prompt.hint == "'x' n'est pas un numéro de ticket (comme A042)"
