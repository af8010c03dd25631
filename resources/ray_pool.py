"""Warm model pools on Ray: one named, versioned actor pool per model family and preset.

Why: on the default executors every step process loads its models again (seconds to minutes for
Qwen2-VL), once per run of up to 8 videos. On a cluster the models stay loaded in Ray actors and
the analyzer steps become thin clients that send a partition's decoded inputs (through the object
store) and write the tables as before. The actor runs the analyzer's own ``process`` (the core,
unchanged) inside the same out-of-memory fallback a step uses.

Names: ``<analyzer>-<preset>-<code version>-<i>`` in the namespace ``video-assets``. The code
version is the asset's (preset, model id, schemas) plus a digest of the resource's settings, so a
deploy that changes any of them gets new actors and never talks to a stale model; old actors are
left to ``resources.ray_pool.prune()`` (or a cluster restart).

GPUs: each actor asks Ray for a fraction of a GPU per family (settings below); the Dagster ``gpu``
pool limit should equal the number of actors the cluster can hold at once, summed over families
(README "Running on a cluster"), so Dagster never queues more GPU steps than actors can serve.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from video_assets.runtime import settings

NAMESPACE = "video-assets"
# Fraction of a GPU each actor of a family asks for (qwen fills a card; the others share one).
# Threads of a pool actor: calls beyond this wait in Ray's queue; ``process`` runs one at a time.
MAX_CONCURRENCY = 64
DEFAULT_GPUS = {"qwen": 1.0, "yolo": 0.25, "ocr": 0.5, "speech_models": 0.25}


class RayUnavailable(RuntimeError):
    """The Ray cluster named by the settings cannot be reached (not transient: fail fast)."""


def _parse_fractions(text: str) -> dict[str, float]:
    out = dict(DEFAULT_GPUS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        family, _, value = part.partition("=")
        out[family.strip()] = float(value)
    return out


class ModelWorker:
    """The actor: loads one analyzer preset's models once, then analyzes partition after partition.

    A threaded actor (``max_concurrency`` > 1) whose ``process`` calls take one lock: one partition
    at a time on the model, while ``load`` and ``info`` answer at once, so a client can send its
    next partition to the least busy actor of the pool, whoever else is sending to it."""

    def __init__(self, analyzer: str, preset: str, resource_key: str | None, resource_fields: dict[str, Any]):
        import threading

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
                "waiting": self.waiting}


@dataclass
class PoolHandle:
    """A pool's actors as seen by one step."""

    name: str
    actors: list[Any]
    gpus: float
    info: dict[str, Any] = field(default_factory=dict)
    in_flight_per_actor: int = 2

    def stats(self) -> list[dict[str, Any]]:
        """Each actor's pid, calls and busy seconds so far (the UI shows them on the step)."""
        import ray

        return [{k: i[k] for k in ("pid", "calls", "busy_s", "loads")} for i in ray.get([a.info.remote() for a in self.actors])]

    def map(self, items: list[tuple[Any, str]]):
        """Results of ``process`` for every (inputs, label), in order, with every partition handed
        out as soon as there is room: at most ``in_flight_per_actor`` per actor sent at a time (the
        next input waits in the object store while the current one runs), each to the actor with
        the fewest partitions in hand, counted by the actors themselves (other steps and runs send
        to them too)."""
        import ray

        pending: dict[Any, int] = {}
        done: dict[int, Any] = {}
        sent = emitted = 0
        limit = max(1, self.in_flight_per_actor) * len(self.actors)
        while emitted < len(items):
            while sent < len(items) and len(pending) < limit:
                loads = ray.get([a.load.remote() for a in self.actors]) if len(self.actors) > 1 else [0]
                actor = self.actors[min(range(len(self.actors)), key=lambda i: (loads[i], i))]
                inputs, label = items[sent]
                pending[actor.process.remote(ray.put(inputs), label)] = sent
                sent += 1
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
            if emitted >= len(items):
                break
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                done[pending.pop(ref)] = ray.get(ref)


