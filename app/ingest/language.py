"""The language of an article as an ISO 639-1 code: the one its source gives, else detected.

A source's own tag wins (an HTTP header, a JSON field, a feed's <language>, <html lang>, JSON-LD
inLanguage): `en-GB`, `EN_us` and `eng` all become `en`. Without one, py3langid guesses from the
title and the start of the body (chosen over lingua-language-detector for speed and size at
equal accuracy on short news text: docs/dependencies.md, `python -m bench.languages`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

# Bibliographic and terminological ISO 639-2 codes of the languages news archives meet most;
# other three-letter codes (no ISO 639-1 code exists for them) are kept as given.
_ISO639_2 = {
    "ara": "ar", "chi": "zh", "zho": "zh", "cze": "cs", "ces": "cs", "dan": "da", "dut": "nl",
    "nld": "nl", "eng": "en", "fin": "fi", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de",
    "gre": "el", "ell": "el", "heb": "he", "hin": "hi", "hun": "hu", "ita": "it", "jpn": "ja",
    "kor": "ko", "nor": "no", "nob": "nb", "nno": "nn", "per": "fa", "fas": "fa", "pol": "pl",
    "por": "pt", "rum": "ro", "ron": "ro", "rus": "ru", "spa": "es", "swe": "sv", "tur": "tr",
    "ukr": "uk", "vie": "vi", "cat": "ca", "ind": "id",
}  # fmt: skip
# Old codes some pages still carry.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}
# "und" is "undetermined", "mul" "multiple", "zxx" "no linguistic content": not a language.
_NOT_A_LANGUAGE = {"und", "mul", "zxx", "mis"}
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")

# Detection reads the title and this much of the body: accuracy stops improving long before
# (bench.languages), and the cost grows with the text.
DETECT_CHARS = 400
# Fewer letters than this say too little to guess from (a caption, a number).
MIN_LETTERS = 12
# Below this probability (py3langid's normalised one) the guess is left out rather than stored.
MIN_CONFIDENCE = 0.5


# English names of the languages news archives meet most, for facets and pages.
NAMES = {
    "ar": "Arabic", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "nb": "Norwegian Bokmål",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


def display_name(code: str) -> str:
    """ "German (de)" for a code with a name here, else the code itself."""
    name = NAMES.get(code)
    return f"{name} ({code})" if name else code


def normalise(tag: str | None) -> str | None:
    """A language tag as its ISO 639-1 code (`en-GB` -> `en`, `deu` -> `de`); None for an empty,
    malformed or "undetermined" tag."""
    if not tag:
        return None
    m = _TAG.match(tag.strip())
    if not m:
        return None
    code = m[1].lower()
    if code in _NOT_A_LANGUAGE:
        return None
    if len(code) == 3:
        return _ISO639_2.get(code, code)
    return _RENAMED.get(code, code)


@functools.cache
def _identifier() -> Any:
    # Loaded once per process, on first use (about 0.1 s); never at import.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(title: str | None, body: str) -> str | None:
    """The language of an article's title and body, or None when too short or unclear."""
    text = f"{title or ''}\n{body[:DETECT_CHARS]}"
    if sum(map(str.isalpha, text)) < MIN_LETTERS:  # map: a third of a generator's time
        return None
    code, confidence = _identifier().classify(text)
    return normalise(code) if confidence >= MIN_CONFIDENCE else None


def language_of(given: str | None, title: str | None, body: str) -> str | None:
    """The source's language when it gives one, otherwise the detected one."""
    return normalise(given) or detect(title, body)
