"""One row per video, joined from its analyzers' tables: the profile a content team reads.

Only results go in: a column whose analyzer ran on random-init weights (plumbing, not results)
is null, and ``random_init`` names the analyzers left out, so nothing made up is ever presented as
a finding. The hook is the first three seconds: when the first caption, the first word and the
first cut come, and whether each falls inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import col, typed_table

HOOK_S = 3.0
TOP_OBJECTS = 3

PROFILE_SCHEMA = pa.schema([
    col("video", pa.string(), "partition key"),
    col("duration_s", pa.float64(), "video duration"),
    col("orientation", pa.string(), "portrait, landscape or square (as displayed)"),
    col("width", pa.int32(), "displayed width, px"),
    col("height", pa.int32(), "displayed height, px"),
    col("fps", pa.float64(), "frames per second"),
    col("has_audio", pa.bool_(), "the file has an audio stream"),
    col("language", pa.string(), "the language spoken longest (ISO 639-1; null without speech)"),
    col("languages", pa.string(), "every spoken language with its share of the speaking time, e.g. 'de 57 %, en 43 %' (null without speech)"),
    col("second_language_share", pa.float64(), "share of the speaking time in languages other than the main one (0 for one language; null without speech)"),
    col("speaking_share", pa.float64(), "share of the duration that is speech (VAD), singing left out"),
    col("sung_share", pa.float64(), "share of the duration that is a voice singing (speech_rate: VAD voice in singing; apart from speaking_share and the rates)"),
    col("words_per_minute", pa.float64(), "words per minute of the whole duration"),
    col("articulation_wpm", pa.float64(), "words per minute of speaking time (null without speech)"),
    col("pause_count", pa.int32(), "pauses between speech regions"),
    col("pause_total_s", pa.float64(), "their total length"),
    col("caption_count", pa.int32(), "caption segments (scene text not counted)"),
    col("caption_share", pa.float64(), "share of the duration with a caption on screen"),
    col("onscreen_wpm", pa.float64(), "caption words per minute of the duration (each caption line counted once: chunks of auto-captions joined)"),
    col("scene_text_count", pa.int32(), "text segments that belong to the picture (brands, signs)"),
    col("cut_count", pa.int32(), "hard cuts"),
    col("cuts_per_minute", pa.float64(), "cuts per minute of the duration"),
    col("mean_shot_s", pa.float64(), "duration / (cuts + 1)"),
    col("top_objects", pa.string(), "the most present object classes with their share of sampled frames (null: random-init weights)"),
    col("first_caption_s", pa.float64(), "time of the first caption (null: none)"),
    col("first_word_s", pa.float64(), "time of the first spoken word, sung ones not counted (null: none)"),
    col("first_cut_s", pa.float64(), "time of the first cut (null: none)"),
    col("caption_in_hook", pa.bool_(), f"a caption appears in the first {HOOK_S:.0f} s"),
    col("speech_in_hook", pa.bool_(), f"speech starts in the first {HOOK_S:.0f} s"),
    col("cut_in_hook", pa.bool_(), f"a cut falls in the first {HOOK_S:.0f} s"),
    col("face_share", pa.float64(), "share of sampled frames with a face (BlazeFace)"),
    col("talking_head_share", pa.float64(), "share of the duration with a face on screen while someone speaks"),
    col("face_in_first_second", pa.bool_(), "a face is on screen within the first second"),
    col("largest_face_share", pa.float64(), "the largest face's share of the frame"),
    col("max_faces", pa.int32(), "most faces at once"),
    col("music_share", pa.float64(), "share of the duration with music"),
    col("speech_over_music_share", pa.float64(), "share of the duration with speech and music at once"),
    col("singing_share", pa.float64(), "share of the duration with singing"),
    col("random_init", pa.string(), "analyzers whose weights are random-init, left out of this row (empty: none)"),
    col("decode_gaps", pa.string(), "damaged stretches decoded around, e.g. 'video 4.93-6.00 s' (null: every packet decoded)"),
    col("decoded_share", pa.float64(), "share of the duration decoded in the video and the audio stream (1 without gaps)"),
    col("failed", pa.string(), "what did not materialize and why, e.g. 'video_frames: ...' (null: nothing failed)"),
])


@dataclass(frozen=True)
class VideoFacts:
    """What decoding said about the video (from ``video_frames`` and ``audio_track``)."""

    duration_s: float
    width: int
    height: int
    fps: float
    frame_count: int
    has_audio: bool
    video_gaps: tuple = ()  # (start_s, end_s) stretches decoded around (media/gaps.py)
    audio_gaps: tuple = ()


def object_frames(frame_count: int, preset: str = "optimized") -> int:
    """How many frames object_detection's preset samples of a video (its every_n_frames plan): the
    denominator of each class's share of frames. 0 without that analyzer."""
    from video_assets.analyzers import ANALYZERS

    spec = next((a for a in ANALYZERS if a.name == "object_detection"), None)
    every = getattr(spec.presets[preset], "every_n_frames", 0) if spec is not None else 0
    return len(range(0, frame_count, every)) if every else 0


