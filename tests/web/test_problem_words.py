"""Staff pages say the queue's refusals in the page's language: every kind of refusal has its words."""

from __future__ import annotations

from queue_server.queue.domain import errors
from queue_server.queue.web.words import problem_words


def _kinds(cls: type[errors.DomainError]) -> set[str]:
    return {f"/problems/{''.join('-' + c.lower() if c.isupper() else c for c in sub.__name__).lstrip('-')}"
            for sub in cls.__subclasses__()} | {k for sub in cls.__subclasses__() for k in _kinds(sub)}


def test_every_refusal_of_the_queue_has_french_words() -> None:
    """Each DomainError's problem type (web/errors.py names it after the class) is said in French."""
    words = problem_words("fr")
    kinds = _kinds(errors.DomainError) - {"/problems/idempotency-key-reused"}  # devices only, never a page
    assert kinds <= set(words)
    assert words["/problems/invalid-transition"].startswith("Impossible pour ce ticket maintenant")
