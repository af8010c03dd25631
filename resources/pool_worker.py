"""The warm pool's actor: one analyzer preset's models loaded once, partition after partition.

Kept apart from the client side (``resources/ray_pool.py``): this class runs inside a Ray worker
process for the pool's life; the steps only hold handles to it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any


class ModelWorker:
    """The actor: loads one analyzer preset's models once, then analyzes partition after partition.

    A threaded actor (``max_concurrency`` > 1) whose ``process`` calls take one lock: one partition
    at a time on the model, while ``load`` and ``info`` answer at once, so a client can send its
    next partition to the least busy actor of the pool, whoever else is sending to it."""

    def __init__(self, analyzer: str, preset: str, resource_key: str | None, resource_fields: dict[str, Any]):
        from resources import model_resources
        from video_assets.analyzers import by_name

        self.analyzer, self.preset = by_name(analyzer), preset
        self.resource = model_resources()[resource_key](**resource_fields) if resource_key else None
        t0 = time.perf_counter()
        self.loads = 0
        self.loaded = self._models()
        self.load_seconds = time.perf_counter() - t0
        self.started = time.time()
        self.calls = 0
        self.lock = threading.Lock()
        self.counter = threading.Lock()
        self.waiting = 0  # calls received and not finished (the one running included)
        self.busy_s = 0.0  # seconds spent in ``process`` (the model's work, not the wait for the lock)
        self.first_start: float | None = None
        self.last_end: float | None = None
        self.running_since: float | None = None  # when the call on the model began (None: idle)

    def _models(self):
        """The resource's models, counting real loads: the resource caches per process, so after
        the first call this is a lookup, and ``loads`` stays 1 for the actor's life."""
        from resources.models import no_model

        loaded = self.resource.load(self.preset) if self.resource is not None else no_model()
        self.loads += bool(loaded.loaded_now)
        return loaded

    def process(self, inputs: Any, label: str) -> tuple[Any, list[str], str, float, float]:
        """(AnalyzerResult, out-of-memory events, device it ran on, seconds of work, CPU seconds of
        this process meanwhile) for one partition."""
        from video_assets.runtime.resilience import OomFallback

        def load_cpu():
            cpu = self.resource.model_copy(update={"device": "cpu"}).load(self.preset)
            return cpu.model, cpu.device

        with self.counter:
            self.waiting += 1
        try:
            with self.lock:
                start = time.time()
                self.first_start = self.first_start or start
                self.running_since = start
                try:
                    t0, c0 = time.perf_counter(), time.process_time()
                    self.loaded = self._models()
                    runner = OomFallback(self.analyzer.process, self.analyzer.presets[self.preset], tuple(self.analyzer.batch_fields),
                                         self.loaded.model, self.loaded.device, load_cpu)
                    self.calls += 1
                    result = runner(inputs, label)
                    seconds = time.perf_counter() - t0
                    self.busy_s += seconds
                    self.last_end = time.time()
                    return result, runner.events, runner.device, seconds, time.process_time() - c0
                finally:
                    self.running_since = None
        finally:
            with self.counter:
                self.waiting -= 1

    def load(self) -> int:
        """Partitions this actor holds (running or waiting for the model)."""
        return self.waiting

    def info(self) -> dict[str, Any]:
        """What a client shows in the UI, and what tests and the benchmark count: one load per actor
        process, its calls, and its busy seconds between its first and its last call."""
        return {"pid": os.getpid(), "model": self.loaded.model_id, "detail": self.loaded.detail, "device": self.loaded.device,
                "weights": self.loaded.weights, "load_seconds": round(self.load_seconds, 3), "loads": self.loads, "calls": self.calls,
                "started": self.started, "busy_s": round(self.busy_s, 3), "first_start": self.first_start, "last_end": self.last_end,
                "waiting": self.waiting, "running_since": self.running_since}
