"""Canary partitions: the videos that also get the slow baseline twins, so parity checks have
something to compare. A configured list (``VIDEO_ASSETS_CANARY``, comma separated) or, when unset,
a stable hash-based fraction of the corpus (``VIDEO_ASSETS_CANARY_FRACTION``, default 0.1, at
least one video): a video's membership never changes as others come and go."""

from __future__ import annotations

import hashlib

from video_assets.runtime import settings


def configured_canaries() -> list[str]:
    return [k.strip() for k in settings.env("VIDEO_ASSETS_CANARY", "").split(",") if k.strip()]


def canary_fraction() -> float:
    return float(settings.env("VIDEO_ASSETS_CANARY_FRACTION", "0.1"))


def _bucket(key: str) -> float:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def canary_partitions(keys: list[str], configured: list[str] | None = None, fraction: float | None = None) -> list[str]:
    configured = configured_canaries() if configured is None else configured
    if configured:
        return [k for k in keys if k in set(configured)]
    fraction = canary_fraction() if fraction is None else fraction
    chosen = [k for k in keys if _bucket(k) < fraction]
    if not chosen and keys and fraction > 0:
        chosen = [min(keys, key=_bucket)]
    return sorted(chosen)
