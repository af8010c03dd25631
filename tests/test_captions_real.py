"""Captions on real recordings (issue #49 item 5, "one caption, one segment, from its first frame"):
text_overlay's optimized preset (RapidOCR) on three clips of the real-recordings corpus, held to the
issue's numbers with the strict match the benchmark uses (``text_overlay.evaluate``: one segment per
caption, time IoU >= 0.5, CER <= 0.1).

* ``real_german_zoom``: two-line outlined and boxed captions over photos that zoom and pan; the
  motorcycle's YAMAHA grows with the zoom (scene text); the coffee photo, where the recognizer reads
  the cup as an ``8`` over half the frame.
* ``real_portraits_read``: two-line captions whose lines' boxes overlap.
* ``real_spontaneous_duet``: word-by-word chunks popping in, 0.3-0.74 s each.

Builds the three clips once (about two minutes on a shared 2-core machine) and reads each (10-20 s).
The failures these caught before the fixes are listed in docs/real-recordings.md ("Captions")."""

from __future__ import annotations

import pytest

from resources.ocr import OcrResource
from video_assets.analyzers import text_overlay as core
from video_assets.media.decode import decode_frames
from video_assets.sample.real import recordings

CLIPS = ("real_german_zoom", "real_portraits_read", "real_spontaneous_duet")
# issue #49 item 5: strict recall and precision >= 0.97 on real-recording clips.
RECALL_MIN = PRECISION_MIN = 0.97

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def read():
    """Each clip built once and read once by the optimized preset: (result, truth)."""
    import tempfile
    from pathlib import Path

    engine = OcrResource(engine="rapidocr").load("optimized").model
    with tempfile.TemporaryDirectory() as tmp:
        truth = recordings.write_corpus(Path(tmp), list(CLIPS))["clips"]
        out = {}
        for name in CLIPS:
            bundle = decode_frames(str(Path(tmp) / truth[name]["file"]), core.ANALYZER.sampling_plans())
            out[name] = (core.run(bundle, core.OPTIMIZED, engine), truth[name], bundle.info.duration_s)
    return out


@pytest.mark.parametrize("name", CLIPS)
def test_every_caption_one_segment_and_nothing_else(read, name):
    result, truth, seconds = read[name]
    acc = core.ANALYZER.evaluate(result.tables, truth, seconds)
    scene_words = [w for s in truth["scenes"] for w in s["text"]]
    failed = core.failures(result.tables["segments"], truth["captions"], scene_words)
    assert acc["recall"] >= RECALL_MIN and acc["precision"] >= PRECISION_MIN, failed
    assert not [f for f in failed if f["kind"] in ("split_lines", "mixed", "scene_text", "lone_glyph", "lost_spaces")], failed


def test_scene_text_and_the_lone_glyph_are_never_captions(read):
    result, truth, _ = read["real_german_zoom"]
    segments = result.tables["segments"]
    caps = core.captions_only(segments)
    assert core.scene_text(segments, truth)["scene_text_in_captions"] == 0, caps.text.tolist()
    assert not any(len(t.strip()) <= 2 for t in caps.text), caps.text.tolist()  # the cup's 8 is no caption
    assert (result.tables["detections"].y1 - result.tables["detections"].y0 <= 1 / 3).all()  # nor a reading
    # Every caption reads in NFC, as the truth is written (ö, ü, ä).
    import unicodedata

    assert all(unicodedata.is_normalized("NFC", t) for t in caps.text)


def test_word_by_word_chunks_all_read_none_mixed(read):
    result, truth, seconds = read["real_spontaneous_duet"]
    chunks = [c for c in truth["captions"] if c["line"] and round(c["end"] - c["start"], 3) >= 0.3]
    acc = core.ANALYZER.evaluate(result.tables, truth, seconds)
    assert acc["chunks"] == len(chunks) == 5 and acc["chunks_as_scene"] == 0, acc
    caps = core.captions_only(result.tables["segments"])
    chunk_texts = {c["text"] for c in chunks}
    assert set(caps.text) == chunk_texts, caps.text.tolist()  # each read as it is, none with its neighbour's words
    assert acc["line_recall"] == 1.0, result.tables["lines"].text.tolist()
