"""Message templates: Jinja2 files per language, French first, a tenant's own before the defaults."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from queue_server.platform.outbox import MessageTemplates


def test_the_default_templates_are_french_first_with_english() -> None:
    """The package's templates render in French, in English, and in French for a language they lack."""
    templates = MessageTemplates()
    assert templates.render(None, "check", "fr", tenant_name="Mairie de Test") == (
        "Mairie de Test : message de test",
        "Bonjour,\n\nCe message confirme que Mairie de Test peut envoyer des courriels depuis Guichet.\n"
        "Vous n'avez rien à faire.")
    assert templates.render(None, "check", "en", tenant_name="Town")[0] == "Town: test message"
    assert templates.render(None, "check", "de", tenant_name="Stadt")[0] == "Stadt : message de test"


def test_an_sms_template_has_an_empty_subject() -> None:
    """A text message's template renders its body alone."""
    subject, body = MessageTemplates().render("demo", "turn_near", "fr", number="A012", service="État civil",
                                              site="Mairie", ahead=2)
    assert (subject, body) == ("", "Ticket A012 (État civil, Mairie) : votre tour approche. Personnes avant vous : 2.")


def test_a_tenants_own_template_comes_before_the_default(tmp_path: Path) -> None:
    """A tenant's template in the override directory wins, in its language; other tenants keep the default."""
    (tmp_path / "ville-a" / "en").mkdir(parents=True)
    (tmp_path / "ville-a" / "en" / "check.txt").write_text(
        "{% block subject %}Hi from {{ tenant_name }}{% endblock %}{% block body %}Ours.{% endblock %}")
    templates = MessageTemplates(tmp_path)
    assert templates.render("ville-a", "check", "en", tenant_name="A") == ("Hi from A", "Ours.")
    assert templates.render("ville-a", "check", "fr", tenant_name="A")[0] == "A : message de test"
    assert templates.render("ville-b", "check", "en", tenant_name="B")[0] == "B: test message"


def test_a_missing_value_or_template_is_an_error() -> None:
    """A value the template names and the caller omits, or an unknown template, raises instead of sending."""
    templates = MessageTemplates()
    with pytest.raises(jinja2.UndefinedError):
        templates.render(None, "check", "fr")
    with pytest.raises(jinja2.TemplateNotFound):
        templates.render(None, "no-such-message", "fr")


def test_a_tenants_template_runs_in_a_sandbox(tmp_path: Path) -> None:
    """A tenant's template cannot reach Python's internals through the values it is given."""
    (tmp_path / "t" / "fr").mkdir(parents=True)
    (tmp_path / "t" / "fr" / "check.txt").write_text(
        "{% block body %}{{ tenant_name.__class__.__mro__[1].__subclasses__() }}{% endblock %}")
    with pytest.raises(jinja2.exceptions.SecurityError):
        MessageTemplates(tmp_path).render("t", "check", "fr", tenant_name="x")


def test_the_language_of_a_message_is_the_one_its_template_is_found_in(tmp_path: Path) -> None:
    """A message is written in the language asked when a template exists in it (the tenant's own counts), else
    in French."""
    (tmp_path / "ville-a" / "de").mkdir(parents=True)
    (tmp_path / "ville-a" / "de" / "check.txt").write_text("{% block subject %}Test{% endblock %}")
    templates = MessageTemplates(tmp_path)
    assert [templates.language("ville-a", "check", lang) for lang in ("en", "de", "es")] == ["en", "de", "fr"]
    assert templates.language("ville-b", "check", "de") == "fr"
