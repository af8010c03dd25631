"""Where models run, in one home: the device (``VIDEO_ASSETS_DEVICE``: auto, cpu, cuda), the CPU
thread count, whether the CPU computes BF16 natively, and the model cache folder. Every model
resource asks here, so one variable moves the whole code location between machines."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from video_assets.runtime import settings


def resolve_device(requested: str) -> str:
    """'auto' -> 'cuda' when a usable GPU is present, else 'cpu'. Asking for 'cuda' without one
    falls back to CPU (the run still completes; metadata records the device actually used).
    Without an NVIDIA driver torch is not imported: code versions are computed from this while the
    code location loads, which must stay quick."""
    requested = requested.lower()
    if requested not in ("auto", "cpu", "cuda", "gpu"):
        raise ValueError(f"VIDEO_ASSETS_DEVICE={requested!r}: use auto, cpu or cuda")
    if requested == "cpu" or not Path("/proc/driver/nvidia/version").exists():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def cpu_threads(requested: int = 0) -> int:
    """0 means one thread per core this process may run on (its affinity, not the machine's count)."""
    return requested or len(os.sched_getaffinity(0))


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether the CPU has native BF16 arithmetic (AVX512_BF16 or AMX): then BF16 halves memory
    traffic at no accuracy cost worth measuring (PyTorch and OpenVINO both use it)."""
    path = Path("/proc/cpuinfo")
    flags = path.read_text() if path.exists() else ""
    return "avx512_bf16" in flags or "amx_bf16" in flags


def model_cache_root() -> str:
    """Where built engines, random-init checkpoints and downloaded weights go (VIDEO_ASSETS_MODEL_CACHE)."""
    return settings.env("VIDEO_ASSETS_MODEL_CACHE", str(settings.PROJECT_DIR / "data" / "model_cache"))
