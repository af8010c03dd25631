"""The YOLO model resource: weights per preset, the engine per device, loaded once per process.

Weights (``VIDEO_ASSETS_YOLO_BASELINE``, ``VIDEO_ASSETS_YOLO_OPTIMIZED``): a local ``.pt`` path or an
Ultralytics name (``yolov8x.pt``, downloaded by Ultralytics where it can reach GitHub). Offline,
where no trained weights exist, ``random:yolov8x`` builds the real architecture with random
weights (seeded, saved once in the model cache so the engine cache stays valid); every output
made with them is labelled ``weights: random-init``.

Exported engines are cached on disk under a key of (weights sha256, engine, precision, batch,
image size): built once, reused by every process, rebuilt when any part of the key changes. A
failed build falls back to PyTorch and says so (``engine_fallback`` in the metadata).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field

from resources.device import cpu_has_bf16, cpu_threads, model_cache_root, resolve_device
from resources.hub import GITHUB_ENDPOINT, require_online
from resources.model_cache import RANDOM_PREFIX, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from resources.yolo_engines import OnnxDetector, OpenVinoDetector, TensorRtDetector, TorchDetector, build_engine, corpus_calibration_frames
from resources.yolo_weights import YoloWeights, resolve_weights
from video_assets.runtime import settings



log = logging.getLogger(__name__)


@dataclass
class DetectorBundle:
    detector: object
    weights: YoloWeights
    engine_build_s: float = 0.0
    fallback: str = ""


class YoloResource(AnalyzerModels):
    """YOLO weights per preset and the engine cache."""

    baseline_weights: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_YOLO_BASELINE", "yolov8x.pt"))
    optimized_weights: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_YOLO_OPTIMIZED", "yolov8l.pt"))
    cache_root: str = Field(default_factory=model_cache_root)
    calibration_storage: str = Field(default_factory=settings.storage_root, description="where stored video_frames for INT8 calibration live")
    cpu_engine: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_YOLO_CPU_ENGINE", "openvino"), description="openvino or onnx")
    cpu_precision: str = Field(
        default_factory=lambda: settings.env("VIDEO_ASSETS_YOLO_CPU_PRECISION", "auto"),
        description="auto (bf16 where the CPU has it, else fp32), fp32, bf16",
    )

    def model_id(self, preset: str) -> str:
        return self.baseline_weights if preset == "baseline" else self.optimized_weights

    def weights_label(self) -> str:
        return "random-init" if any(w.startswith(RANDOM_PREFIX) for w in (self.baseline_weights, self.optimized_weights)) else "real"

    def engine_for(self, config_engine: str, config_precision: str, device: str) -> tuple[str, str]:
        engine = config_engine
        if engine == "auto":
            engine = "tensorrt" if device == "cuda" else self.cpu_engine
        precision = config_precision
        if precision == "auto":
            if engine == "torch":
                precision = "fp16" if device == "cuda" else "fp32"
            elif engine == "tensorrt":
                precision = "int8"
            elif self.cpu_precision == "auto":
                precision = "bf16" if cpu_has_bf16() else "fp32"
            else:
                precision = self.cpu_precision
        return engine, precision

    def detector(self, config, calibration_frames: list[np.ndarray] | None = None) -> DetectorBundle:
        """The detector for an analyzer Config (engine built or taken from the cache)."""
        import time

        device = resolve_device(self.device)
        env_name = "VIDEO_ASSETS_YOLO_BASELINE" if config.preset == "baseline" else "VIDEO_ASSETS_YOLO_OPTIMIZED"
        weights = resolve_weights(self.model_id(config.preset), self.cache_root, env_name)
        engine, precision = self.engine_for(config.engine, config.precision, device)
        threads = cpu_threads(self.cpu_threads)
        if engine == "torch":
            return DetectorBundle(TorchDetector(weights, device, precision), weights)
        t0 = time.perf_counter()
        try:
            if engine == "tensorrt":
                import tensorrt  # noqa: F401  (the optional 'gpu' extra)
            if precision == "int8" and calibration_frames is None:
                calibration_frames = corpus_calibration_frames(self.calibration_storage)
            path, built = build_engine(weights, engine, precision, config.batch, config.imgsz, self.cache_root, calibration_frames)
            build_s = time.perf_counter() - t0 if built else 0.0
            names = {int(k): v for k, v in json.loads((path.parent / "names.json").read_text()).items()}
            if engine == "openvino":
                det = OpenVinoDetector(path, names, precision, threads)
            elif engine == "onnx":
                det = OnnxDetector(path, names, precision, threads)
            else:
                det = TensorRtDetector(path, names, precision)
            return DetectorBundle(det, weights, build_s)
        except Exception as exc:  # a failed build must not fail the video: fall back to PyTorch
            log.warning("engine %s/%s failed (%s); falling back to PyTorch", engine, precision, exc)
            fallback_precision = "fp16" if device == "cuda" else "fp32"
            return DetectorBundle(TorchDetector(weights, device, fallback_precision), weights,
                                  fallback=f"{engine}/{precision} failed: {type(exc).__name__}: {exc}"[:300])

    def reference_detector(self, preset: str) -> TorchDetector:
        """The preset's weights in PyTorch FP32 on the CPU: the reference an exported engine's raw
        output is compared with (the benchmark's engine parity)."""
        env_name = "VIDEO_ASSETS_YOLO_BASELINE" if preset == "baseline" else "VIDEO_ASSETS_YOLO_OPTIMIZED"
        return TorchDetector(resolve_weights(self.model_id(preset), self.cache_root, env_name), "cpu", "fp32")

    def preflight(self, preset: str) -> str:
        spec = self.model_id(preset)
        env_name = "VIDEO_ASSETS_YOLO_BASELINE" if preset == "baseline" else "VIDEO_ASSETS_YOLO_OPTIMIZED"
        if spec.startswith(RANDOM_PREFIX):
            return f"{spec} (random-init, built on first use)"
        path = Path(spec)
        if path.exists() or (Path(self.cache_root) / "yolo" / path.name).exists():
            return spec
        require_online(f"YOLO weights {spec!r}", GITHUB_ENDPOINT, env_name,
                       f" (a .pt file); for plumbing and speed without trained weights, {env_name}=random:{path.stem} (random-init, never results)")
        return f"{spec} (downloaded on first use)"

    def load(self, preset: str) -> LoadedModels:
        from video_assets.analyzers.object_detection import PRESETS

        config = PRESETS[preset]
        device = resolve_device(self.device)
        engine, precision = self.engine_for(config.engine, config.precision, device)
        key = ("yolo", self.model_id(preset), engine, precision, config.batch, config.imgsz, device, self.cache_root)
        loaded, new = get_or_load(key, lambda: self.detector(config))
        bundle: DetectorBundle = loaded.model
        detail = f"{bundle.detector.engine}/{bundle.detector.precision}"
        if bundle.engine_build_s:
            detail += f", engine built in {bundle.engine_build_s:.1f} s"
        if bundle.fallback:
            detail += f"; FALLBACK to PyTorch: {bundle.fallback}"
        return LoadedModels(
            model=bundle.detector, model_id=self.model_id(preset), device=device, weights=bundle.weights.label,
            load_seconds=loaded.load_seconds if new else 0.0, loaded_now=new, detail=detail,
        )
