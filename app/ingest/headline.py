"""Derive a short headline from an article's lead when the input has no title."""

from __future__ import annotations

import re

from app.textclean import clean_for_display

MAX_TITLE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"’]?\s+(?=[“\"‘A-Z0-9])")
_TRAILING_FILLER = frozenset(
    "a an the of to in on at by for and or but with from as that which who is was were be "
    "has had have said says its their his her".split()
)


_HAS_WORDS = re.compile(r"[^\W\d_]{2,}")


def pick_lead(paragraphs: list[str]) -> str:
    """The first paragraph with real words in it (skips "." lines, rules, bare numbers)."""
    return next(
        (p for p in paragraphs if _HAS_WORDS.search(p)), paragraphs[0] if paragraphs else ""
    )


# A headline ends at a clause boundary no earlier than this: shorter would drop the lead's point.
MIN_CLAUSE_CHARS = 40
# A cut before a noun phrase (marked "…") only this late: else a cut near the limit says more.
MIN_PHRASE_CHARS = 60
# Words that open a new clause or a reported statement: the text before them can stand alone.
_CLAUSE_OPENERS = frozenset(
    "that which who whom whose while whereas when where after before because although though "
    "since unless until if but amid despite following ahead including according".split()
)
_SAYING = frozenset(
    "said says say told tells announced announces added adds warned warns reported reports "
    "stated states believes believed claimed claims insisted insists".split()
)
_DETERMINERS = frozenset("the a an this these those its their".split())
_QUOTES = '“”"‘’'


def _clause_cut(sentence: str, limit: int) -> tuple[str, bool] | None:
    """The longest start of `sentence` within `limit` that ends at a clause boundary (a comma,
    semicolon, colon or dash outside quotes, or before a word opening a clause); else one that
    ends before a noun phrase. The flag says whether the cut is a clause boundary."""
    words = sentence.split(" ")
    clause = phrase = None
    length, quoted = 0, False
    for i, word in enumerate(words):
        if length > limit:
            break
        bare = word.strip(_QUOTES + ",;:()").casefold()
        if i and not quoted and length >= MIN_CLAUSE_CHARS:
            kept = " ".join(words[:i])
            # "X said on Tuesday | that …": what was said is the point; no cut there.
            reported = bare == "that" and any(
                w.casefold() in _SAYING for w in words[max(0, i - 4) : i]
            )
            opens = bare in _CLAUSE_OPENERS and not reported
            if opens or kept.endswith((",", ";", ":", " –", " —")):
                clause = kept
            elif (
                bare in _DETERMINERS
                and length >= MIN_PHRASE_CHARS
                and words[i - 1].casefold() not in _TRAILING_FILLER | _SAYING
            ):
                phrase = kept
        quoted ^= (word.count("“") + word.count("”") + word.count('"')) % 2 == 1
        length += len(word) + 1
        ends_clause = not quoted and word.endswith((",", ";", ":")) and i + 1 < len(words)
        if ends_clause and MIN_CLAUSE_CHARS <= length - 1 <= limit:
            clause = " ".join(words[: i + 1])
    if clause:
        return clause, True
    return (phrase, False) if phrase else None


def _trim(words: list[str]) -> list[str]:
    while len(words) > 3 and words[-1].strip('“”"‘’,;:').casefold() in _TRAILING_FILLER:
        words.pop()
    return words


def derive_title(lead: str, *, limit: int = MAX_TITLE_CHARS) -> str:
    """A short headline from the lead: its first sentence when that fits in `limit`
    characters; else the sentence up to a clause boundary (no ellipsis: it reads as a
    headline); else up to a word boundary, marked with "…"."""
    text = clean_for_display(lead)
    sentence = next(
        (s.strip() for s in _SENTENCE_END.split(text) if _HAS_WORDS.search(s)), text.strip()
    )
    if len(sentence) <= limit:
        return sentence.rstrip(" .,;:")
    if cut := _clause_cut(sentence, limit):
        kept, at_clause = cut
        words = _trim(kept.split(" "))
        stem = " ".join(words).rstrip(" ,;:–—")
        return stem if at_clause else stem + "…"
    words = sentence[: limit + 1].split(" ")
    # Drop the last word, which may be cut in half; one very long "word" is cut instead.
    words = words[:-1] if len(words) > 1 else [sentence[:limit]]
    return " ".join(_trim(words)).rstrip(" ,;:") + "…"
