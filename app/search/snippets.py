"""Where a snippet starts and stops: at a sentence boundary when one is near, else at a word,
with "…" wherever the text goes on (so a snippet never starts mid-sentence in lower case, nor
stops mid-phrase, without saying so). Backend-neutral: it works on character offsets."""

from __future__ import annotations

import re

# How far a snippet may grow to reach a sentence boundary, either side.
REACH = 60
# A sentence ends with . ! or ? (then perhaps a closing quote or bracket) before a space.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s|$)")
_TRAILING_PUNCT = re.compile(r"[\s,;:–—-]+$")


def widen(text: str, start: int, end: int) -> tuple[int, int, bool, bool]:
    """(start, end, cut_before, cut_after) for the passage text[start:end]: moved out to the
    nearest sentence boundaries within REACH characters, else to word boundaries; the flags
    say whether text was left out before or after (where "…" belongs)."""
    start, end = max(0, start), min(len(text), end)
    cut_before = False
    if start > 0:
        window = text[max(0, start - REACH) : start]
        ends = list(_SENTENCE_END.finditer(window))
        if ends:
            start = max(0, start - REACH) + ends[-1].end()
        elif text[:start].strip():
            space = text.rfind(" ", 0, start + 1)
            start = space + 1 if space >= 0 and start - space <= REACH else start
            cut_before = True
        while start < end and text[start].isspace():
            start += 1
    cut_after = False
    if end < len(text):
        found = _SENTENCE_END.search(text, end - 1, min(len(text), end + REACH))
        if found and not text[end - 1 : found.start()].count("\n\n"):
            end = found.end()
        else:
            space = text.find(" ", end)
            end = len(text) if space < 0 or space - end > REACH else space
            cut_after = end < len(text)
    if cut_after:
        end = start + len(_TRAILING_PUNCT.sub("", text[start:end]))
    return start, end, cut_before, cut_after
