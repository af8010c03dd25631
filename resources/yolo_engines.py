"""YOLO engines behind one ``raw`` call (the ``Detector`` of ``video_assets.analyzers.object_detection``):
PyTorch, OpenVINO, ONNX Runtime, TensorRT, and the on-disk cache of exported engines.

Exported engines are cached under a key of (weights sha256, engine, precision, batch, image size):
built once, reused by every process, rebuilt when any part of the key changes. INT8 engines are
calibrated on frames the corpus already stored.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from resources.yolo_weights import YoloWeights


@dataclass
class TorchDetector:
    """The Ultralytics network itself, fused, FP16 on CUDA."""

    weights: YoloWeights
    device: str
    precision: str
    engine: str = "torch"
    names: dict[int, str] = field(default_factory=dict)
    max_frames: int | None = None  # the preset's batch: the original's behaviour, on any device

    def __post_init__(self) -> None:
        import torch
        from ultralytics import YOLO

        yolo = YOLO(str(self.weights.path))
        self.names = dict(yolo.names)
        net = yolo.model.fuse().eval().to(self.device)
        if self.precision == "fp16":
            net = net.half()
        self._net = net
        self._torch = torch

    def raw(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(batch).to(self.device)
            if self.precision == "fp16":
                x = x.half()
            out = self._net(x)
            out = out[0] if isinstance(out, (list, tuple)) else out
            return out.float().cpu().numpy()


# A CPU engine runs a preset's batch (64 for the GPU's sake) this many frames at a time. On a CPU a
# larger call brings no speed, only memory, and the outputs are identical to the bit: each frame's
# activations are its own (about 110 MB per 640x384 frame for YOLOv8l). Random-init YOLOv8l,
# OpenVINO FP32, 2 AMD EPYC cores (shared with other jobs), 2026-12-07, /tmp scripts described in
# benchmark/results/README.md: peak RSS over the loaded model for 32 frames, slices of 8: +890 MiB,
# of 4: +524, of 2: +335, of 1: +100; time for 16 frames, 3 interleaved reps, medians: slices of 8
# 25.2 s, of 2 25.6 s (+2 %), of 1 29.8 s (+18 %). Slices of 2: most of the memory, none of the speed.
# (Issue #50: with every analyzer in one process, object_detection's 8-frame slices set the peak.)
CPU_SLICE = 2
# Frames object_detection holds per call to a CPU engine (``Detector.max_frames``): a few slices, so
# the post-processing's per-call cost is shared, not the preset's GPU batch of 64 full frames.
CPU_FRAMES = 4 * CPU_SLICE


def _in_slices(run, batch: np.ndarray) -> np.ndarray:
    if len(batch) <= CPU_SLICE:
        return run(batch)
    return np.concatenate([run(batch[i : i + CPU_SLICE]) for i in range(0, len(batch), CPU_SLICE)])


@dataclass
class OpenVinoDetector:
    xml: Path
    names: dict[int, str]
    precision: str
    threads: int
    engine: str = "openvino"
    max_frames: int | None = CPU_FRAMES

    def __post_init__(self) -> None:
        import openvino as ov

        hint = {"fp32": "f32", "bf16": "bf16", "int8": "f32", "fp16": "f16"}[self.precision]
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": hint}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = self.threads
        self._compiled = ov.Core().compile_model(str(self.xml), "CPU", config)
        # Warm up: the first call per input shape compiles kernels (portrait 1080x1920 -> 640x384).
        self.raw(np.zeros((1, 3, 640, 384), np.float32))

    def raw(self, batch: np.ndarray) -> np.ndarray:
        return _in_slices(lambda b: np.asarray(self._compiled(b)[0]), batch)


@dataclass
class OnnxDetector:
    path: Path
    names: dict[int, str]
    precision: str
    threads: int
    engine: str = "onnx"
    max_frames: int | None = CPU_FRAMES  # None below when it runs on CUDA

    def __post_init__(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
        self._session = ort.InferenceSession(str(self.path), options, providers=providers)
        self._input = self._session.get_inputs()[0].name
        if self._session.get_providers()[0] == "CUDAExecutionProvider":
            self.max_frames = None

    def raw(self, batch: np.ndarray) -> np.ndarray:
        if self._session.get_providers()[0] == "CUDAExecutionProvider":
            return self._session.run(None, {self._input: batch})[0]
        return _in_slices(lambda b: self._session.run(None, {self._input: b})[0], batch)


@dataclass
class TensorRtDetector:
    """TensorRT through Ultralytics' AutoBackend (dynamic batch up to the export's ``batch``)."""

    path: Path
    names: dict[int, str]
    precision: str
    engine: str = "tensorrt"
    max_frames: int | None = None

    def __post_init__(self) -> None:
        import torch
        from ultralytics.nn.autobackend import AutoBackend

        self._backend = AutoBackend(str(self.path), device=torch.device("cuda"), fp16=self.precision == "fp16")
        self._torch = torch

    def raw(self, batch: np.ndarray) -> np.ndarray:
        with self._torch.inference_mode():
            x = self._torch.from_numpy(batch).cuda()
            if self.precision == "fp16":
                x = x.half()
            out = self._backend(x)
            out = out[0] if isinstance(out, (list, tuple)) else out
            return out.float().cpu().numpy()


def calibration_yaml(frames: list[np.ndarray], folder: Path) -> Path:
    """A tiny dataset over corpus frames for INT8 calibration (Ultralytics otherwise downloads coco8)."""
    from PIL import Image

    images = folder / "images" / "val"
    images.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(images / f"calib_{i:04d}.jpg", quality=95)
    (folder / "labels" / "val").mkdir(parents=True, exist_ok=True)
    yaml = folder / "calibration.yaml"
    from ultralytics.cfg.datasets import __file__ as _  # noqa: F401  (ensures ultralytics is importable)

    names = "\n".join(f"  {i}: c{i}" for i in range(80))
    yaml.write_text(f"path: {folder}\ntrain: images/val\nval: images/val\nnames:\n{names}\n")
    return yaml


def corpus_calibration_frames(storage_root: str, limit: int = 64, max_side: int = 640) -> list[np.ndarray]:
    """Frames for INT8 calibration, spread over the stored video_frames of the corpus itself."""
    import fsspec

    from video_assets.media.images import resize_to
    from video_assets.media.framestore import open_bundle

    fs, base = fsspec.core.url_to_fs(storage_root.rstrip("/") + "/video_frames")
    files = sorted(p for p in (fs.glob(base + "/*.frames.parquet") if fs.exists(base) else []))
    if not files:
        raise ValueError(f"no stored video_frames under {storage_root} to calibrate INT8 with; materialize video_frames first")
    per_file = max(1, limit // len(files))
    frames: list[np.ndarray] = []
    for path in files:
        with fs.open(path, "rb") as fh:
            bundle = open_bundle(fh.read())
        for i in np.linspace(0, len(bundle) - 1, min(per_file, len(bundle))).round().astype(int):
            frames.append(resize_to(bundle.image(int(i)), max_side))
    return frames[:limit]


def decline_openvino_telemetry() -> None:
    """OpenVINO's converter (``yolo.export(format="openvino")`` calls it) sends usage data from a
    forked process unless a consent file in the user's home says no or ``CI=true``. Offline (GPU
    boxes, this machine) that process waits on DNS, and the run's process waits for it at exit: a
    finished run here sat 12 minutes before it could end. Declined for this process only; the
    user's home is not written."""
    try:
        from openvino_telemetry.utils.opt_in_checker import ConsentCheckResult, OptInChecker
    except ImportError:  # no telemetry package: nothing is sent
        return
    OptInChecker.check = lambda self, *args, **kwargs: ConsentCheckResult.DECLINED


