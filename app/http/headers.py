"""Response header values that may carry user text: encoded so that no byte of it can end a
header line (a CR or LF made the server drop the whole response), and bounded in size."""

from __future__ import annotations

import re
from urllib.parse import quote

# Longest header value built from a request's own text (a URL, a query): well under the 8 KB
# that proxies and clients commonly accept per header.
MAX_ECHOED_HEADER = 4096
# Printable ASCII that may stand as itself; everything else, `%` included, is percent-encoded.
_SAFE = " !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~"
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def header_text(text: str, *, limit: int = MAX_ECHOED_HEADER) -> str:
    """User text for a header: controls, non-ASCII and `%` percent-encoded, cut to `limit`."""
    encoded = quote(text, safe=_SAFE)
    if len(encoded) <= limit:
        return encoded
    cut = encoded[: limit - 3]
    tail = cut.rfind("%", len(cut) - 2)  # never leave half an escape at the end
    return (cut[:tail] if tail != -1 else cut) + "..."


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment` (or `inline`) with the file name: as is when it is plain ASCII, else an
    ASCII fallback plus RFC 5987's UTF-8 form (RFC 6266 section 4.3), as Starlette's
    FileResponse does."""
    kind = "inline" if inline else "attachment"
    fallback = _FALLBACK_UNSAFE.sub("_", filename)[:200] or "download"
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')[:600]}"


def link_header(url: str, rel: str, **params: str) -> str | None:
    """A Link header value, or None when the URL (built from the request's own query) is too
    long to send: the same link is always in the body too."""
    extra = "".join(f'; {k}="{v}"' for k, v in params.items())
    value = f'<{url}>; rel="{rel}"{extra}'
    if len(value) > MAX_ECHOED_HEADER or any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        return None
    return value
