"""A date for text files that have no date header (the BBC corpus as distributed, a folder of
notes): one given for the whole import (`--date`), or one read from each file's path
(`--date-from-path`: `2022/01/06/story.txt`, `story-20220106.txt`). A date header in the file
always wins. Provenance records which was used."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from app.ingest.record import InvalidArticle

# YYYY-MM-DD, YYYY_MM_DD, YYYY.MM.DD, YYYYMMDD, or YYYY/MM/DD across folders; not inside a
# longer number.
_PATH_DATE = re.compile(
    r"(?<!\d)(?P<y>1[89]\d\d|20\d\d)[-_./]?(?P<m>0[1-9]|1[0-2])[-_./]?(?P<d>0[1-9]|[12]\d|3[01])"
    r"(?!\d)"
)


def date_in_path(path: str) -> tuple[dt.date, str] | None:
    """The date nearest the file name in `path` (the file name first, then its folders from
    the innermost out), with the text it was read from; None if there is none."""
    normal = path.replace("\\", "/")
    for match in reversed(list(_PATH_DATE.finditer(normal))):
        try:
            found = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:  # 2021-02-30
            continue
        return found, match.group(0)
    return None


@dataclass(frozen=True)
class UndatedFiles:
    """What to do with a text file without a date header: take the date from its path (when
    `from_path`), else `date`; with neither, the file fails as before."""

    date: dt.date | None = None
    from_path: bool = False

    def resolve(self, path: str) -> tuple[dt.date, dict[str, Any]]:
        """The date for an undated file at `path`, and the provenance entry saying why."""
        if self.from_path and (found := date_in_path(path)):
            return found[0], {"from": "path", "text": found[1]}
        if self.date is not None:
            return self.date, {"from": "--date"}
        if self.from_path:
            raise InvalidArticle(
                "no 'date YYYY-MM-DD' header line, and no date (YYYY-MM-DD, YYYYMMDD or "
                "YYYY/MM/DD) in the path; give --date YYYY-MM-DD for such files"
            )
        raise InvalidArticle("no 'date YYYY-MM-DD' header line at the top")
