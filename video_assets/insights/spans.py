"""What a video says, writes and shows, as searchable time spans: every caption segment (scene
text too, marked), every speech segment and every segment description."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import col, typed_table

SOURCES = ("caption", "scene_text", "speech", "description")

SPANS_SCHEMA = pa.schema([
    col("video", pa.string(), "partition key"),
    col("source", pa.string(), "caption | scene_text | speech | description"),
    col("start_s", pa.float64(), "span start, seconds"),
    col("end_s", pa.float64(), "span end, seconds"),
    col("text", pa.string(), "what is written, said or described (NFC, as read)"),
    col("language", pa.string(), "speech: the detected language; captions: guessed from common words and letters (null when unsure)"),
])

# Common words that tell German from English in a short caption (letters alone do not: "Café").
_STOPWORDS = {
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "aus", "ich", "wir", "sie", "ein", "eine", "zu", "auf", "für",
           "als", "auch", "noch", "schon", "heute", "mein", "dein", "euch", "uns", "im", "dem", "den", "von", "zum"},
    "en": {"the", "and", "is", "not", "with", "from", "i", "we", "you", "a", "an", "to", "on", "for", "as", "of", "my",
           "your", "in", "at", "it", "this", "that", "see", "for", "more", "time", "day"},
}


def guess_language(text: str) -> str | None:
    """'de' or 'en' for a caption when its words say so, None when unsure (OCR has no language)."""
    words = re.findall(r"\w+", text.lower())
    score = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    score["de"] += 2 * len(re.findall(r"[äöüß]", text.lower()))
    best = max(score, key=score.get)
    return best if score[best] > 0 and score[best] > min(score.values()) else None


def spans_of(video: str, tables: dict[str, dict[str, pd.DataFrame]], include: set[str] | None = None) -> pd.DataFrame:
    """The spans of one video from its analyzers' tables (analyzer -> table -> DataFrame).
    ``include``: the analyzers whose outputs may go in (the caller leaves random-init ones out)."""
    rows: list[dict] = []
    use = (lambda name: name in tables and (include is None or name in include))
    if use("text_overlay"):
        # Captions as lines (auto-caption chunks joined into what a person reads: a search for
        # "how lonely it feels" finds it), scene text as its segments.
        lines = tables["text_overlay"].get("lines")
        for seg in tables["text_overlay"]["segments"].itertuples():
            kind = getattr(seg, "kind", "caption")
            if kind == "caption" and lines is not None:
                continue
            rows.append({"video": video, "source": "caption" if kind == "caption" else "scene_text", "start_s": float(seg.start_s),
                         "end_s": float(seg.end_s), "text": seg.text, "language": guess_language(seg.text)})
        for line in (lines.itertuples() if lines is not None else ()):
            rows.append({"video": video, "source": "caption", "start_s": float(line.start_s), "end_s": float(line.end_s),
                         "text": line.text, "language": guess_language(line.text)})
    if use("speech_rate"):
        summary = tables["speech_rate"]["summary"]
        language = summary.language.iloc[0] if len(summary) and isinstance(summary.language.iloc[0], str) else None
        for seg in tables["speech_rate"]["segments"].itertuples():
            # each segment's own language (a bilingual video's German half is German); older tables
            # without the column take the video's
            own = getattr(seg, "language", None)
            rows.append({"video": video, "source": "speech", "start_s": float(seg.start_s), "end_s": float(seg.end_s),
                         "text": seg.text, "language": own if isinstance(own, str) else language})
    if use("qwen2_vl_temporal"):
        for seg in tables["qwen2_vl_temporal"]["segments"].itertuples():
            if seg.description and not getattr(seg, "degenerate", False):
                rows.append({"video": video, "source": "description", "start_s": float(seg.start_s), "end_s": float(seg.end_s),
                             "text": seg.description, "language": "en"})
    return typed_table([r for r in rows if r["text"] and r["text"].strip()], SPANS_SCHEMA)
