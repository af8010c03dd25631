"""Load each model once per process, and count the loads (a backfill should show one, not N).

Dagster sets resources up once per run per process; the cache below also survives across runs in
one process (the in-process executor, the CLI, tests), keyed by everything that changes weights.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Hashable

_lock = threading.Lock()
_models: dict[Hashable, "Loaded"] = {}
# Missing weights stay missing for the life of the process: the next partition fails at once
# with the same message instead of searching (or waiting on a network) again.
_missing: dict[Hashable, "MissingWeightsError"] = {}
LOAD_COUNTS: Counter = Counter()
# A weights setting that starts with this builds random-init weights of the named architecture:
# plumbing and speed only, labelled `weights: random-init` wherever a person sees them.
RANDOM_PREFIX = "random:"


@dataclass
class Loaded:
    model: Any
    load_seconds: float
    key: Hashable


def get_or_load(key: Hashable, loader: Callable[[], Any]) -> tuple[Loaded, bool]:
    """Returns the cached model and whether this call loaded it."""
    with _lock:
        if key in _models:
            return _models[key], False
        if key in _missing:
            raise _missing[key]
        t0 = time.perf_counter()
        try:
            model = loader()
        except MissingWeightsError as exc:
            _missing[key] = exc
            raise
        loaded = Loaded(model=model, load_seconds=time.perf_counter() - t0, key=key)
        _models[key] = loaded
        LOAD_COUNTS[key] += 1
        return loaded, True


def file_sha256(path) -> str:
    """SHA-256 of a weights file, read in blocks (checks of downloaded or assembled weights)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


class MissingWeightsError(RuntimeError):
    """Weights could not be found or fetched. The message says which setting to change."""
