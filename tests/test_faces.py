"""faces: MediaPipe's BlazeFace (real, packaged weights) through OpenVINO: the decoding against
known photos, presence against the sample corpus' ground truth, carrying faces over unchanged
frames, missing weights, and the assets and checks through Dagster."""

import dataclasses

import numpy as np
import pytest
import skimage.data

from resources.faces import FaceModelsResource, resolve_face_model
from resources.model_cache import MissingWeightsError
from video_assets.analyzers import faces
from video_assets.analyzers.faces import blazeface
from video_assets.media.decode import decode_frames
from video_assets.media.frames import FrameBundle


@pytest.fixture(scope="module")
def net():
    return FaceModelsResource().load("optimized").model


def _photo(name: str) -> np.ndarray:
    img = getattr(skimage.data, name)()
    return np.ascontiguousarray(np.stack([img] * 3, -1) if img.ndim == 2 else img[..., :3])


def _faces_in(image: np.ndarray, net, count: int = 0):
    inputs, maps = blazeface.square_inputs(image, net.size, count)
    boxes, scores = net.raw(inputs)
    anchor_xy = blazeface.anchors(net.variant)
    found = [blazeface.decode(boxes[i], scores[i], anchor_xy, net.size, faces.OPTIMIZED.min_score) for i in range(len(maps))]
    return blazeface.weighted_nms(np.concatenate([blazeface.to_frame(b, m) for (b, _), m in zip(found, maps)]),
                                  np.concatenate([s for _, s in found]))


def test_the_anchor_layouts_are_mediapipes():
    assert blazeface.anchors("short").shape == (896, 2) and blazeface.anchors("full").shape == (2304, 2)
    full = blazeface.anchors("full")
    assert np.allclose(full[0], [0.5 / 48, 0.5 / 48]) and np.allclose(full[-1], [47.5 / 48, 47.5 / 48])


def test_real_faces_are_found_where_they_are_and_none_on_a_cat_or_a_cup(net):
    # The astronaut's face (Eileen Collins) lies at about x 170-280, y 60-180 of the 512 px photo.
    boxes, scores = _faces_in(_photo("astronaut"), net)
    assert len(boxes) == 1 and scores[0] > 0.85
    x0, y0, x1, y1 = boxes[0] * 512
    assert 150 < x0 < 200 and 250 < x1 < 300 and 40 < y0 < 100 and 150 < y1 < 200
    boxes, scores = _faces_in(_photo("camera"), net)
    assert len(boxes) == 1 and scores[0] > 0.7
    for name in ("chelsea", "coffee", "rocket"):
        assert len(_faces_in(_photo(name), net)[0]) == 0, name


def test_tiles_cover_a_portrait_frame_and_map_back():
    tiles = blazeface.tiles(1080, 1920, 2)
    assert [(t.left, t.top, t.side) for t in tiles] == [(0, 0, 1080), (0, 840, 1080)]
    image = np.zeros((1920, 1080, 3), np.uint8)
    batch, maps = blazeface.square_inputs(image, 192, 2)
    assert batch.shape == (2, 192, 192, 3) and batch.min() == -1.0
    # The unit square of the second tile is the frame's lower 1080 px.
    assert np.allclose(blazeface.to_frame(np.array([[0, 0, 1, 1]], np.float32), maps[1]), [[0, 840 / 1920, 1, 1]])


def test_feeds_name_the_squares_the_network_sees():
    sq = lambda feed: [None if t is None else (t.left, t.top, t.side) for t in blazeface.feed_squares(1080, 1920, feed)]  # noqa: E731
    assert sq("tiles2") == [(0, 0, 1080), (0, 840, 1080)] and sq("letterbox") == [None]
    assert sq("centre") == [(0, 420, 1080)] and sq("upper") == [(0, 0, 1080)]
    assert sq("tiles2+letterbox") == [(0, 0, 1080), (0, 840, 1080), None]
    image = np.zeros((1920, 1080, 3), np.uint8)
    # The old integer form is the same feed.
    assert np.array_equal(blazeface.square_inputs(image, 128, 2)[0], blazeface.square_inputs(image, 128, "tiles2")[0])
    with pytest.raises(ValueError, match="unknown face feed"):
        blazeface.feed_squares(1080, 1920, "sideways")


def test_suppression_ends_on_a_box_with_no_area():
    # A detection in a letterbox's padding, clipped to the frame's edge, has no area: its IoU with
    # itself is 0, and the suppression once looped on it for ever.
    boxes = np.array([[0.0, 0.0, 0.0, 0.5], [0.2, 0.2, 0.4, 0.4]], np.float32)
    out, scores = blazeface.weighted_nms(boxes, np.array([0.9, 0.8], np.float32))
    assert len(out) == 2 and np.allclose(out[1], boxes[1]) and np.allclose(scores, [0.9, 0.8])


