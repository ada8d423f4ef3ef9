"""A small stop-word vote for the document language: enough to tell users and analyzers what they have."""

from __future__ import annotations

import re
from collections import Counter

_STOPWORDS = {
    "en": "the and of to in is that for with on are be this will as by from have at not",
    "de": "der die und das ist nicht mit von den zu ein eine auf für dem des im wird sich",
    "fr": "le la les et des est une que pour dans pas sur du qui au avec par sont",
    "es": "el la los las de que y en un una es por con para del se no al",
    "nl": "de het een en van is dat niet op te zijn met voor er aan ook wordt",
    "it": "il la di che e un una per non sono del della con le si da al",
    "pt": "o a os as de que e um uma para com não do da em por se no",
}
_WORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str, sample_chars: int = 20_000) -> str | None:
    tokens = [t.lower() for t in _TOKEN.findall(text[:sample_chars])]
    if len(tokens) < 20:
        return None
    votes = Counter({lang: sum(1 for t in tokens if t in words) for lang, words in _WORDS.items()})
    language, hits = votes.most_common(1)[0]
    return language if hits / len(tokens) >= 0.08 else None