class ModelPools(ConfigurableResource):
    """Where the analyzer steps run their models: in the step (default) or in warm Ray actor pools.

    Enabled when ``address`` (``VIDEO_ASSETS_RAY_ADDRESS``, the cluster's dashboard address that the
    Ray executor submits steps to) is set; the steps, which then run as Ray jobs, reach the actors
    through the job's own ``RAY_ADDRESS``.
    """

    address: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_RAY_ADDRESS", ""),
                         description="Ray dashboard address (http://head:8265); empty: models load in each step")
    actors_per_pool: int = Field(default_factory=lambda: int(settings.env("VIDEO_ASSETS_POOL_ACTORS", "1")),
                                 description="actors per model family and preset (VIDEO_ASSETS_POOL_ACTORS)")
    gpus: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_POOL_GPUS", ""),
                      description="GPU fraction per family actor, e.g. 'qwen=1,yolo=0.25' (VIDEO_ASSETS_POOL_GPUS); "
                                  f"defaults {DEFAULT_GPUS}")
    cpus: float = Field(default_factory=lambda: float(settings.env("VIDEO_ASSETS_POOL_CPUS", "0")),
                        description="CPUs each actor reserves (VIDEO_ASSETS_POOL_CPUS); 0: GPUs are what is scheduled")
    in_flight_per_actor: int = Field(default_factory=lambda: int(settings.env("VIDEO_ASSETS_POOL_IN_FLIGHT", "2")),
                                     description="partitions a step sends ahead per actor (VIDEO_ASSETS_POOL_IN_FLIGHT): "
                                                 "2 keeps the next input ready while the current one runs")
    start_timeout_s: float = Field(default_factory=lambda: float(settings.env("VIDEO_ASSETS_POOL_START_TIMEOUT_S", "900")),
                                   description="how long a step waits for its pool's first actor to be placed and "
                                               "loaded (VIDEO_ASSETS_POOL_START_TIMEOUT_S)")

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def gpu_fraction(self, family: str | None) -> float:
        return _parse_fractions(self.gpus).get(family, 0.0) if family else 0.0

    def pool_name(self, analyzer: Any, preset: str, code_version: str, resource: Any) -> str:
        fields = resource.model_dump() if resource is not None else {}
        digest = hashlib.sha256(json.dumps([code_version, fields], sort_keys=True, default=str).encode()).hexdigest()[:10]
        return f"{analyzer.name}-{preset}-{digest}"

    def connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        address = os.environ.get("RAY_ADDRESS") or "auto"
        try:
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level="ERROR")
        except Exception as exc:  # ConnectionError, or RuntimeError when no cluster is found
            raise RayUnavailable(f"no Ray cluster at {address!r} ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
                                 "set VIDEO_ASSETS_RAY_ADDRESS to the cluster's dashboard address and run on the Ray executor, "
                                 "or unset it to load models in each step") from exc

    def pool(self, analyzer: Any, preset: str, code_version: str, resource: Any) -> PoolHandle:
        """The pool's actors, created on first use (``get_if_exists``: many steps may race)."""
        import ray

        self.connect()
        name = self.pool_name(analyzer, preset, code_version, resource)
        gpus = self.gpu_fraction(analyzer.model)
        fields = resource.model_dump() if resource is not None else {}
        remote = ray.remote(ModelWorker)
        actors = [
            remote.options(name=f"{name}-{i}", namespace=NAMESPACE, lifetime="detached", get_if_exists=True,
                           num_gpus=gpus, num_cpus=self.cpus, max_restarts=-1, max_task_retries=0,
                           max_concurrency=MAX_CONCURRENCY).remote(analyzer.name, preset, analyzer.model, fields)
            for i in range(max(1, self.actors_per_pool))
        ]
        deadline = time.monotonic() + self.start_timeout_s
        try:
            while True:
                try:
                    info = ray.get(actors[0].info.remote(), timeout=max(0.1, deadline - time.monotonic()))
                    break
                except ray.exceptions.ActorUnavailableError:
                    # Restarting (a lost node, the OOM killer, ray.kill): it loads its model again.
                    # A step retried after a killed actor waits for it, as for a new pool.
                    if time.monotonic() > deadline:
                        raise ray.exceptions.GetTimeoutError("restarting") from None
                    time.sleep(0.5)
        except ray.exceptions.GetTimeoutError as exc:
            raise RayUnavailable(
                f"pool {name} was not ready within {self.start_timeout_s:.0f} s: an actor asks for {gpus} GPU and "
                f"{self.cpus} CPU and the cluster has none free (see `ray status`); add GPU nodes or lower "
                "VIDEO_ASSETS_POOL_GPUS / VIDEO_ASSETS_POOL_ACTORS") from exc
        except ray.exceptions.RayActorError as exc:  # the constructor failed: say why, once
            if "MissingWeightsError" in str(exc):
                from resources.model_cache import MissingWeightsError

                raise MissingWeightsError(next((line for line in str(exc).splitlines() if "MissingWeightsError" in line), str(exc))) from exc
            raise
        return PoolHandle(name, actors, gpus, info, self.in_flight_per_actor)


def list_pools() -> list[dict[str, Any]]:
    """Every pool actor alive in the cluster's namespace, with its info (tests, CLI, bench)."""
    import ray
    from ray.util.state import list_actors

    out = []
    for a in list_actors(filters=[("ray_namespace", "=", NAMESPACE), ("state", "=", "ALIVE")], limit=1000):
        handle = ray.get_actor(a.name, namespace=NAMESPACE)
        out.append({"name": a.name, **ray.get(handle.info.remote())})
    return out


def prune(keep: set[str] | None = None) -> list[str]:
    """Kill pool actors whose names are not in ``keep`` (stale versions after a deploy)."""
    import ray

    killed = []
    for info in list_pools():
        if keep is None or info["name"] not in keep:
            ray.kill(ray.get_actor(info["name"], namespace=NAMESPACE), no_restart=True)
            killed.append(info["name"])
    return killed
