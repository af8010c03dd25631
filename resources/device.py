"""Which device the models run on, and how many CPU threads torch may use."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from video_assets import settings


def resolve_device(requested: str) -> str:
    """'auto' -> 'cuda' when a usable GPU is present, else 'cpu'. Asking for 'cuda' without one
    falls back to CPU (the run still completes; metadata records the device actually used)."""
    import torch

    requested = requested.lower()
    if requested in ("auto", "cuda", "gpu") and torch.cuda.is_available():
        return "cuda"
    if requested not in ("auto", "cpu", "cuda", "gpu"):
        raise ValueError(f"VIDEO_ASSETS_DEVICE={requested!r}: use auto, cpu or cuda")
    return "cpu"


class DeviceResource(dg.ConfigurableResource):
    """The compute device for every model resource (``VIDEO_ASSETS_DEVICE``: auto, cpu, cuda)."""

    device: str = Field(default_factory=settings.device)
    torch_threads: int = Field(default=0, description="0 = one per available core")

    def resolve(self) -> str:
        return resolve_device(self.device)

    @property
    def profile(self) -> str:
        """'gpu' or 'cpu': which speed targets apply."""
        return "gpu" if self.resolve() == "cuda" else "cpu"

    def configure_torch(self) -> None:
        import torch

        threads = self.torch_threads or len(os.sched_getaffinity(0))
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        if self.resolve() == "cuda":
            torch.backends.cudnn.benchmark = True
