"""The printed ticket's text, laid out on python-escpos's Dummy printer (no connection involved)."""

from __future__ import annotations

import dataclasses
import io
import textwrap
from datetime import UTC, datetime

import pytest
from escpos.printer import Dummy
from PIL import Image

from kiosk.printer import MESSAGE_CHARS, TicketSlip, fit_logo, print_ticket

RASTER_IMAGE = b"\x1dv0"  # GS v 0


def slip(lang: str = "fr") -> TicketSlip:
    return TicketSlip(site_name="Mairie de Démoville", number="A042", service_name="État civil", people_ahead=3,
                      estimated_wait_s=600, issued_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
                      tracking_url="http://127.0.0.1:8000/t/abc", lang=lang)


def png(width: int, height: int, mode: str = "RGBA") -> bytes:
    """A logo file: a dark blue disc on a transparent (or white) background."""
    image = Image.new(mode, (width, height), (0, 0, 0, 0) if mode == "RGBA" else "white")
    image.paste((20, 40, 120), (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("lang", "words"), [("fr", "Personnes avant vous : 3"), ("en", "People ahead of you: 3"),
                                             ("es", "Personas delante de usted: 3"),
                                             ("ar", "Personnes avant vous : 3")])
def test_a_ticket_prints_in_a_language_the_code_page_can_write(lang: str, words: str) -> None:
    """French, English and Spanish print as chosen; Arabic, which CP858 cannot write, prints in French."""
    printer = Dummy()
    print_ticket(printer, slip(lang))
    output = printer.output
    assert words.encode("cp858") in output
    assert "État civil".encode("cp858") in output


@pytest.mark.parametrize(("size", "fitted"), [((1000, 200), (384, 77)), ((100, 800), (20, 160)), ((64, 32), (64, 32))])
def test_a_logo_fits_the_paper_keeping_its_shape(size: tuple[int, int], fitted: tuple[int, int]) -> None:
    """A logo shrinks to fit 384 dots by 160 with its aspect ratio kept (a small one stays as it is), in
    grayscale, its transparent parts white like the paper."""
    logo = fit_logo(png(*size))
    assert logo.size == fitted and logo.mode == "L"
    assert logo.getpixel((0, 0)) == 255 and logo.getpixel((fitted[0] // 2, fitted[1] // 2)) == 0


def test_a_logo_prints_as_a_raster_image_above_the_site_name() -> None:
    """With a logo, the ticket starts with a GS v 0 raster image the paper's width wide (48 bytes a
    row, the logo centered in it), before the site's name."""
    printer = Dummy()
    print_ticket(printer, dataclasses.replace(slip(), logo=fit_logo(png(200, 100))))
    output = printer.output
    image = output.find(RASTER_IMAGE)
    assert 0 <= image < output.find("Mairie de Démoville".encode("cp858"))
    assert output[image + 4:image + 6] == (384 // 8).to_bytes(2, "little")


def test_a_ticket_without_a_logo_has_no_image() -> None:
    """Without a logo, no image command is sent."""
    printer = Dummy()
    print_ticket(printer, slip())
    assert RASTER_IMAGE not in printer.output


def test_the_service_message_ends_the_ticket_wrapped_between_words() -> None:
    """The service's message prints in CP858 after the QR code, in lines of 32 characters broken
    between words, typographic apostrophes written as the code page can."""
    message = "Munissez-vous de votre ancien titre et d’une photo d’identité."
    printer = Dummy()
    print_ticket(printer, dataclasses.replace(slip(), message=message))
    printed = "\n".join(textwrap.wrap(message.replace("’", "'"), MESSAGE_CHARS)).encode("cp858")
    assert printed in printer.output
    assert printer.output.find(b"\x1d(k") < printer.output.find(printed)


@pytest.mark.parametrize(("lang", "words"), [("fr", "Rendez-vous"), ("en", "Appointment"), ("es", "Cita")])
def test_an_appointment_ticket_says_so_under_its_number(lang: str, words: str) -> None:
    """A ticket checked in for an appointment prints "Rendez-vous" (in the ticket's language) after the number;
    a walk-in's does not."""
    printer = Dummy()
    print_ticket(printer, dataclasses.replace(slip(lang), booked=True))
    output = printer.output
    assert output.find(b"A042") < output.find(words.encode("cp858")) < output.find("État civil".encode("cp858"))
    walk_in = Dummy()
    print_ticket(walk_in, slip(lang))
    assert words.encode("cp858") not in walk_in.output


@pytest.mark.parametrize(("lang", "words"), [("fr", "Prioritaire"), ("ar", "Prioritaire")])
def test_a_priority_ticket_says_so_in_words_under_its_number(lang: str, words: str) -> None:
    """A priority ticket prints "Prioritaire" (French for a ticket taken in Arabic, which CP858 cannot write) between
    the number and the service; an ordinary one does not."""
    printer = Dummy()
    print_ticket(printer, dataclasses.replace(slip(lang), priority=True))
    output = printer.output
    assert output.find(b"A042") < output.find(words.encode("cp858")) < output.find("État civil".encode("cp858"))
    ordinary = Dummy()
    print_ticket(ordinary, slip(lang))
    assert words.encode("cp858") not in ordinary.output


def test_the_wait_prints_in_the_kiosks_words() -> None:
    """The wait prints as the screens say it, "Pas d'attente" when nobody waits, never "about 1 min"; an estimate
    not known yet prints no line."""
    printer = Dummy()
    print_ticket(printer, dataclasses.replace(slip(), estimated_wait_s=0))
    assert "Pas d'attente".encode("cp858") in printer.output
    assert b"1 min" not in printer.output
    unknown = Dummy()
    print_ticket(unknown, dataclasses.replace(slip(), estimated_wait_s=None))
    assert "Pas d'attente".encode("cp858") not in unknown.output and b"min" not in unknown.output
