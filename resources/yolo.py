"""YOLO weights and engines: PyTorch, OpenVINO, ONNX Runtime, TensorRT behind one ``raw`` call.

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

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import Field

from resources.device import resolve_device
from resources.hub import GITHUB_ENDPOINT, require_online
from resources.model_cache import MissingWeightsError, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from video_assets import settings

log = logging.getLogger(__name__)
RANDOM_PREFIX = "random:"


def model_cache_root() -> str:
    return settings.env("VIDEO_ASSETS_MODEL_CACHE", str(settings.PROJECT_DIR / "data" / "model_cache"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def cpu_has_bf16() -> bool:
    """OpenVINO runs bf16 natively on CPUs with AVX512_BF16 or AMX (measured: 2x fp32 here)."""
    try:
        import openvino as ov

        return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:
        return False


@dataclass
class YoloWeights:
    path: Path
    label: str  # "real" | "random-init"
    sha256: str
    spec: str


def resolve_weights(spec: str, cache_root: str, env_name: str) -> YoloWeights:
    """A weights spec -> a local .pt file, or a MissingWeightsError naming the variable to set."""
    cache = Path(cache_root) / "yolo"
    if spec.startswith(RANDOM_PREFIX):
        arch = spec[len(RANDOM_PREFIX) :]
        target = cache / f"{arch}-random-init-seed0.pt"
        if not target.exists():
            import torch
            from ultralytics import YOLO

            cache.mkdir(parents=True, exist_ok=True)
            torch.manual_seed(0)
            try:
                model = YOLO(f"{arch}.yaml")
            except Exception as exc:
                raise MissingWeightsError(f"{env_name}={spec!r}: unknown architecture {arch!r} ({exc})") from exc
            tmp = target.with_suffix(f".tmp{os.getpid()}.pt")
            model.save(str(tmp))
            tmp.replace(target)
        return YoloWeights(target, "random-init", file_sha256(target), spec)
    path = Path(spec)
    if path.exists():
        return YoloWeights(path, "real", file_sha256(path), spec)
    # An Ultralytics name: it downloads into the working directory; keep that in the cache.
    cached = cache / path.name
    if cached.exists():
        return YoloWeights(cached, "real", file_sha256(cached), spec)
    from ultralytics import YOLO

    require_online(f"YOLO weights {spec!r}", GITHUB_ENDPOINT, env_name,
                   f" (a .pt file); for plumbing and speed without trained weights, {env_name}=random:{path.stem} (random-init, never results)")
    cache.mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd()
    try:
        os.chdir(cache)
        YOLO(path.name)
    except Exception as exc:
        raise MissingWeightsError(
            f"YOLO weights {spec!r} are not a local file and could not be downloaded ({exc}). Set {env_name} "
            "to a local .pt file (or an Ultralytics name where GitHub is reachable); for plumbing and speed "
            f"tests without trained weights, set {env_name}=random:{path.stem} (random-init, never results)."
        ) from exc
    finally:
        os.chdir(cwd)
    return YoloWeights(cached, "real", file_sha256(cached), spec)


@dataclass
class TorchDetector:
    """The Ultralytics network itself, fused, FP16 on CUDA."""

    weights: YoloWeights
    device: str
    precision: str
    engine: str = "torch"
    names: dict[int, str] = field(default_factory=dict)

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


@dataclass
class OpenVinoDetector:
    xml: Path
    names: dict[int, str]
    precision: str
    threads: int
    engine: str = "openvino"

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
        return np.asarray(self._compiled(batch)[0])


@dataclass
class OnnxDetector:
    path: Path
    names: dict[int, str]
    precision: str
    threads: int
    engine: str = "onnx"

    def __post_init__(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
        self._session = ort.InferenceSession(str(self.path), options, providers=providers)
        self._input = self._session.get_inputs()[0].name

    def raw(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: batch})[0]


@dataclass
class TensorRtDetector:
    """TensorRT through Ultralytics' AutoBackend (dynamic batch up to the export's ``batch``)."""

    path: Path
    names: dict[int, str]
    precision: str
    engine: str = "tensorrt"

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

    from video_assets.frames import FrameBundle, resize_to

    fs, base = fsspec.core.url_to_fs(storage_root.rstrip("/") + "/video_frames")
    files = sorted(p for p in (fs.glob(base + "/*.frames.parquet") if fs.exists(base) else []))
    if not files:
        raise ValueError(f"no stored video_frames under {storage_root} to calibrate INT8 with; materialize video_frames first")
    per_file = max(1, limit // len(files))
    frames: list[np.ndarray] = []
    for path in files:
        with fs.open(path, "rb") as fh:
            bundle = FrameBundle.from_parquet_bytes(fh.read())
        for i in np.linspace(0, len(bundle) - 1, min(per_file, len(bundle))).round().astype(int):
            frames.append(resize_to(bundle.image(int(i)), max_side))
    return frames[:limit]


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
        threads = self.cpu_threads or len(os.sched_getaffinity(0))
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
