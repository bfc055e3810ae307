"""A Whoosh segment writer that writes a batch's postings in bulk, in Whoosh's own format.

Whoosh's SegmentWriter puts every posting of every document through its posting pool (a size
estimate and two type assertions per posting), sorts them all, and then writes them one by one
(`FieldWriter.add_postings`: the field length read back from the column just written, per
posting; `add_posting`'s assertions again): ~60 % of indexing a Reuters batch (cProfile,
docs/performance.md, "Issue 14, import profile"). Here a batch's postings are gathered per
field and term in memory as the documents come (document numbers arrive in order, so each
term's list is already sorted), with each document's field length known from its own
postings; at the commit each term's blocks go straight to whoosh3's block writer
(`W3PostingsWriter._write_block`), so the files are those Whoosh writes itself, byte for
byte (tests/search/test_whoosh_bulkwriter.py compares them).

Anything else takes Whoosh's own path: postings from merged segments (`add_reader` fills the
pool), a batch too big to hold in memory (then spilled into the pool, which sorts on disk),
another codec, or fields with spelling words or term vectors. Imported by the Whoosh backend
only.
"""

from __future__ import annotations

from array import array
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

# Postings held in memory before the rest of a batch goes through Whoosh's pool: a Reuters
# article has ~190, so about 8,000 articles (~150 MB of small tuples), more than a catch-up
# batch (5,000); a rebuild's bigger batches spill the rest.
MAX_POSTINGS = 1_500_000

# One posting as gathered: (document number, weight, encoded value or None).
Gathered = tuple[int, float, bytes | None]


def _stored_length(length: int) -> int | None:
    """The field length as Whoosh reads it back from the lengths column (a byte: approximate),
    None when no byte is stored, as `W3PerDocReader.doc_field_length_reader` gives it."""
    if not length:
        return None
    lbyte = length_to_byte(length)
    return byte_to_length(lbyte) if lbyte else None


class BulkSegmentWriter(SegmentWriter):
    """SegmentWriter whose own documents' postings are written in bulk (same files)."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        # field -> term bytes -> postings in document order
        self._gathered: dict[str, dict[bytes, list[Gathered]]] = {}
        # field -> document number -> field length as stored (None: none stored)
        self._lengths: dict[str, dict[int, int | None]] = {}
        self._count = 0
        self._bulk = (
            type(self.codec) is W3Codec
            and self.codec._inlinelimit <= 1  # postings are never inlined in the term table
            and not any(
                f.vector or f.separate_spelling() for _, f in self.schema.items() if f.indexed
            )
        )

    def add_document(self, **fields: Any) -> None:
        if not self._bulk:
            super().add_document(**fields)
            return
        if self._count > MAX_POSTINGS:
            self._spill()
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted([name for name in fields if not name.startswith("_")])
        self._check_fields(schema, fieldnames)
        gathered = self._gathered
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    terms = gathered.get(fieldname)
                    if terms is None:
                        terms = gathered[fieldname] = {}
                    scorable = field.scorable
                    added = 0
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        posting = (docnum, weight * fieldboost, vbytes)
                        found = terms.get(tbytes)
                        if found is None:
                            terms[tbytes] = [posting]
                        else:
                            found.append(posting)
                        added += 1
                    if added:
                        self._count += added
                        self._lengths.setdefault(fieldname, {})[docnum] = _stored_length(length)
                customval = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(
                    fieldname, field, customval if field.stored else None, length
                )
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(
                        fieldname, column, field.to_column_value(customval)
                    )
        except ValueError:
            perdocwriter.cancel_doc()
            self._forget(docnum)
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _forget(self, docnum: int) -> None:
        """Drop the postings gathered for a document whose fields failed half way."""
        for terms in self._gathered.values():
            for tbytes in [t for t, posts in terms.items() if posts[-1][0] == docnum]:
                posts = terms[tbytes]
                posts.pop()
                self._count -= 1
                if not posts:
                    del terms[tbytes]
        for lengths in self._lengths.values():
            lengths.pop(docnum, None)

    def _spill(self) -> None:
        """Hand everything gathered to Whoosh's pool; its path does the rest of the batch."""
        add = self.pool.add
        for fieldname, terms in self._gathered.items():
            for tbytes, posts in terms.items():
                for docnum, weight, vbytes in posts:
                    add((fieldname, tbytes, docnum, weight, vbytes))
        self._gathered.clear()
        self._lengths.clear()
        self._bulk = False

    def _flush_segment(self) -> None:
        if self.pool.current or self.pool.runs:  # merged segments' postings: Whoosh sorts all
            self._spill()
        if not self._bulk or type(self.fieldwriter) is not W3FieldWriter:
            super()._flush_segment()
            return
        self.perdocwriter.close()
        write_fields(self.fieldwriter, self.schema, self._gathered, self._lengths)
        self.fieldwriter.close()
        self._gathered.clear()
        self._lengths.clear()


def write_fields(
    fw: Any,
    schema: Any,
    gathered: dict[str, dict[bytes, list[Gathered]]],
    lengths: dict[str, dict[int, int | None]],
) -> None:
    """Write every field's terms and posting blocks through a W3FieldWriter, in the order
    Whoosh's sorted pool gives them (field name, then term bytes)."""
    for fieldname in sorted(gathered):
        terms = gathered[fieldname]
        if not terms:
            continue
        fw.start_field(fieldname, schema[fieldname])
        pw = fw._postwriter
        limit = pw._blocklimit
        field_lengths = lengths.get(fieldname, {})
        for tbytes in sorted(terms):
            posts = terms[tbytes]
            fw.start_term(tbytes)
            for start in range(0, len(posts), limit):
                block = posts[start : start + limit]
                _fill_block(pw, block, field_lengths)
                pw._write_block(last=start + limit >= len(posts))
            fw.finish_term()
        fw.finish_field()


def _fill_block(pw: Any, block: list[Gathered], lengths: dict[int, int | None]) -> None:
    """Set a W3PostingsWriter's block buffer as `add_posting` would have, one call per block."""
    ids = [p[0] for p in block]
    weights = [p[1] for p in block]
    pw._ids = array("I", ids)
    pw._weights = array("f", weights)
    pw._values = [p[2] for p in block if p[2]]
    # add_posting keeps the largest weight as given (not as the float32 stored), from 0.
    pw._maxweight = max(0, max(weights))
    known = [n for n in map(lengths.get, ids) if n]
    pw._minlength = min(known) if known else None
    pw._maxlength = max(known) if known else 0
