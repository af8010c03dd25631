"""Faces as people film them (issue #49 item 4), on a real clip: ``real_faces_sizes`` (a face a third of
the frame high, frontal, even light; a whole figure whose face, looking slightly down and lit from the
side, is a tenth of it; the two portraits at once; camera footage with no face). The optimized preset
finds a face on every sample the truth has one, none on the footage, and counts the two people; the
clip's face share of time is the truth's (``benchmark/faces_real.py``, docs/real-recordings.md).

Builds the clip (about 30 s on a shared 2-core machine) and runs the analyzer on its frames (a few s)."""

from __future__ import annotations

import pytest

from resources.faces import FaceModelsResource
from video_assets.analyzers import faces
from video_assets.media.decode import decode_frames
from video_assets.sample.real import recordings

# issue #49: share-of-time error <= 0.05 per clip; presence per sample >= 0.95 on the real portraits.
# Its realtime factor (<= 0.03) is the benchmark's to measure (benchmark/faces_real.py: medians,
# interleaved), not a timed assertion on a shared test machine.
SHARE_ERROR_MAX, PRESENCE_MIN = 0.05, 0.95


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    out = tmp_path_factory.mktemp("real_faces")
    truth = recordings.write_corpus(out, ["real_faces_sizes"])["clips"]["real_faces_sizes"]
    return out / truth["file"], truth


def test_real_faces_at_every_size_are_found_and_none_where_there_is_none(clip):
    path, truth = clip
    net = FaceModelsResource().load("optimized").model
    bundle = decode_frames(str(path), [faces.plan(faces.OPTIMIZED)])
    result = faces.ANALYZER.process(bundle, faces.OPTIMIZED, net)
    samples = result.tables["samples"]
    seconds = bundle.info.duration_s
    got = faces.presence_accuracy(samples, truth, seconds)
    assert got["presence_recall"] >= PRESENCE_MIN and got["presence_precision"] == 1.0, got
    assert got["face_share_error"] <= SHARE_ERROR_MAX, got
    counts = {(round(t, 1), n) for t, n in zip(samples.timestamp_s, samples.faces)}
    want = {(round(t, 1), faces.faces_at(truth, t)) for t in samples.timestamp_s}
    assert counts == want  # one face, one face, the two people, none on the footage
