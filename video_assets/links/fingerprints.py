"""A video's two fingerprints as typed tables, the form they are stored in (one Parquet file per
video, like every analyzer table) and read back from when the corpus' links are brought up to date.

Sound: one row per spectral peak (time in frames, log2 Hz). Footage: one row per hashed view of a
sampled frame (time, view, the 256-bit hash and its mirror's). What is not per row (the duration,
the frames sampled) travels in the table's schema metadata, so an empty fingerprint (a video
without sound, or all flat frames) still says how long it was.

``VERSION`` names the fingerprint algorithms: a change to peak picking or hashing changes it, and
with it the assets' code version, so stored fingerprints of the old kind are stale, never mixed
with new ones in one index."""

from __future__ import annotations

import hashlib
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.links import footage as F
from video_assets.links import sound as S
from video_assets.media.sampling import SamplingPlan

VERSION = "2"  # 2: looser sound peaks (sound.STEADY_DB 12, PROMINENCE_DB 1) and a peak store beside the triplets
# The frames footage hashes: two a second at 360x640, the stored bundle's 0.5 s frames made smaller
# (text_overlay keeps the same frames at full size, so decoding keeps no extra frame for them).
FOOTAGE_PLAN = SamplingPlan(name="links:footage", every_s=F.SAMPLE_EVERY_S, max_side=640)

SOUND_FINGERPRINT_SCHEMA = pa.schema([
    pa.field("t", pa.float32(), metadata={"doc": "peak time, frames of sound.FRAME_S"}),
    pa.field("logf", pa.float32(), metadata={"doc": "peak frequency, log2 Hz"}),
])
FOOTAGE_FINGERPRINT_SCHEMA = pa.schema([
    pa.field("time_s", pa.float32(), metadata={"doc": "the sampled frame's time"}),
    pa.field("view", pa.uint8(), metadata={"doc": "0 the picture, 1.. its 90 % crops"}),
    pa.field("hash", pa.binary(32), metadata={"doc": "256-bit PDQ-style hash"}),
    pa.field("mirrored", pa.binary(32), metadata={"doc": "the hash of the left-right mirrored view"}),
])


def _with(schema: pa.Schema, df: pd.DataFrame, **meta: float) -> pd.DataFrame:
    df.attrs["arrow_schema"] = schema.with_metadata({k: repr(float(v)) for k, v in meta.items()} | {"version": VERSION})
    return df


def _meta(df: pd.DataFrame, name: str) -> float:
    schema = df.attrs.get("arrow_schema")
    value = (schema.metadata or {}).get(name.encode()) if schema is not None else None
    if value is None:
        raise ValueError(f"fingerprint table without '{name}' in its schema metadata (not written by links.fingerprints)")
    return float(value)


def sound_table(fp: S.SoundFingerprint) -> pd.DataFrame:
    df = pd.DataFrame({"t": np.asarray(fp.t, np.float32), "logf": np.asarray(fp.logf, np.float32)})
    return _with(SOUND_FINGERPRINT_SCHEMA, df, duration_s=fp.duration_s)


def sound_of(df: pd.DataFrame) -> S.SoundFingerprint:
    return S.SoundFingerprint(df["t"].to_numpy(np.float32), df["logf"].to_numpy(np.float32), _meta(df, "duration_s"))


def _rows(hashes: np.ndarray) -> pd.Series:
    # object dtype even when empty (a video of flat frames hashes nothing): an empty list would be
    # a float column, which Parquet refuses as binary(32)
    return pd.Series([bytes(r) for r in np.asarray(hashes, np.uint8)], dtype=object)


def _hashes(cells: Iterable[bytes]) -> np.ndarray:
    out = np.frombuffer(b"".join(cells), np.uint8)
    return out.reshape(-1, 32)


def footage_table(fp: F.FootageFingerprint) -> pd.DataFrame:
    df = pd.DataFrame({"time_s": np.asarray(fp.times, np.float32), "view": np.asarray(fp.view, np.uint8),
                       "hash": _rows(fp.hashes), "mirrored": _rows(fp.mirrored)})
    return _with(FOOTAGE_FINGERPRINT_SCHEMA, df, duration_s=fp.duration_s, frames=fp.frames)


def footage_of(df: pd.DataFrame) -> F.FootageFingerprint:
    return F.FootageFingerprint(df["time_s"].to_numpy(np.float32), df["view"].to_numpy(np.uint8), _hashes(df["hash"]),
                                _hashes(df["mirrored"]), _meta(df, "duration_s"), int(_meta(df, "frames")))


def digest(df: pd.DataFrame) -> str:
    """What the fingerprint is, in 16 hex digits: the ledger re-indexes a video whose digest changed."""
    h = hashlib.sha256(VERSION.encode())
    for name in df.columns:
        col = df[name]
        h.update(name.encode())
        h.update(b"".join(col) if col.dtype == object else np.ascontiguousarray(col.to_numpy()).tobytes())
    return h.hexdigest()[:16]
