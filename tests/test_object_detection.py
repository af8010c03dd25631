"""object_detection: engines and their cache, numeric parity with PyTorch, batching, box geometry,
the assets and checks through Dagster. Weights are random-init yolov8n (no trained weights offline):
fine for plumbing, parity of engines and speed, never for accuracy."""

import dagster as dg
import numpy as np
import pytest

from resources.model_cache import MissingWeightsError
from resources.yolo import OpenVinoDetector, TorchDetector, YoloResource, build_engine, resolve_weights
from video_assets.analyzers import object_detection as core
from video_assets.analyzers.base import typed_table
from video_assets.media.decode import decode_frames


@pytest.fixture(scope="module")
def weights(session_dir):
    import os

    return resolve_weights("random:yolov8n", os.environ["VIDEO_ASSETS_MODEL_CACHE"], "VIDEO_ASSETS_YOLO_OPTIMIZED")


@pytest.fixture(scope="module")
def frames(video):
    bundle = decode_frames(video("city_ride"), core.ANALYZER.sampling_plans())
    return bundle.select(core.plan(core.BASELINE))[:6]


@pytest.fixture(scope="module")
def torch_detector(weights):
    return TorchDetector(weights, "cpu", "fp32")


@pytest.fixture(scope="module")
def openvino_xml(weights, tmp_path_factory):
    cache = tmp_path_factory.mktemp("engines")
    path, built = build_engine(weights, "openvino", "fp32", 8, 640, str(cache))
    return path, built, cache


def test_engine_is_built_once_reused_and_rebuilt_on_key_change(weights, openvino_xml):
    path, built, cache = openvino_xml
    assert built and path.exists() and path.name == "model.xml"
    again, built_again = build_engine(weights, "openvino", "fp32", 8, 640, str(cache))
    assert again == path and not built_again
    other, built_other = build_engine(weights, "openvino", "fp32", 8, 320, str(cache))
    assert built_other and other != path and other.parent.name.endswith("-320")
    assert not [p for p in cache.joinpath("engines").iterdir() if p.name.startswith(".")]  # no half-built leftovers


