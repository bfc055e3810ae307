"""Citations of one article: a plain-text line, BibTeX and RIS (what reference managers import)."""

from __future__ import annotations

import re
import unicodedata

from app.ingest.names import display_name
from app.models import Article

_BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_^~])")


def _names(article: Article) -> list[str]:
    return [display_name(n) for n in article.authors or []]


def plain(article: Article, *, permalink: str, accessed: str) -> str:
    """One line in a common newspaper style: authors, "title", source, date, URL, access date."""
    parts = []
    if names := _names(article):
        parts.append(", ".join(names) + ".")
    parts.append(f"“{article.title}.”")
    if article.source:
        parts.append(f"{article.source},")
    parts.append(article.published.strftime("%-d %B %Y") + ".")
    if article.url:
        parts.append(f"{article.url}.")
    parts.append(f"Archived copy: {permalink} (accessed {accessed}).")
    return " ".join(parts)


def _bibtex_escape(text: str) -> str:
    return _BIBTEX_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def bibtex_key(article: Article) -> str:
    """`lastnameYEARfirstword`, ASCII only, e.g. `liptak2022top`."""
    first_author = _names(article)[0].split()[-1] if _names(article) else article.source or "anon"
    word = next((w for w in re.findall(r"[A-Za-z]{3,}", article.title)), "article")
    raw = f"{first_author}{article.published.year}{word}".lower()
    ascii_key = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_key) or f"article{article.id}"


def bibtex(article: Article, *, permalink: str, accessed: str) -> str:
    """A BibTeX `@article` entry (biblatex reads it too)."""
    fields = [("title", article.title)]
    if names := _names(article):
        fields.append(("author", " and ".join(names)))
    if article.source:
        fields.append(("journal", article.source))
    d = article.published
    fields += [("year", str(d.year)), ("month", str(d.month)), ("day", str(d.day))]
    fields += [("date", d.isoformat()), ("url", article.url or permalink)]
    fields += [("urldate", accessed), ("note", f"Archived at {permalink}")]
    body = ",\n".join(f"  {name} = {{{_bibtex_escape(value)}}}" for name, value in fields)
    return f"@article{{{bibtex_key(article)},\n{body}\n}}\n"


def ris(article: Article, *, permalink: str, accessed: str) -> str:
    """An RIS record of type NEWS (Zotero, EndNote, Mendeley)."""

    def clean(value: str) -> str:
        return " ".join(value.split())  # RIS is one tag per line

    lines = [("TY", "NEWS"), ("TI", clean(article.title))]
    lines += [("AU", clean(name)) for name in _names(article)]
    if article.source:
        lines.append(("T2", clean(article.source)))
    lines += [
        ("PY", str(article.published.year)),
        ("DA", article.published.strftime("%Y/%m/%d")),
        ("UR", clean(article.url or permalink)),
        ("Y2", accessed),
        ("N1", f"Archived at {permalink}"),
    ]
    if article.language:
        lines.append(("LA", clean(article.language)))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}\n" for tag, value in lines)
