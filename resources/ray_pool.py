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
(docs/cluster.md), so Dagster never queues more GPU steps than actors can serve.
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

from resources.pool_worker import ModelWorker
from video_assets.runtime import settings

NAMESPACE = "video-assets"
# Fraction of a GPU each actor of a family asks for (qwen fills a card; the others share one).
# Threads of a pool actor: calls beyond this wait in Ray's queue; ``process`` runs one at a time.
MAX_CONCURRENCY = 64
# faces and audio_events run their small networks on the CPU everywhere: no GPU share.
DEFAULT_GPUS = {"qwen": 1.0, "yolo": 0.25, "ocr": 0.5, "speech_models": 0.25, "faces": 0.0, "audio_events": 0.0}


class RayUnavailable(RuntimeError):
    """The Ray cluster named by the settings cannot be reached (not transient: fail fast)."""


def _parse_fractions(text: str) -> dict[str, float]:
    out = dict(DEFAULT_GPUS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        family, _, value = part.partition("=")
        out[family.strip()] = float(value)
    return out


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

    def submit(self, inputs: Any, label: str, actor: int | None = None) -> Any:
        """Send one partition now; its ObjectRef. To actor ``actor`` when given (a step sending
        another analyzer its partitions ahead: its actors may still be loading, so no ``load``
        query waits on them), else to the actor with the fewest partitions in hand."""
        import ray

        if actor is None:
            loads = ray.get([a.load.remote() for a in self.actors]) if len(self.actors) > 1 else [0]
            actor = min(range(len(self.actors)), key=lambda i: (loads[i], i))
        return self.actors[actor % len(self.actors)].process.remote(ray.put(inputs), label)

    def map(self, items: list[tuple[Any, str]], sent: dict[str, Any] | None = None):
        """Results of ``process`` for every (inputs, label), in order, with every partition handed
        out as soon as there is room: at most ``in_flight_per_actor`` per actor sent at a time (the
        next input waits in the object store while the current one runs), each to the actor with
        the fewest partitions in hand, counted by the actors themselves (other steps and runs send
        to them too). ``sent``: ObjectRefs of partitions already sent (``video_assets.defs.send_ahead``),
        by label: those are only waited for."""
        import ray

        sent = dict(sent or {})
        pending: dict[Any, int] = {}
        done: dict[int, Any] = {}
        own = [i for i, (_, label) in enumerate(items) if label not in sent]
        for i, (_, label) in enumerate(items):
            if label in sent:
                pending[sent[label]] = i
        mine: set[Any] = set()
        nxt = emitted = 0
        limit = max(1, self.in_flight_per_actor) * len(self.actors)
        while emitted < len(items):
            while nxt < len(own) and len(mine) < limit:
                inputs, label = items[own[nxt]]
                ref = self.submit(inputs, label)
                pending[ref] = own[nxt]
                mine.add(ref)
                nxt += 1
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
            if emitted >= len(items):
                break
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                mine.discard(ref)
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
    send_ahead: bool = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_POOL_SEND_AHEAD", "1") not in ("0", "false", "no"),
                             description="the run's first model step sends every other model step of the run its videos, "
                                         "so all pools work at once (VIDEO_ASSETS_POOL_SEND_AHEAD; 0: each step sends its own)")
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

    def handle(self, analyzer: Any, preset: str, code_version: str, resource: Any) -> PoolHandle:
        """The pool's actors, created on first use (``get_if_exists``: many steps may race), without
        waiting for them to be placed and loaded: calls sent meanwhile wait in Ray's queue."""
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
        return PoolHandle(name, actors, gpus, {}, self.in_flight_per_actor)

    def pool(self, analyzer: Any, preset: str, code_version: str, resource: Any) -> PoolHandle:
        """The pool's actors once the first has loaded its models (its info: model, device,
        weights), or a one-line error saying why it cannot start."""
        import ray

        handle = self.handle(analyzer, preset, code_version, resource)
        name, actors, gpus = handle.name, handle.actors, handle.gpus
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
        handle.info = info
        return handle


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
