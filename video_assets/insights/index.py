"""The corpus index: every span of every video in one embedded LanceDB table, with keyword search
(LanceDB's own full-text index: works offline, keeps umlauts and accents) and semantic search
(sentence embeddings, cosine). It grows video by video: ``replace_videos`` deletes the videos' old
spans and adds their new ones, so a re-analyzed video leaves nothing stale and nothing is ever
rebuilt over the whole corpus.

Why LanceDB: full-text and vector indexes ship in its wheel and need no server and no download
(DuckDB's full-text extension is fetched at first use, which fails offline); the table is a folder
of Lance files on local disk or an object store, appended to in place.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.insights.spans import SPANS_SCHEMA
from video_assets.media import files

TABLE = "spans"
MODES = ("keyword", "semantic")
# Several runs update the index at once (Ray runs, or max_concurrent_runs > 1). A version the
# optimizer replaced stays this long: a run that opened the table at an older version (to delete
# its video's spans, or to search) still finds its files. Removing them at once made a run of 32
# videos fail with "lance error: Not found: .../spans.lance/data/....lance" while another run
# optimized (measured: bench-overhead, ray-run-1, 64 videos).
KEEP_REPLACED_VERSIONS = timedelta(minutes=10)
# Lance's commit protocol orders writers on an object store, and a writer that loses a race gets a
# commit conflict: the whole replacement (delete, add, index) is tried again on the new version.
WRITE_ATTEMPTS = 5
_RETRYABLE = ("commit conflict", "retryable", "not found", "concurrent")


def _retryable(exc: BaseException) -> bool:
    return any(word in str(exc).lower() for word in _RETRYABLE)


@contextmanager
def write_turn(uri: str) -> Iterator[None]:
    """Writers of a local index take turns (an exclusive lock on a file beside the table), so two
    runs never optimize the same table at once; on an object store there is no lock to take and a
    conflict is retried (``WRITE_ATTEMPTS``)."""
    if not files.is_local(uri):
        yield
        return
    with files.exclusive(Path(uri.removeprefix("file://")) / ".write.lock"):
        yield


@dataclass(frozen=True)
class Hit:
    video: str
    source: str
    start_s: float
    end_s: float
    text: str
    language: str | None
    score: float


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class CorpusIndex:
    """``uri``: the LanceDB folder (local path or object-store URL). ``embed``: span texts -> unit-norm
    vectors (a sentence encoder's passages), or None for keyword search only; ``embed_query``: a
    query -> its vector (default ``embed``; E5 models embed queries and passages apart).
    ``encoder``: the encoder's name, kept in the table, so vectors of two encoders never mix: a
    writer with another encoder starts the table anew (the corpus_index asset's code version
    changes with the encoder, so a stale-only backfill fills it again), and a semantic search with
    another encoder than the table's fails with a message saying so."""

    def __init__(self, uri: str, embed: Callable[[list[str]], np.ndarray] | None = None, dim: int = 384,
                 embed_query: Callable[[list[str]], np.ndarray] | None = None, encoder: str | None = None):
        import lancedb

        self.uri, self.embed, self.dim = uri, embed, dim
        self.embed_query = embed_query or embed
        self.encoder = (encoder or "unnamed") if embed is not None else "none"
        self.db = lancedb.connect(uri)

    def _schema(self) -> pa.Schema:
        return SPANS_SCHEMA.append(pa.field("vector", pa.list_(pa.float32(), self.dim))).with_metadata({"encoder": self.encoder})

    @staticmethod
    def encoder_of(table) -> str:
        """The encoder whose vectors a table holds (``none``: keyword only, zero vectors)."""
        return (table.schema.metadata or {}).get(b"encoder", b"unnamed").decode()

    def _table(self, create: bool = False):
        if TABLE in self.db.list_tables().tables:
            table = self.db.open_table(TABLE)
            if not create or self.encoder_of(table) == self.encoder:
                return table
            self.db.drop_table(TABLE)  # another encoder's vectors: rebuilt, never mixed
        if not create:
            return None
        return self.db.create_table(TABLE, schema=self._schema(), exist_ok=True)

    def _ensure_fts(self, table) -> None:
        from lancedb.index import FTS

        names = {i.name for i in table.list_indices()}
        if "text_idx" not in names:
            # No stemming or stop words (German and English alike), lower case, umlauts and accents kept.
            table.create_index("text", config=FTS(with_position=True, lower_case=True, stem=False, remove_stop_words=False,
                                                  ascii_folding=False), name="text_idx")
        else:
            # The new spans into the index at once: unindexed rows are found too, but scored apart
            # (BM25 over the unindexed part alone), so a hit's rank would depend on when it came.
            table.optimize(cleanup_older_than=KEEP_REPLACED_VERSIONS, delete_unverified=False)

    def replace_video(self, video: str, spans: pd.DataFrame) -> dict[str, float]:
        """The video's spans are exactly ``spans`` afterwards (old ones deleted). Returns timings."""
        return self.replace_videos({video: spans})[video]

    def replace_videos(self, spans_by_video: dict[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
        """Each video's spans are exactly its frame's afterwards (old ones deleted), in one delete,
        one append and one update of the full-text index for all of them: a step of a run's videos
        writes once, where a write per video paid the index update (a new index segment, then a
        compaction) again for every video. Returns per video its spans and embedding seconds,
        and the shared write's seconds."""
        parts, embed_s = [], {}
        for video, spans in spans_by_video.items():
            t0 = time.perf_counter()
            data = pa.Table.from_pandas(spans[list(SPANS_SCHEMA.names)], schema=SPANS_SCHEMA, preserve_index=False)
            vectors = np.zeros((len(spans), self.dim), np.float32)
            if self.embed is not None and len(spans):
                vectors = np.asarray(self.embed(list(spans.text)), np.float32)
            parts.append(data.append_column("vector", pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), self.dim)))
            embed_s[video] = round(time.perf_counter() - t0, 4)
        data = pa.concat_tables(parts) if parts else None
        t0 = time.perf_counter()
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with write_turn(self.uri):
                    table = self._table(create=True)  # the latest version, after any other writer's
                    if spans_by_video:
                        table.delete("video IN (" + ", ".join(_quote(v) for v in spans_by_video) + ")")
                    if data is not None and data.num_rows:
                        table.add(data)
                        self._ensure_fts(table)
                break
            except (RuntimeError, OSError, ValueError) as exc:  # what lance raises
                if attempt == WRITE_ATTEMPTS - 1 or not _retryable(exc):
                    raise
                time.sleep(0.2 * 2 ** attempt)
        write_s = round(time.perf_counter() - t0, 4)
        return {v: {"spans": len(f), "embed_s": embed_s[v], "write_s": write_s} for v, f in spans_by_video.items()}

    def count(self, video: str | None = None) -> int:
        table = self._table()
        if table is None:
            return 0
        return table.count_rows(f"video = {_quote(video)}" if video else None)

    def search(self, query: str, mode: str = "keyword", source: str | None = None, video: str | None = None,
               limit: int = 10) -> list[Hit]:
        """Best first. keyword: BM25 over the query's words (any of them, spans with more and rarer
        ones first; "a quoted phrase" for the words in that order); semantic: cosine similarity of
        sentence embeddings."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        table = self._table()
        if table is None or not query.strip():
            return []
        where = " AND ".join(f"{k} = {_quote(v)}" for k, v in (("source", source), ("video", video)) if v)
        if mode == "keyword":
            from lancedb.query import MatchQuery, PhraseQuery

            phrase = query.strip()
            fts = PhraseQuery(phrase.strip('"'), "text") if len(phrase) > 1 and phrase[0] == phrase[-1] == '"' else MatchQuery(phrase, "text")
            builder = table.search(fts, query_type="fts")
            score_of = (lambda r: float(r["_score"]))
        else:
            if self.embed_query is None:
                raise ValueError("semantic search needs a sentence encoder (CorpusIndex(embed=...))")
            held = self.encoder_of(table)
            if held != self.encoder:
                raise ValueError(f"the corpus index holds vectors of the encoder {held!r}, this search embeds with {self.encoder!r}: "
                                 "materialize corpus_index again (a stale-only backfill does) or search with the index's encoder")
            vector = np.asarray(self.embed_query([query]), np.float32)[0]
            builder = table.search(vector, vector_column_name="vector").distance_type("cosine")
            score_of = (lambda r: 1.0 - float(r["_distance"]))
        if where:
            builder = builder.where(where, prefilter=True)
        rows = builder.limit(limit).select(list(SPANS_SCHEMA.names) + ["_score" if mode == "keyword" else "_distance"]).to_list()
        hits = [Hit(r["video"], r["source"], r["start_s"], r["end_s"], r["text"], r["language"], round(score_of(r), 4)) for r in rows]
        # Ties (the same words in several spans) in a fixed order, so a query answers the same every time.
        return sorted(hits, key=lambda h: (-h.score, h.video, h.start_s, h.source))
