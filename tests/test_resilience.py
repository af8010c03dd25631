"""Out-of-memory inside a step degrades it (half the batch, then the CPU) instead of failing it;
other errors pass through; missing weights fail once, without the retry policy's second try.

There is no GPU here, so a small GPU is played by ``SmallGpu``: the real yolov8n detector that
raises PyTorch's own OutOfMemoryError when a batch is larger than its memory allows. The thing
under test, the fallback in ``video_assets.runtime.resilience`` and the asset factory, is real.
"""

import dataclasses

import dagster as dg
import numpy as np
import pytest
import torch

from resources.models import LoadedModels
from resources.yolo import TorchDetector, YoloResource, resolve_weights
from video_assets.analyzers import object_detection as core
from video_assets.media.decode import decode_frames
from video_assets.runtime.resilience import OomFallback, halved, is_out_of_memory


class SmallGpu:
    """A detector on a GPU that fits at most ``max_batch`` frames at once (0: nothing fits)."""

    def __init__(self, detector, max_batch: int):
        self.detector, self.max_batch, self.calls = detector, max_batch, []

    def __getattr__(self, name):  # engine, precision, names: the wrapped detector's
        if name.startswith("__") or name == "detector":
            raise AttributeError(name)
        return getattr(self.detector, name)

    def raw(self, batch: np.ndarray) -> np.ndarray:
        self.calls.append(len(batch))
        if len(batch) > self.max_batch:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {len(batch) * 30} MiB")
        return self.detector.raw(batch)


@pytest.fixture(scope="module")
def detector(session_dir):
    import os

    weights = resolve_weights("random:yolov8n", os.environ["VIDEO_ASSETS_MODEL_CACHE"], "VIDEO_ASSETS_YOLO_OPTIMIZED")
    return TorchDetector(weights, "cpu", "fp32")


@pytest.fixture(scope="module")
def bundle(video):
    return decode_frames(video("city_ride"), core.ANALYZER.sampling_plans())


CONFIG = dataclasses.replace(core.OPTIMIZED, engine="torch", precision="fp32", batch=8, conf=1e-4)


def test_out_of_memory_is_recognized_whoever_raises_it():
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"))
    assert is_out_of_memory(RuntimeError("CUDA failed with error out of memory"))  # CTranslate2
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))  # only the errors libraries raise for it


def test_halving_every_batch_field_down_to_one():
    from video_assets.analyzers import text_overlay

    half = halved(text_overlay.OPTIMIZED, text_overlay.BATCH_FIELDS)
    assert half.rec_batch == 8
    assert halved(dataclasses.replace(CONFIG, batch=1), core.BATCH_FIELDS) is None


def test_half_batch_then_cpu_give_the_same_table(detector, bundle):
    reference = core.run(bundle, CONFIG, detector).tables["detections"]
    assert len(reference) > 0

    cpu_loads = []
    gpu = SmallGpu(detector, max_batch=4)
    runner = OomFallback(core.run, CONFIG, core.BATCH_FIELDS, gpu, "cuda", lambda: cpu_loads.append(1) or (detector, "cpu"))
    got = runner(bundle, "city_ride").tables["detections"]
    assert gpu.calls[0] == 8 and max(gpu.calls[1:]) == 4  # one failed batch of 8, then batches of 4
    assert runner.config.batch == 4 and runner.device == "cuda" and not cpu_loads
    assert "half the batch (batch 8->4)" in runner.events[0]
    np.testing.assert_allclose(got[["x0", "y0", "x1", "y1"]].to_numpy(), reference[["x0", "y0", "x1", "y1"]].to_numpy(), atol=1e-4)

    # A GPU where nothing fits: half the batch fails too, then the step moves to the CPU for good.
    runner = OomFallback(core.run, CONFIG, core.BATCH_FIELDS, SmallGpu(detector, 0), "cuda", lambda: cpu_loads.append(1) or (detector, "cpu"))
    got = runner(bundle, "city_ride").tables["detections"]
    assert cpu_loads == [1] and runner.device == "cpu" and runner.config.batch == CONFIG.batch
    assert len(runner.events) == 2 and "moved to the CPU" in runner.events[1]
    assert len(got) == len(reference)
    runner(bundle, "city_ride_again")
    assert cpu_loads == [1]  # loaded once, kept for the rest of the step


def test_other_errors_and_cpu_out_of_memory_are_not_swallowed(detector, bundle):
    def broken(inputs, config, model):
        raise ValueError("bad frame")

    with pytest.raises(ValueError, match="bad frame"):
        OomFallback(broken, CONFIG, core.BATCH_FIELDS, detector, "cuda", lambda: (detector, "cpu"))(bundle, "k")
    runner = OomFallback(core.run, CONFIG, core.BATCH_FIELDS, SmallGpu(detector, 0), "cpu", lambda: (detector, "cpu"))
    with pytest.raises(torch.OutOfMemoryError):  # nowhere left to go
        runner(bundle, "k")


class SmallGpuYolo(YoloResource):
    """YoloResource on a pretend GPU with room for 2 frames (device 'small-gpu'); the CPU is real."""

    def load(self, preset: str) -> LoadedModels:
        if self.device != "small-gpu":
            return super().load(preset)
        real = self.model_copy(update={"device": "cpu"}).load(preset)
        return LoadedModels(**{**real.__dict__, "model": SmallGpu(real.model, 2), "device": "cuda"})


def test_the_asset_degrades_and_says_so(corpus_dir, materialize_analyzer):
    result, mats, _ = materialize_analyzer("object_detection", SmallGpuYolo(device="small-gpu"), corpus_dir, "rocket_story")
    assert result.success
    md = mats["object_detection"]
    events = md["out_of_memory_fallbacks"].value
    assert "half the batch (batch 64->32)" in events[0] and "moved to the CPU" in events[1]
    assert md["device"].value == "cpu" and md["frames"].value == 33


def test_missing_weights_fail_once_without_retry(corpus_dir, materialize_analyzer, tmp_path):
    missing = YoloResource(optimized_weights=str(tmp_path / "nowhere.pt"), baseline_weights=str(tmp_path / "nowhere.pt"),
                           cache_root=str(tmp_path))
    result, _, _ = materialize_analyzer("object_detection", missing, corpus_dir, "rocket_story", raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert {e.step_key for e in failures} == {"object_detection", "object_detection_baseline"}
    assert all("VIDEO_ASSETS_YOLO" in e.step_failure_data.error.message for e in failures)
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]


def test_the_failed_batch_is_freed_before_the_retry():
    """What the H100 showed: the out-of-memory error's traceback kept the failed batch alive, so
    half the batch found the card still full. The retry must start with the first try's memory gone."""
    import weakref

    class Batch:  # stands for the tensors a failed batch allocated
        pass

    alive_at_retry = []
    first: list = []

    def run(inputs, config, model):
        if not first:
            batch = Batch()  # noqa: F841  held by this frame, so by the error's traceback
            first.append(weakref.ref(batch))
            try:
                raise RuntimeError("inner")
            except RuntimeError:  # chained, as library code often raises it
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 42.21 GiB")
        alive_at_retry.append(first[0]() is not None)
        return "ok"

    runner = OomFallback(run, CONFIG, core.BATCH_FIELDS, None, "cuda", lambda: (None, "cpu"))
    assert runner(None, "k") == "ok"
    assert alive_at_retry == [False] and runner.config.batch == CONFIG.batch // 2
