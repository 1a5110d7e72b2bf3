"""A sheet's Markdown made into what pages show and what the search reads.

- ``html``: CommonMark with tables and strikethrough (markdown-it-py), raw HTML in the Markdown written out as text,
  then sanitised by nh3 (Ammonia) with a short list of tags and attributes: whatever an editor writes, a page shows
  no script, style, frame or event handler, and links open nothing of ours in another's name (``rel="noopener
  noreferrer"``; only http, https, mailto and tel).
- ``plain``: the words a person reads, without the Markdown's marks (``**``, ``#``, link targets), paragraphs
  apart: what the search indexes and cuts its excerpts from.

A sheet's headings start at level 2 (its highest, ``#`` or ``##``, is an ``<h2>``): the page's own title is its
``<h1>``."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

TAGS = frozenset({"p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "code", "pre", "blockquote",
                  "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"})
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_ALIGN = frozenset({"text-align"})


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"])


def _headings_down(tokens: list[Token]) -> None:
    """The sheet's highest heading is an ``<h2>`` (whether written ``#`` or ``##``), the others one level below
    each, ``<h6>`` at most: no level skipped under the page's ``<h1>``."""
    headings = [token for token in tokens if token.type in ("heading_open", "heading_close")]
    if not headings:
        return
    shift = 2 - min(int(token.tag[1]) for token in headings)
    for token in headings:
        token.tag = f"h{min(6, int(token.tag[1]) + shift)}"


def html(markdown: str) -> str:
    """``markdown`` as sanitised HTML, safe to put in a page as it is."""
    parser = _parser()
    tokens = parser.parse(markdown)
    _headings_down(tokens)
    rendered = parser.renderer.render(tokens, parser.options, {})
    return nh3.clean(rendered, tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
                     url_schemes=set(SCHEMES), link_rel="noopener noreferrer",
                     filter_style_properties=set(_ALIGN))


def plain(markdown: str) -> str:
    """The text of ``markdown`` a reader sees, one block a paragraph (blank lines between), marks left out."""
    blocks: list[str] = []
    for token in _parser().parse(markdown):
        if token.type == "inline":
            blocks.append("".join(_inline_text(token.children or [])))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(block for block in blocks if block.strip())


def _inline_text(children: list[Token]) -> list[str]:
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)  # its alternative text
    return out
