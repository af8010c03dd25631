"""Environment variables and their defaults, in one place.

Every setting is also a field of a ConfigurableResource (see ``resources/``); these functions give
the defaults those fields start from, so ``VIDEO_ASSETS_*`` variables work without any run config.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def corpus_root() -> str:
    return env("VIDEO_ASSETS_CORPUS", str(PROJECT_DIR / "data" / "sample_corpus"))


def storage_root() -> str:
    return env("VIDEO_ASSETS_STORAGE", str(PROJECT_DIR / "data" / "storage"))


def links_dir(storage: str | None = None) -> str:
    """The links ledger's folder (issue #52): ``VIDEO_ASSETS_LINKS_DIR``, else ``<storage>/links``.
    Its index is memory-mapped, so it must be a local disk even when storage is a bucket."""
    return env("VIDEO_ASSETS_LINKS_DIR", str(storage or storage_root()).rstrip("/") + "/links")


def frame_codec() -> str:
    return env("VIDEO_ASSETS_FRAME_CODEC", "jpeg")


def max_duration_s() -> float:
    """The longest video analyzed (seconds). Default 30 minutes: three times TikTok's longest upload."""
    return float(env("VIDEO_ASSETS_MAX_DURATION_S", "1800"))


def max_frames() -> int:
    """The most frames a video may have (default: 30 minutes at 60 fps)."""
    return int(env("VIDEO_ASSETS_MAX_FRAMES", "108000"))


def device() -> str:
    return env("VIDEO_ASSETS_DEVICE", "auto")


def videos_per_run() -> int:
    """Videos one run of the corpus sensor or the nightly backfill takes (VIDEO_ASSETS_VIDEOS_PER_RUN).

    A run pays a fixed cost once (a process, its imports, every model loaded and warmed up): the
    more videos share it, the less each pays; a run that fails on a bad file is redone one video
    per run, so larger runs redo more, and a run's tables land step by step, so larger runs show
    their first tables later. Default 32, chosen by measurement (64 videos through the daemon on 2
    cores: runs of 32 took 0.99x the in-process time, of 16 1.13x; docs/operating.md, "Which path, when")."""
    return max(1, int(env("VIDEO_ASSETS_VIDEOS_PER_RUN", "32")))


def sensor_analyzers() -> list[str]:
    """The analyzers the corpus sensor's runs materialize (VIDEO_ASSETS_SENSOR_ANALYZERS, names
    comma-separated; unset: every one). The runs still decode both inputs and make the profile and
    the index spans; what they leave out the nightly backfill fills (when its schedule is on). For a deployment that wants a
    few cheap tables of a new video at once and the rest overnight, and for tests that drive the
    real sensor and daemon over many files without loading every model in every run."""
    return [name.strip() for name in env("VIDEO_ASSETS_SENSOR_ANALYZERS", "").split(",") if name.strip()]
