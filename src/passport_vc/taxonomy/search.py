"""Text matching for taxonomy search: case- and accent-insensitive, label hits ranked first."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Ligatures that NFKD leaves whole but that French writers type either way (œ/oe).
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})
_WORD = re.compile(r"[0-9a-z]+")

# Rank of a hit, best first: where the query matched decides the order of results.
EXACT = 0  # the code, or a whole label, equals the query
LABEL_START = 1  # as LABEL_WORDS, and the label starts with the first query word
LABEL_WORDS = 2  # every query word starts a word of a label
LABEL_TEXT = 3  # every query word occurs somewhere in a label
CODE_TEXT = 4  # the query occurs in the code
DEFINITION = 5  # every query word occurs in the definition


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents, so "Découpe" and "decoupe" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold()


def words(text: str) -> list[str]:
    """The folded alphanumeric words of `text`."""
    return _WORD.findall(fold(text))


def rank(query: str, *, code: str, labels: Iterable[str], definition: str | None) -> int | None:
    """How well `query` matches one skill (a rank above, lower is better), or None for no match."""
    query_words = words(query)
    if not query_words:
        return None
    joined_query = " ".join(query_words)
    code_words = words(code)
    label_list = list(labels)
    if code_words == query_words or any(words(label) == query_words for label in label_list):
        return EXACT
    hits = [_label_rank(query_words, words(label)) for label in label_list]
    best = min((hit for hit in hits if hit is not None), default=None)
    if best is not None:
        return best
    if joined_query in " ".join(code_words):
        return CODE_TEXT
    if definition is not None:
        folded_definition = " ".join(words(definition))
        if all(q in folded_definition for q in query_words):
            return DEFINITION
    return None


def _label_rank(query_words: list[str], label_words: list[str]) -> int | None:
    if all(any(w.startswith(q) for w in label_words) for q in query_words):
        starts = bool(label_words) and label_words[0].startswith(query_words[0])
        return LABEL_START if starts else LABEL_WORDS
    if all(q in " ".join(label_words) for q in query_words):
        return LABEL_TEXT
    return None
