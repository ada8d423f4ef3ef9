"""Free-text matching of predicted items to gold items.

Wording differs between a labeller and an analyzer ("Send the revised budget" vs "Maria will send revised
budget figures"), so items are compared on their stemmed content words rather than verbatim.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

THRESHOLD = 0.35

# Letters and digits of any script; underscores are not word characters for this purpose.
_TOKEN = re.compile(r"[^\W_]+")

# The usual English stop list (function words, auxiliaries, pronouns) plus the modal "will"/"shall" that
# every action item carries; none of them says what the item is about.
_STOP_LIST = """
    a about above after again against all am an and any are aren as at be because been before being below
    between both but by can cannot could couldn d did didn do does doesn doing don down during each few for
    from further had hadn has hasn have haven having he her here hers herself him himself his how i if in into
    is isn it its itself just ll m ma me might mightn more most must mustn my myself need needn no nor not now
    o of off on once only or other our ours ourselves out over own re s same shall shan she should shouldn so
    some such t than that the their theirs them themselves then there these they this those through to too
    under until up ve very was wasn we were weren what when where which while who whom why will with won
    would wouldn y you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_LIST.split())


@dataclass(frozen=True)
class Pair:
    gold: int
    predicted: int
    score: float


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


def content_words(text: str) -> frozenset[str]:
    """Stemmed, lower-cased words of `text` without stop words."""
    tokens = [token for token in _TOKEN.findall(text.casefold()) if token not in STOP_WORDS]
    return frozenset(_stemmer().stemWords(tokens))


def ochiai(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / math.sqrt(len(left) * len(right))


def match(gold: Sequence[str], predicted: Sequence[str], threshold: float = THRESHOLD) -> list[Pair]:
    """One-to-one greedy matching: the best-scoring pair first, each item used at most once.

    Ties go to the earlier gold item, then the earlier prediction, so results are reproducible.
    """
    gold_words = [content_words(text) for text in gold]
    predicted_words = [content_words(text) for text in predicted]
    candidates = [
        Pair(g, p, score)
        for g, left in enumerate(gold_words)
        for p, right in enumerate(predicted_words)
        if (score := ochiai(left, right)) >= threshold
    ]
    candidates.sort(key=lambda pair: (-pair.score, pair.gold, pair.predicted))
    used_gold: set[int] = set()
    used_predicted: set[int] = set()
    pairs = []
    for pair in candidates:
        if pair.gold in used_gold or pair.predicted in used_predicted:
            continue
        used_gold.add(pair.gold)
        used_predicted.add(pair.predicted)
        pairs.append(pair)
    return sorted(pairs, key=lambda pair: pair.gold)
