"""A Whoosh segment writer that writes a batch's postings in bulk, in Whoosh's own format.

Whoosh's SegmentWriter puts every posting of every document through its posting pool (a size
estimate and two type assertions per posting), sorts them all, and then writes them one by one
(`FieldWriter.add_postings`: the field length read back from the column just written, per
posting; `add_posting`'s assertions again): ~60 % of indexing a Reuters batch (cProfile,
docs/performance.md, "Issue 14, import profile"). Here a batch's postings are gathered per
field and term in memory as the documents come (document numbers arrive in order, so each
term's list is already sorted), with each document's field length known from its own
postings; at the commit each term's blocks are encoded as whoosh3's block writer encodes
them (postblocks.py), so the files are those Whoosh writes itself, byte for byte
(tests/search/test_whoosh_bulkwriter.py compares them).

Segments merged into the writer (`add_reader`: a commit's small merge, the background merge)
are not poured into the pool either: their postings are read a term at a time at the commit
(segment_postings.py) and written the same way, and their field lengths are read once per
field rather than through a file-existence check per document and field.

Anything else takes Whoosh's own path: a reader of another kind, a batch too big to hold in
memory (then spilled into the pool, which sorts on disk), another codec, or fields with
spelling words or term vectors. Imported by the Whoosh backend only.
"""

from __future__ import annotations

from typing import Any

from whoosh import columns
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from app.search.whoosh.postblocks import write_term
from app.search.whoosh.segment_postings import Posting, SourceSegment

# Postings held in memory before the rest of a batch goes through Whoosh's pool: a Reuters
# article has ~190, so about 8,000 articles (~150 MB of small tuples), more than a catch-up
# batch (5,000); a rebuild's bigger batches spill the rest.
MAX_POSTINGS = 1_500_000

Gathered = Posting  # (document number, weight, encoded value or None)


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
        self._sources: list[SourceSegment] = []  # segments added by add_reader
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

    def write_per_doc(self, fieldnames: Any, reader: Any) -> Any:
        perdoc = getattr(reader, "_perdoc", reader)  # a PerDocumentReader itself (multiproc)
        if not self._bulk or not hasattr(perdoc, "doc_field_length_reader"):
            return super().write_per_doc(fieldnames, reader)
        # SegmentWriter.write_per_doc, with each field's length reader looked up once (Whoosh
        # checks the column file exists per document and field: a quarter of a merge).
        schema = self.schema
        docmap: dict[int, int] | None = {} if reader.has_deletions() else None
        pdw = self.perdocwriter
        cols = {}
        for fieldname in fieldnames:
            coltype = schema[fieldname].column_type
            if coltype and reader.has_column(fieldname):
                creader = reader.column_reader(fieldname, coltype)
                if isinstance(creader, columns.TranslatingColumnReader):
                    creader = creader.raw_column()
                cols[fieldname] = creader
        length_of: dict[str, Any] = {}
        for docnum, stored in reader.iter_docs():
            if docmap is not None:
                docmap[docnum] = self.docnum
            pdw.start_doc(self.docnum)
            for fieldname in fieldnames | {s for s in stored if s in schema}:
                fieldobj = schema[fieldname]
                get = length_of.get(fieldname)
                if get is None:
                    get = length_of[fieldname] = perdoc.doc_field_length_reader(fieldname)
                length = get(docnum)
                pdw.add_field(fieldname, fieldobj, stored.get(fieldname), length)
                if length:
                    self._lengths.setdefault(fieldname, {})[self.docnum] = _stored_length(length)
                if fieldobj.vector and reader.has_vector(docnum, fieldname):
                    v = reader.vector(docnum, fieldname, fieldobj.vector)
                    pdw.add_vector_matcher(fieldname, fieldobj, v)
                if fieldname in cols:
                    pdw.add_column_value(fieldname, fieldobj.column_type, cols[fieldname][docnum])
            pdw.finish_doc()
            self.docnum += 1
        return docmap

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        if self._bulk and SourceSegment.readable(reader):
            self._sources.append(SourceSegment(reader, startdoc, docmap))
        else:
            super().add_postings_to_pool(reader, startdoc, docmap)

    def _spill(self) -> None:
        """Hand everything gathered to Whoosh's pool; its path does the rest of the batch."""
        add = self.pool.add
        for fieldname, terms in self._gathered.items():
            for tbytes, posts in terms.items():
                for docnum, weight, vbytes in posts:
                    add((fieldname, tbytes, docnum, weight, vbytes))
        for source in self._sources:
            reader = source.reader
            if reader is None:
                source.open()
            try:
                super().add_postings_to_pool(source.reader, source.startdoc, source.docmap)
            finally:
                source.close()
        self._gathered.clear()
        self._lengths.clear()
        self._sources.clear()
        self._bulk = False

    def _flush_segment(self) -> None:
        try:
            if not all(source.open() for source in self._sources):
                self._spill()
            if self.pool.current or self.pool.runs:  # postings of other readers: Whoosh's path
                self._spill()
            if not self._bulk or type(self.fieldwriter) is not W3FieldWriter:
                self._spill()
                super()._flush_segment()
                return
            self.perdocwriter.close()
            write_fields(
                self.fieldwriter, self.schema, self._gathered, self._lengths, self._sources
            )
            self.fieldwriter.close()
        finally:
            for source in self._sources:
                source.close()
        self._gathered.clear()
        self._lengths.clear()
        self._sources.clear()


def write_fields(
    fw: Any,
    schema: Any,
    gathered: dict[str, dict[bytes, list[Gathered]]],
    lengths: dict[str, dict[int, int | None]],
    sources: list[SourceSegment] = (),  # type: ignore[assignment]
) -> None:
    """Write every field's terms and posting blocks through a W3FieldWriter, in the order
    Whoosh's sorted pool gives them (field name, then term bytes); a term's postings from the
    added documents and from each merged segment are joined in document order."""
    names = set(gathered) | {name for s in sources for name in s.terms if name in schema}
    for fieldname in sorted(names):
        own = gathered.get(fieldname, {})
        theirs = [(s, s.terms[fieldname]) for s in sources if s.terms.get(fieldname)]
        keys = set(own).union(*(table for _, table in theirs))
        started = False
        field_lengths = lengths.get(fieldname, {})
        for tbytes in sorted(keys):
            chunks = [own[tbytes]] if tbytes in own else []
            for source, table in theirs:
                valbytes = table.get(tbytes)
                if valbytes is not None and (found := source.postings(fieldname, valbytes)):
                    chunks.append(found)
            if not chunks:  # every posting of a merged segment's term was deleted
                continue
            if len(chunks) == 1:
                posts = chunks[0]
            else:  # each chunk is one source's documents: a range of its own
                chunks.sort(key=lambda c: c[0][0])
                posts = [p for chunk in chunks for p in chunk]
            if not started:
                fw.start_field(fieldname, schema[fieldname])
                started = True
            write_term(fw, tbytes, posts, field_lengths)
        if started:
            fw.finish_field()
