"""Conservative clean-up of article text for display. It changes spacing and stray punctuation only,
never words: the stored body stays exactly as loaded, and a test checks that every word survives."""

from __future__ import annotations

import itertools
import re

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
# A sentence's end: . ! ? (or a colon), perhaps inside a closing quote or bracket.
# Hard-wrapped text keeps its lines under this; longer lines are whole paragraphs.
UNWRAPPED_LINE = 120
_SENTENCE_END = re.compile(r"[.!?:][”\"’')\]]*$")
_ABBREVIATION_END = re.compile(r"(?:^|\s)(?:[A-Z][A-Za-z]{0,3}\.)+$")
_LIST_ITEM = re.compile(r"^(?:[-*•–]|\d{1,2}[.)])\s+\S")
_SPACES = re.compile(r"[ \t\r\f\v\n]+")
# ". ." and "said. ." left by copy-paste: one full stop is enough.
_DOUBLE_STOP = re.compile(r"\.(?:\s+\.)+(?=\s|$|[”\"’)])")
# ", ”she said" -> ",” she said": a closing curly quote detached from its clause.
_DETACHED_CLOSE = re.compile(r"([,.!?;:])\s+”(?=\w)")
# "“ word" -> "“word"
_DETACHED_OPEN = re.compile(r"“\s+(?=\w)")
# "crisis then. that Russia": a full stop between two lower-case words is noise, unless the first
# word is a common abbreviation.
_STRAY_STOP = re.compile(r"\b([a-z]{3,})\.\s+(?=[a-z])")
_ABBREVIATIONS = frozenset(
    "approx etc incl dept govt est misc corp assn univ vol ave blvd jan feb mar apr jun jul aug "
    "sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun".split()
)


def _indent(line: str) -> int:
    stripped = line.lstrip(" \t")
    return len(line[: len(line) - len(stripped)].expandtabs(4))


def _starts_paragraph(previous: str, line: str, *, base_indent: int, width: int) -> bool:
    """Whether `line`, after a single newline, starts a paragraph of its own: it is indented
    more than the block's ordinary lines (the Reuters convention), it is a list item, or the
    previous line ends a sentence well short of the wrap width (its first word would have fit
    there, so the break was made by hand, not by the wrapper)."""
    if _indent(line) >= base_indent + 2:
        return True
    text = line.strip()
    if _LIST_ITEM.match(text):
        return True
    before = previous.rstrip()
    # A new paragraph does not start in lower case ("S.A.\nhas agreed" is one sentence).
    if not _SENTENCE_END.search(before) or text[:1].islower():
        return False
    if _ABBREVIATION_END.search(before):  # "the U.S.\nGovernment", "Lester L.\nColbert"
        return False
    first_word = text.split(" ", 1)[0]
    return len(before) + 1 + len(first_word) <= width


def _split_block(block: str) -> list[str]:
    """One blank-line-separated block as paragraphs: most blocks are one; some plain-text
    conventions mark paragraphs inside a block with an indent or a short line."""
    lines = [line.rstrip() for line in block.split("\n") if line.strip()]
    if len(lines) < 2:
        return lines
    base_indent = min(_indent(line) for line in lines[1:])
    # The wrap width as the longest line shows it: never wider than the wrapper's real width,
    # so a word that fits within it would also have fitted for the wrapper.
    width = max(len(line) for line in lines)
    if width > UNWRAPPED_LINE:  # not hard-wrapped: each line is a paragraph
        return lines
    paragraphs = [[lines[0]]]
    for previous, line in itertools.pairwise(lines):
        if _starts_paragraph(previous, line, base_indent=base_indent, width=width):
            paragraphs.append([])
        paragraphs[-1].append(line)
    return ["\n".join(p) for p in paragraphs]


def split_paragraphs(body: str) -> list[str]:
    """Paragraphs: separated by blank lines, or inside a block by an indented line, a list item
    or a sentence that ends a line well short of the wrap width. Lines inside one paragraph are
    joined with a space."""
    parts = [p for block in _PARAGRAPH_BREAK.split(body.strip()) for p in _split_block(block)]
    return [p for p in (_SPACES.sub(" ", part).strip() for part in parts) if p]


def _drop_stray_stop(match: re.Match[str]) -> str:
    word = match.group(1)
    return match.group(0) if word in _ABBREVIATIONS else f"{word} "


def clean_for_display(paragraph: str) -> str:
    """Tidy one paragraph's typographic noise without removing or reordering any word."""
    text = _SPACES.sub(" ", paragraph).strip()
    text = _DOUBLE_STOP.sub(".", text)
    text = _DETACHED_CLOSE.sub(r"\1” ", text)
    text = _DETACHED_OPEN.sub("“", text)
    text = _STRAY_STOP.sub(_drop_stray_stop, text)
    return _SPACES.sub(" ", text).strip()


def display_paragraphs(body: str) -> list[str]:
    """The body as cleaned paragraphs, ready for a reading page."""
    return [clean_for_display(p) for p in split_paragraphs(body)]