def orientation(width: int, height: int) -> str:
    if abs(width - height) <= 0.02 * max(width, height):
        return "square"
    return "portrait" if height > width else "landscape"


def covered_seconds(spans: list[tuple[float, float]]) -> float:
    """Length of the union of [start, end) spans (overlapping captions count once)."""
    total, end_so_far = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end <= end_so_far:
            continue
        total += end - max(start, end_so_far)
        end_so_far = end
    return total


def _per_minute(count: float, duration_s: float) -> float | None:
    return round(count / duration_s * 60.0, 2) if duration_s > 0 else None


def _languages(summary) -> dict:
    """The summary's languages as a person reads them, and how much of the talk is not the main language."""
    from video_assets.analyzers.speech_rate import languages_label

    langs = summary.get("languages") if hasattr(summary, "get") else None
    if langs is None or not len(langs):
        return {"languages": None, "second_language_share": None}
    return {"languages": languages_label(langs), "second_language_share": round(1.0 - float(langs[0]["share"]), 4)}


FIRST_SECOND = 1.0


def _faces_and_sound(tables: dict[str, dict[str, pd.DataFrame]], random_init: list[str], duration: float) -> dict:
    """Faces (per sampled frame) and audio events (speech, music, singing spans): their shares,
    and the talking head: a face on screen while someone speaks (audio_events' speech, or
    speech_rate's segments where audio_events did not run)."""
    from video_assets.analyzers.audio_events import LABELS, shares
    from video_assets.analyzers.audio_events.events import spans_of
    from video_assets.analyzers.faces import summary as face_summary

    row: dict = {}
    sound = tables.get("audio_events")
    spans: dict[str, list[tuple[float, float]]] = {}
    if sound is not None and "audio_events" not in random_init:
        spans = {label: spans_of(sound["events"], label) for label in LABELS}
        got = shares(spans, duration)
        row |= {k: got[k] for k in ("music_share", "speech_over_music_share", "singing_share")}
    speaking = spans.get("speech")
    if speaking is None and "speech_rate" in tables and "speech_rate" not in random_init:
        spoken = _spoken(tables["speech_rate"]["segments"])
        speaking = list(zip(spoken.start_s, spoken.end_s))
    faces = tables.get("faces")
    if faces is not None and "faces" not in random_init:
        samples = faces["samples"]
        s = face_summary(samples)
        row |= {"face_share": s["face_share"], "largest_face_share": s["largest_face_share"], "max_faces": s["max_faces"],
                "face_in_first_second": 0 <= s["first_face_s"] < FIRST_SECOND}
        if speaking is not None and len(samples):
            talking = [t for t, n in zip(samples.timestamp_s, samples.faces) if n > 0 and any(a <= t < b for a, b in speaking)]
            row["talking_head_share"] = round(len(talking) / len(samples), 4)
    return row


def _spoken(segments: pd.DataFrame) -> pd.DataFrame:
    """speech_rate's segments that are spoken, not sung (tables from before the ``sung`` column: all)."""
    return segments[~segments["sung"].astype(bool)] if "sung" in segments else segments


def _gaps(facts: VideoFacts) -> dict:
    """The damaged stretches, named per stream, and the share of the duration both streams decoded."""
    from video_assets.media.gaps import describe

    named = "; ".join(d for d in (describe(list(facts.video_gaps), "video"), describe(list(facts.audio_gaps), "audio")) if d)
    lost = covered_seconds([(a, b) for a, b in (*facts.video_gaps, *facts.audio_gaps)])
    share = round(max(0.0, 1.0 - lost / facts.duration_s), 4) if facts.duration_s > 0 else None
    return {"decode_gaps": named or None, "decoded_share": share}


