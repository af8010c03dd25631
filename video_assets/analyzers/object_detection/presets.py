"""object_detection presets. Both read every 10th source frame at 640 px on the long side (YOLO
letterboxes to ``imgsz`` 640 anyway, so more pixels would be thrown away).

* BASELINE (the original): yolov8x in PyTorch (FP16 on GPU, FP32 on CPU), batches of 32.
* OPTIMIZED: yolov8l through an exported engine: TensorRT INT8 on NVIDIA GPUs, OpenVINO on CPU;
  batches of 64; a rectangular letterbox (640x384 for portrait video instead of 640x640: 40 % fewer
  pixels, same scale), which the exported engines take through dynamic input shapes.

The architecture (yolov8x, yolov8l) is the weights' business: the resource says which it loads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from video_assets.analyzers.base import cpu_target
from video_assets.media.sampling import SamplingPlan

NAME = "object_detection"


@dataclass(frozen=True)
class Config:
    preset: str
    engine: str  # torch | openvino | onnx | tensorrt | auto (tensorrt on CUDA, openvino on CPU)
    precision: str  # fp32 | fp16 | bf16 | int8 | auto (fp16 on CUDA, fp32 on CPU for torch; int8 for tensorrt)
    batch: int
    rect: bool  # letterbox to the smallest stride multiple instead of a square
    imgsz: int = 640
    conf: float = 0.25
    iou: float = 0.7
    max_det: int = 300
    every_n_frames: int = 10

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


BASELINE = Config(preset="baseline", engine="torch", precision="auto", batch=32, rect=False)


OPTIMIZED = Config(preset="optimized", engine="auto", precision="auto", batch=64, rect=True)


PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}


# Halved on out-of-memory (video_assets.runtime.resilience).
BATCH_FIELDS = ("batch",)


# GPU: the seed plan's 20 s target for its 68.4 s video. CPU: 1.5x the optimized preset's
# measurement (analyzers.base.cpu_target), row MEASURED_ROW of benchmark/results/ (2 cores).
MEASURED_ROW = ("results.json", "object_detection")
MEASURED_CPU_RTF = 0.3571
SPEED_TARGET_RTF = {"gpu": 20.0 / 68.4, "cpu": cpu_target(MEASURED_CPU_RTF)}


def plan(config: Config) -> SamplingPlan:
    """The frames a preset reads (one home: ``video_frames`` and ``run`` both ask here)."""
    return SamplingPlan(f"{NAME}:{config.preset}", every_n_frames=config.every_n_frames, max_side=config.imgsz)