def test_engine_matches_pytorch_numerically(openvino_xml, torch_detector, frames):
    path, _, _ = openvino_xml
    engine = OpenVinoDetector(path, torch_detector.names, "fp32", threads=0)
    box = core.Letterbox.for_size(360, 640, 640, rect=True)
    batch = np.stack([box.apply(f.image) for f in frames[:3]])
    ref, got = torch_detector.raw(batch), engine.raw(batch)
    assert ref.shape == got.shape == (3, 84, (640 // 8) * (384 // 8) + (640 // 16) * (384 // 16) + (640 // 32) * (384 // 32))
    assert np.abs(ref - got).max() < 1e-2 * max(1.0, np.abs(ref).max())
    # Detections at a confidence low enough that random weights produce some: the same boxes.
    config = core.Config(preset="t", engine="torch", precision="fp32", batch=4, rect=True, conf=1e-4)
    a = core.detect(frames[:3], torch_detector, config)
    b = core.detect(frames[:3], engine, config)
    assert sum(len(x) for x in a) > 0
    for da, db in zip(a, b):
        assert len(da) == len(db)
        assert np.allclose(da[:, :4], db[:, :4], atol=1e-3)


@pytest.mark.parametrize("batch", [1, 4])
def test_batching_gives_the_same_detections(torch_detector, frames, batch):
    config = core.Config(preset="t", engine="torch", precision="fp32", batch=batch, rect=True, conf=1e-4)
    single = [core.detect([f], torch_detector, config)[0] for f in frames]  # 6 frames: batch 4 leaves a partial batch
    together = core.detect(frames, torch_detector, config)
    assert len(together) == len(frames)
    for s, t in zip(single, together):
        assert np.allclose(s, t, atol=1e-4)
    assert core.detect(frames[:1], torch_detector, config)[0].shape[1] == 6


@pytest.mark.parametrize("w, h, rect", [(360, 640, True), (640, 360, True), (360, 640, False)])
def test_boxes_map_back_to_normalized_frame_coordinates(w, h, rect):
    box = core.Letterbox.for_size(w, h, 640, rect)
    # One anchor: a box covering the frame's region x 25-75 %, y 10-50 %, class 15 (cat).
    x0, y0, x1, y1 = 0.25 * w, 0.10 * h, 0.75 * w, 0.50 * h
    cx = (x0 + x1) / 2 * box.scale + box.pad_x
    cy = (y0 + y1) / 2 * box.scale + box.pad_y
    bw, bh = (x1 - x0) * box.scale, (y1 - y0) * box.scale
    raw = np.zeros((1, 84, 10), np.float32)
    raw[0, :4, 0] = [cx, cy, bw, bh]
    raw[0, 4 + 15, 0] = 0.9
    det = core.postprocess(raw, box, w, h, 0.25, 0.7, 300)[0]
    assert det.shape == (1, 6)
    assert np.allclose(det[0, :4], [0.25, 0.10, 0.75, 0.50], atol=1e-3)
    assert det[0, 5] == 15
    assert (box.width, box.height) == ((384, 640) if (w, h) == (360, 640) and rect else (640, 384) if rect else (640, 640))


def test_parity_measure():
    rows = [{"timestamp_s": 0.0, "frame_index": 0, "class_id": 0, "class_name": "person", "confidence": 0.9,
             "x0": 0.1, "y0": 0.1, "x1": 0.5, "y1": 0.9}]
    ref = typed_table(rows, core.DETECTIONS_SCHEMA)
    assert core.parity({"detections": ref}, {"detections": ref}).score == 1.0
    shifted = typed_table([{**rows[0], "x0": 0.4, "x1": 0.8}], core.DETECTIONS_SCHEMA)  # IoU 1/7
    other_class = typed_table([{**rows[0], "class_id": 2, "class_name": "car"}], core.DETECTIONS_SCHEMA)
    assert core.parity({"detections": ref}, {"detections": shifted}).score == 0.0
    assert core.parity({"detections": ref}, {"detections": other_class}).score == 0.0


def test_missing_weights_name_the_variable(tmp_path):
    resource = YoloResource(optimized_weights=str(tmp_path / "yolov8l-custom.pt"), cache_root=str(tmp_path))
    with pytest.raises(MissingWeightsError, match="VIDEO_ASSETS_YOLO_OPTIMIZED"):
        resource.load("optimized")


def test_failed_engine_build_falls_back_to_pytorch(tmp_path):
    resource = YoloResource(cpu_engine="tensorrt", cache_root=str(tmp_path))  # no TensorRT on this machine
    bundle = resource.detector(core.OPTIMIZED)
    assert bundle.detector.engine == "torch" and "tensorrt" in bundle.fallback


def test_assets_and_checks_through_materialize(corpus_dir, materialize_analyzer):
    result, mats, checks = materialize_analyzer("object_detection", YoloResource(), corpus_dir, "rocket_story")
    assert result.success
    md = mats["object_detection"]
    assert md["weights"].value == "random-init" and "random-init" in md["WARNING"].value
    assert md["frames"].value == 33  # 11 s at 30 fps, every 10th frame
    assert md["engine"].value == "openvino"
    assert "data:image/png;base64," in md["annotated_frame"].value
    assert mats["object_detection_baseline"]["engine"].value == "torch"
    assert set(checks) == {"object_detection_speed", "object_detection_parity", "decode_gaps"} and checks["decode_gaps"].passed  # its input's check (#51)
    parity = checks["object_detection_parity"]
    assert parity.severity == dg.AssetCheckSeverity.WARN and "not meaningful" in parity.description


def test_building_an_openvino_engine_sends_no_telemetry(monkeypatch, tmp_path):
    """OpenVINO's converter would send usage data from a forked process; offline, the run's process
    then waited minutes at exit for its DNS lookup (resources/yolo_engines.py)."""
    import openvino_telemetry as tm
    from openvino_telemetry.utils.opt_in_checker import OptInChecker

    from resources.yolo_engines import decline_openvino_telemetry

    monkeypatch.setenv("HOME", str(tmp_path))  # no consent file, as on a fresh machine
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(OptInChecker, "check", OptInChecker.check)  # put back after the test
    args = {"tid": "G-TEST", "app_name": "OVC", "app_version": "0", "backend": "ga4", "enable_opt_in_dialog": False, "disable_in_ci": True}
    # Without a consent file and outside CI the converter's settings give consent (NO_FILE with
    # its dialog off); an engine built earlier in this process has declined it already.
    decline_openvino_telemetry()
    telemetry = tm.Telemetry(**args)
    telemetry.init(**args)
    assert not telemetry.consent