def build_profile(video: str, facts: VideoFacts, tables: dict[str, dict[str, pd.DataFrame]], weights: dict[str, str],
                  object_frames: int, failed: str | None = None) -> pd.DataFrame:
    """The profile row of one video. ``tables``: analyzer name -> table name -> DataFrame (the
    optimized preset's); ``weights``: analyzer name -> 'real' | 'random-init' (absent: no model);
    ``object_frames``: how many frames object_detection sampled (for each class's share);
    ``failed``: what did not materialize and why (a partition that failed part-way keeps the row of
    what it has). A duration of 0 (nothing told it) leaves every per-time column null."""
    duration = facts.duration_s
    random_init = sorted(name for name, w in weights.items() if w and w != "real")
    row: dict = {
        "video": video, "duration_s": round(duration, 3), "orientation": orientation(facts.width, facts.height) if facts.width else None,
        "width": facts.width or None, "height": facts.height or None, "fps": round(facts.fps, 3) or None, "has_audio": facts.has_audio,
        "random_init": ", ".join(random_init), **_gaps(facts), "failed": failed or None,
    }
    speech = tables.get("speech_rate")
    if speech is not None and "speech_rate" not in random_init:
        summary = speech["summary"].iloc[0]
        segments = _spoken(speech["segments"])
        sung_s = summary.get("sung_s")
        row |= {
            "language": summary.language if isinstance(summary.language, str) else None,
            **_languages(summary),
            "speaking_share": round(float(summary.speaking_pct) / 100.0, 4),
            "sung_share": round(float(sung_s) / duration, 4) if sung_s is not None and duration > 0 else None,
            # Without speech there is no articulation rate (null, not 0 words a minute of speaking).
            "words_per_minute": float(summary.speech_rate_wpm),
            "articulation_wpm": float(summary.articulation_rate_wpm) if summary.speaking_time_s > 0 and summary.total_words > 0 else None,
            "pause_count": int(summary.pause_count), "pause_total_s": float(summary.pause_total_s),
            "first_word_s": float(segments.start_s.min()) if len(segments) else None,
        }
    text = tables.get("text_overlay")
    if text is not None and "text_overlay" not in random_init:
        segments = text["segments"]
        kind = segments["kind"] if "kind" in segments else pd.Series(["caption"] * len(segments), dtype=object)
        captions = segments[kind.values == "caption"]
        lines = text.get("lines")  # auto-caption chunks joined: what a person reads, each word once
        words = sum(len(t.split()) for t in (lines.text if lines is not None else captions.text))
        row |= {
            "caption_count": len(captions),
            "caption_share": round(covered_seconds(list(zip(captions.start_s, captions.end_s.clip(upper=duration)))) / duration, 4) if duration > 0 else None,
            "onscreen_wpm": _per_minute(words, duration),
            "scene_text_count": int((kind.values == "scene").sum()),
            "first_caption_s": float(captions.start_s.min()) if len(captions) else None,
        }
    cuts = tables.get("scene_cuts")
    if cuts is not None and "scene_cuts" not in random_init:
        times = cuts["cuts"].time_s
        row |= {
            "cut_count": len(times), "cuts_per_minute": _per_minute(len(times), duration),
            "mean_shot_s": round(duration / (len(times) + 1), 3) if duration > 0 else None,
            "first_cut_s": float(times.min()) if len(times) else None,
        }
    objects = tables.get("object_detection")
    if objects is not None and "object_detection" not in random_init and object_frames > 0:
        classes = objects["classes"].sort_values(["frames_present", "class_name"], ascending=[False, True]).head(TOP_OBJECTS)
        row["top_objects"] = ", ".join(f"{c.class_name} {c.frames_present / object_frames:.2f}" for c in classes.itertuples())
    row |= _faces_and_sound(tables, random_init, duration)
    for name, key in (("caption", "first_caption_s"), ("speech", "first_word_s"), ("cut", "first_cut_s")):
        source = {"caption": "text_overlay", "speech": "speech_rate", "cut": "scene_cuts"}[name]
        if source in tables and source not in random_init:
            row[f"{name}_in_hook"] = row.get(key) is not None and row[key] < HOOK_S
    return typed_table([row], PROFILE_SCHEMA)