@pytest.mark.parametrize("preset", ["baseline", "optimized"])
def test_face_presence_matches_the_ground_truth(preset, video, ground_truth, net):
    for clip in ("studio_talk", "city_ride", "cafe_cat", "tips_countdown"):
        bundle = decode_frames(video(clip), faces.ANALYZER.sampling_plans())
        result = faces.ANALYZER.process(bundle, faces.PRESETS[preset], FaceModelsResource().load(preset).model)
        truth = ground_truth["clips"][clip]
        got = faces.presence_accuracy(result.tables["samples"], truth, bundle.info.duration_s)
        assert got["presence_precision"] >= 0.95 and got["presence_recall"] >= 0.95, (clip, got)
        assert got["face_share_error"] <= 0.05, (clip, got)


def test_the_talking_head_clip_has_a_face_from_the_first_second(video, net):
    bundle = decode_frames(video("studio_talk"), faces.ANALYZER.sampling_plans())
    result = faces.ANALYZER.process(bundle, faces.OPTIMIZED, net)
    assert 0 <= result.stats["first_face_s"] < 1.0 and result.stats["max_faces"] == 1
    spans = faces.face_spans(result.tables["samples"])
    assert spans[0][0] == 0.0 and spans[0][1] == pytest.approx(6.0, abs=1.01)


def test_an_unchanged_frame_takes_the_faces_of_the_frame_before(video, net):
    bundle = decode_frames(video("studio_talk"), faces.ANALYZER.sampling_plans())
    first = next(iter(bundle.frames(faces.plan(faces.OPTIMIZED))))
    six = bundle.trimmed(6.0)  # the talking head's scene, every stored frame made the same picture
    still = FrameBundle(info=six.info, plan_frame_count=six.plan_frame_count, codec=six.codec)
    for index, pts in zip(six.source_index, six.pts_s):
        still.add(index, pts, first.image)
    result = faces.ANALYZER.process(still, faces.OPTIMIZED, net)
    samples = result.tables["samples"]
    assert result.stats["inferred"] == 1 and result.stats["reused"] == len(samples) - 1 == 5
    assert (samples.faces == 1).all() and samples.reused.tolist() == [False] + [True] * 5
    table = result.tables["faces"]
    assert table[["x0", "y0", "x1", "y1"]].nunique().max() == 1  # the same box carried over
    # With skipping off, every frame goes to the network and finds the same face.
    exact = faces.ANALYZER.process(still, dataclasses.replace(faces.OPTIMIZED, skip_change=0.0), net)
    assert exact.stats["inferred"] == 6
    assert np.allclose(exact.tables["faces"][["x0", "y0", "x1", "y1"]].to_numpy(), table[["x0", "y0", "x1", "y1"]].to_numpy())


def test_parity_counts_what_the_optimized_preset_misses():
    samples = lambda times, counts, reused=None: faces.core.typed_table(  # noqa: E731
        [{"timestamp_s": t, "frame_index": int(t * 30), "faces": n, "largest_share": 0.01 * n, "reused": False} for t, n in zip(times, counts)],
        faces.SAMPLES_SCHEMA)
    empty = faces.core.typed_table([], faces.FACES_SCHEMA)
    base = {"samples": samples([0, 0.5, 1.0, 1.5, 2.0, 2.5], [1, 1, 1, 0, 0, 0]), "faces": empty}
    same = {"samples": samples([0, 1.0, 2.0], [1, 1, 0]), "faces": empty}
    late = {"samples": samples([0, 1.0, 2.0], [0, 1, 0]), "faces": empty}  # the face seen a second late
    assert faces.parity(base, same).score == pytest.approx(5 / 6, abs=1e-4)  # 1.5 s: still the face of 1.0 s
    assert faces.parity(base, late).score == pytest.approx(3 / 6, abs=1e-4)
    assert not faces.parity(base, late).passed


def test_missing_weights_fail_at_once_naming_the_setting(tmp_path):
    with pytest.raises(MissingWeightsError, match="VIDEO_ASSETS_FACE_MODEL"):
        resolve_face_model(str(tmp_path), "full")
    with pytest.raises(MissingWeightsError, match="VIDEO_ASSETS_FACE_MODEL"):
        FaceModelsResource(face_model=str(tmp_path)).preflight("optimized")


def test_assets_and_checks_through_materialize(corpus_dir, materialize_analyzer):
    result, mats, checks = materialize_analyzer("faces", FaceModelsResource(), corpus_dir, "studio_talk")
    assert result.success
    assert {"faces", "faces_samples", "faces_baseline", "faces_samples_baseline"} <= set(mats)
    md = mats["faces"]
    assert md["weights"].value == "real" and md["face_share"].value > 0.5 and md["model"].value == "blazeface-full"
    assert set(checks) == {"faces_speed", "faces_parity", "decode_gaps"} and checks["decode_gaps"].passed  # its input's check (#51)
    assert checks["faces_parity"].passed and checks["faces_parity"].metadata["score"].value >= 0.9
    assert checks["faces_speed"].metadata["target_rtf"].value == faces.SPEED_TARGET_RTF["cpu"]
