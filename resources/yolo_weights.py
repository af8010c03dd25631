"""YOLO weights: a local ``.pt`` path, an Ultralytics name (downloaded by Ultralytics where it can
reach GitHub), or ``random:<arch>`` (the real architecture with seeded random weights, saved once
in the model cache so the engine cache stays valid; labelled ``weights: random-init``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from resources.hub import GITHUB_ENDPOINT, require_online
from resources.model_cache import RANDOM_PREFIX, MissingWeightsError, file_sha256


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
