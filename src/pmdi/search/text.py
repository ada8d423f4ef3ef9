"""Query terms, and snippets with the matched words marked (as offsets: the client escapes and marks them)."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from pmdi.search.schemas import Highlight

_TERM = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = """
a about above after again all also am an and any are as at be been before being below between both but by can
could did do does doing down during each few for from further had has have having he her here hers him his how
i if in into is it its just me more most my no nor not now of off on once only or other our out over own same
she should so some such than that the their them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your please tell show give
find list
"""
STOPWORDS = frozenset(_STOPWORDS.split())
SNIPPET_CHARS = 280
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word.casefold()))


def words(text: str) -> list[str]:
    return [w.casefold() for w in _TERM.findall(text)]


def query_terms(query: str, limit: int = 32) -> list[str]:
    """The words worth matching, in order; all words when the query is nothing but stop words."""
    every = words(query)
    content = [w for w in every if w not in STOPWORDS]
    return (content or every)[:limit]


def snippet(text: str, terms: list[str]) -> tuple[str, list[Highlight]]:
    """A window of the chunk around its densest run of matched words, with those words' offsets in it."""
    # A word matches when it starts with a term's stem ("decisions", "decided" for "decide"): stemming every
    # word of every hit would cost more than the search itself.
    stems = tuple(stem(t) for t in terms)
    hits = [(m.start(), m.end()) for m in _TERM.finditer(text) if m.group().casefold().startswith(stems)]
    if len(text) <= SNIPPET_CHARS:
        begin, end = 0, len(text)
    else:
        begin = _densest(hits, len(text))
        end = min(len(text), begin + SNIPPET_CHARS)
        begin = _word_start(text, begin)
    cut = text[begin:end]
    marks = [Highlight(start=s - begin, end=e - begin) for s, e in hits if s >= begin and e <= end]
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    marks = [Highlight(start=m.start + shift, end=m.end + shift) for m in marks]
    return f"{prefix}{cut}{suffix}", marks


def _densest(hits: list[tuple[int, int]], length: int) -> int:
    if not hits:
        return 0
    best, best_count = hits[0][0], 0
    for i, (start, _) in enumerate(hits):
        count = sum(1 for s, _ in hits[i:] if s < start + SNIPPET_CHARS)
        if count > best_count:
            best, best_count = start, count
    return max(0, min(best - 40, length - SNIPPET_CHARS))


def _word_start(text: str, index: int) -> int:
    while 0 < index < len(text) and not text[index - 1].isspace():
        index += 1
    return index
