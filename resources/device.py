"""Which device models run on. Every model resource has a ``device`` field (``VIDEO_ASSETS_DEVICE``:
auto, cpu, cuda) resolved here, so one variable moves the whole code location between machines."""

from __future__ import annotations


def resolve_device(requested: str) -> str:
    """'auto' -> 'cuda' when a usable GPU is present, else 'cpu'. Asking for 'cuda' without one
    falls back to CPU (the run still completes; metadata records the device actually used)."""
    import torch

    requested = requested.lower()
    if requested not in ("auto", "cpu", "cuda", "gpu"):
        raise ValueError(f"VIDEO_ASSETS_DEVICE={requested!r}: use auto, cpu or cuda")
    if requested in ("auto", "cuda", "gpu") and torch.cuda.is_available():
        return "cuda"
    return "cpu"