def engine_key(weights: YoloWeights, engine: str, precision: str, batch: int, imgsz: int) -> str:
    export_batch = batch if engine == "tensorrt" else 1
    return f"{weights.path.stem}-{weights.sha256[:12]}-{engine}-{precision}-b{export_batch}-{imgsz}"


def build_engine(weights: YoloWeights, engine: str, precision: str, batch: int, imgsz: int, cache_root: str,
                 calibration_frames: list[np.ndarray] | None = None) -> tuple[Path, bool]:
    """Export (or reuse) an engine. Returns (artifact path, built_now). Atomic: a half-built engine
    is never visible under its key."""
    from ultralytics import YOLO

    root = Path(cache_root) / "engines"
    key = engine_key(weights, engine, precision, batch, imgsz)
    final = root / key
    artifact_name = {"openvino": "model.xml", "onnx": "model.onnx", "tensorrt": "model.engine"}[engine]
    if (final / artifact_name).exists() and (final / "names.json").exists():
        return final / artifact_name, False
    if final.exists():  # an entry from before names were stored beside engines: rebuild it
        shutil.rmtree(final, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        local = work / f"{weights.path.stem}.pt"
        shutil.copy2(weights.path, local)
        # TensorRT fixes the dynamic batch's maximum at export; OpenVINO and ONNX take any batch,
        # and tracing with a batch of 64 on a CPU costs minutes for nothing.
        kwargs: dict = {"imgsz": imgsz, "batch": batch if engine == "tensorrt" else 1, "dynamic": True, "verbose": False}
        if precision == "int8":
            if not calibration_frames:
                raise ValueError("INT8 export needs calibration frames from the corpus")
            kwargs |= {"int8": True, "data": str(calibration_yaml(calibration_frames, work / "calib"))}
        if precision == "fp16" and engine == "tensorrt":
            kwargs["half"] = True
        fmt = {"openvino": "openvino", "onnx": "onnx", "tensorrt": "engine"}[engine]
        decline_openvino_telemetry()
        yolo = YOLO(str(local))
        exported = Path(yolo.export(format=fmt, **kwargs))
        out = work / "out"
        out.mkdir()
        # Class names beside the engine, so using it never needs the PyTorch model loaded again.
        (out / "names.json").write_text(json.dumps({int(k): v for k, v in yolo.names.items()}))
        if exported.is_dir():  # openvino: a folder with model.xml/.bin
            xml = next(exported.glob("*.xml"))
            shutil.move(str(xml), out / "model.xml")
            shutil.move(str(xml.with_suffix(".bin")), out / "model.bin")
        else:
            shutil.move(str(exported), out / artifact_name)
        try:
            out.rename(final)
        except OSError:  # another process won the race; use theirs
            pass
        return final / artifact_name, True
    finally:
        shutil.rmtree(work, ignore_errors=True)
