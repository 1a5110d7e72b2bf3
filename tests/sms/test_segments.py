"""SMS segments (GSM 03.38) and the "turn near" text, which always fits one SMS."""

from __future__ import annotations

import pytest

from queue_server.platform.sms import GSM7_BASIC, TURN_NEAR, segments, turn_near_message

LONG_SERVICE = "Passeports et cartes nationales d'identité sécurisées"
LONG_SITE = "Mairie annexe du quartier Saint-Exupéry-les-Vignes"
REALISTIC = [("État civil", "Mairie de Démoville"), ("Passeports", "Hôtel de ville de Saint-Étienne"),
             ("Urbanisme", "Mairie annexe du quartier Nord"),
             ("Passeports et cartes d'identité", "Mairie de Démoville")]


def test_a_gsm7_text_takes_160_characters_in_one_sms_and_153_per_part() -> None:
    """Plain GSM-7 text: 160 characters are one SMS, 161 are two, and parts hold 153 each."""
    assert [segments("a" * n) for n in (0, 1, 160, 161, 306, 307)] == [1, 1, 1, 2, 2, 3]


def test_extension_characters_count_twice_and_are_never_split() -> None:
    """€ [ ] { } ~ ^ | \\ take two septets, and an escape pair never straddles two parts."""
    assert segments("€" * 80) == 1 and segments("€" * 80 + "a") == 2
    assert segments("a" * 152 + "€" + "a" * 153) == 3  # the € cannot start at septet 153 of part one


def test_french_accents_of_the_gsm7_set_keep_160_characters() -> None:
    """é è ù à É Ç and the other letters of the basic set keep a text in GSM-7."""
    accents = "éèùìòÇØøÅåÆæßÉÄÖÑÜäöñüà¡¿§£¥¤ΔΦΓΛΩΠΨΣΘΞ_"
    assert set(accents) <= GSM7_BASIC
    assert segments(accents + "a" * (160 - len(accents))) == 1


@pytest.mark.parametrize("char", list("çâêîôûëïáíóú") + ["œ", "’", "\u00a0", "\u202f", "ع"])
def test_a_character_outside_gsm7_turns_the_text_to_70_character_ucs2(char: str) -> None:
    """ç, â, ê, î, ô, û, ë, ï, á, í, ó, ú, curly quotes, no-break spaces and Arabic make a text UCS-2."""
    assert char not in GSM7_BASIC
    assert segments(char + "a" * 69) == 1
    assert segments(char + "a" * 70) == 2
    assert segments(char + "a" * 133) == 2 and segments(char + "a" * 134) == 3  # 67 per part


def test_characters_beyond_the_bmp_count_two_ucs2_units() -> None:
    """An emoji is a surrogate pair: 35 of them fill one SMS, and a pair is never split."""
    assert segments("🙂" * 35) == 1 and segments("🙂" * 36) == 2
    # 134 units would be two parts of 67, but the pair at units 67-68 moves whole to part two.
    assert segments("çç" + "a" * 132) == 2 and segments("çç" + "🙂" * 66) == 3


def test_the_english_text_names_ticket_service_site_and_people_ahead() -> None:
    """With realistic names the English text says everything in one SMS."""
    text = turn_near_message("en", "A042", "État civil", "Mairie de Démoville", 2)
    assert text == "Ticket A042 (État civil, Mairie de Démoville): your turn is near. People ahead of you: 2."
    assert segments(text) == 1


@pytest.mark.parametrize("lang", ["fr", "en", "es", "ar"])
def test_each_language_keeps_the_service_for_realistic_names(lang: str) -> None:
    """With the shipped catalogs, a realistic ticket keeps its number, service and people ahead in one SMS."""
    for service, site in REALISTIC:
        text = turn_near_message(lang, "A042", service, site, 3)
        assert segments(text) == 1, text
        assert "A042" in text and "3" in text
        assert service[:8] in text, text  # long names may be shortened, never dropped


def test_french_keeps_the_site_name_when_both_names_are_gsm7() -> None:
    """A French text of GSM-7 names keeps the site's name."""
    text = turn_near_message("fr", "A042", "État civil", "Mairie de Démoville", 1)
    assert text == "Ticket A042 (État civil, Mairie de Démoville) : votre tour approche. Personnes avant vous : 1."


def test_a_site_name_outside_gsm7_is_dropped_rather_than_costing_two_sms() -> None:
    """"Hôtel" makes the full text UCS-2 and too long: the site's name goes, and the rest is GSM-7."""
    text = turn_near_message("fr", "B007", "Passeports et cartes d'identité", "Hôtel de ville de Saint-Étienne", 2)
    assert text == "Ticket B007 (Passeports et cartes d'identité) : votre tour approche. Personnes avant vous : 2."


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar"])
@pytest.mark.parametrize("ahead", [0, 3, 99])
def test_long_names_are_shortened_so_that_the_text_always_fits_one_sms(lang: str, ahead: int) -> None:
    """Very long (and non-GSM-7) service and site names are dropped or cut: always one SMS."""
    for service, site in [(LONG_SERVICE, LONG_SITE), (LONG_SERVICE * 4, LONG_SITE * 4), ("ç" * 200, "û" * 200),
                          ("Île-de-France – Urbanisme", "Mairie de Saint-Benoît")]:
        text = turn_near_message(lang, "A042", service, site, ahead)
        assert segments(text) == 1, text
        assert "A042" in text and f"{ahead}." in text


def test_an_absurd_ticket_number_is_cut_to_one_sms() -> None:
    """Even a 300-character ticket number gives one SMS (the last resort cuts the text)."""
    assert segments(turn_near_message("en", "Z" * 300, "Urbanisme", "Mairie", 1)) == 1


def test_a_translation_with_broken_placeholders_falls_back_to_english() -> None:
    """A catalog entry naming an unknown placeholder does not fail the message: English is sent."""
    text = turn_near_message("fr", "A001", "État civil", "Mairie", 2,
                             gettext=lambda msgid: msgid.replace("{number}", "{numero}"))
    assert text == "Ticket A001 (État civil, Mairie): your turn is near. People ahead of you: 2."


def test_the_message_asks_the_catalog_for_exactly_the_documented_msgids() -> None:
    """turn_near_message looks up the TURN_NEAR msgids, the ones `make i18n` extracts."""
    asked: list[str] = []

    def gettext(msgid: str) -> str:
        asked.append(msgid)
        return msgid

    turn_near_message("fr", "A001", "État civil", "Mairie", 2, gettext=gettext)
    assert tuple(asked) == TURN_NEAR
