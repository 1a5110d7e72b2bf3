"""The printed ticket's text, laid out on python-escpos's Dummy printer (no connection involved)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from escpos.printer import Dummy

from kiosk.printer import TicketSlip, print_ticket


def slip(lang: str) -> TicketSlip:
    return TicketSlip(site_name="Mairie de Démoville", number="A042", service_name="État civil", people_ahead=3,
                      estimated_wait_s=600, issued_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
                      tracking_url="http://127.0.0.1:8000/t/abc", lang=lang)


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
