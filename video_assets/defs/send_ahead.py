"""A run's first pooled analyzer step sends every other pooled analyzer of the run its videos.

Why: a run executes its steps one after another in one process (the in-process executor, so
Python, torch and the models' clients load once a run); a step on the warm pools only waits for
its pool. One step at a time meant one pool at work while the others idled: on 2 cores the busiest
pool was busy 41 % of the wall (docs/operating.md, "Which path, when"), on a GPU machine the GPU would wait the
same way. So the first pooled step of a run hands the partitions of every other pooled analyzer
selected in the run to its pool at once (their inputs as stored, the same actors, the same
``process``) and leaves the ObjectRefs here; each of those steps, when its turn comes, takes its
refs and waits for them instead of sending again. All pools then work from the first analyzer
step on, each on its own queue.

Tables do not change: an actor computes a partition from its stored input and its preset alone,
whoever sent it. A sent-ahead partition that fails (a killed actor) fails the step that takes it,
which retries as before and sends afresh. Only inputs this run has already written (or that it
does not write) are sent, so no step ever takes a result of older frames or audio.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import dagster as dg

from video_assets.analyzers import ANALYZERS

_lock = threading.Lock()
_SENT: dict[tuple[str, str], dict[str, Any]] = {}  # (run id, pool name) -> {partition: ObjectRef}
_DONE: set[tuple[str, str]] = set()  # (run id, pool name) sent once already: never twice in a run


def take(run_id: str, pool_name: str) -> dict[str, Any]:
    """The refs sent ahead to this pool in this run, by partition (once: a retried step sends afresh)."""
    with _lock:
        _DONE.add((run_id, pool_name))
        return _SENT.pop((run_id, pool_name), {})


def _executing(context: dg.AssetExecutionContext) -> tuple[set[dg.AssetKey], set[str] | None]:
    run = context.run
    keys = set(run.asset_selection or context.job_def.asset_layer.selected_asset_keys)
    return keys, set(run.step_keys_to_execute) if run.step_keys_to_execute else None


def _written_here(context: dg.AssetExecutionContext, key: dg.AssetKey, partitions: list[str]) -> bool:
    records = context.instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, asset_partitions=partitions),
                                                      limit=len(partitions)).records
    return {r.partition_key for r in records if r.run_id == context.run_id} >= set(partitions)


def send(context: dg.AssetExecutionContext, pools: Any, own_step: str, version_of: Callable[[Any, str, str], str],
         resources: dict[str, Any]) -> dict[str, int]:
    """Send the run's other pooled analyzer steps their partitions; {pool name: partitions sent}.

    ``version_of(analyzer, preset, model_id)``: the asset's code version (it names the pool);
    ``resources``: the code location's model resources by key. A peer without one, whose input is not yet written by this run, or
    whose pool cannot be reached is left to its own step: sending ahead only saves time. Only where
    the run's steps share its process (the in-process executor, the default): the refs live there."""
    if context.job_def.executor_def.name != "in_process":  # steps in processes of their own would never take the refs
        return {}
    keys, steps = _executing(context)
    partitions = list(context.partition_keys)
    out: dict[str, int] = {}
    ready: dict[str, bool] = {}
    for analyzer in ANALYZERS:
        resource = resources.get(analyzer.model) if analyzer.model else None
        if resource is None:
            continue
        for preset in analyzer.presets:
            step = analyzer.main_key(preset)
            if step == own_step or dg.AssetKey(step) not in keys or (steps is not None and step not in steps):
                continue
            source = dg.AssetKey(analyzer.input)
            if source in keys and (steps is None or analyzer.input in steps):
                if analyzer.input not in ready:
                    ready[analyzer.input] = _written_here(context, source, partitions)
                if not ready[analyzer.input]:
                    continue
            try:
                handle = pools.handle(analyzer, preset, version_of(analyzer, preset, resource.model_id(preset)), resource)
                with _lock:
                    if (context.run_id, handle.name) in _DONE:
                        continue
                    _DONE.add((context.run_id, handle.name))
                io = context.resources.io_manager
                refs = {key: handle.submit(io.load_partition(source, key), key, actor=i) for i, key in enumerate(partitions)}
            except Exception as exc:  # noqa: BLE001 - its own step sends, and reports, whatever this hit
                context.log.warning(f"{step}: not sent ahead ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}); "
                                    "its step sends its videos itself")
                continue
            with _lock:
                _SENT[(context.run_id, handle.name)] = refs
            out[handle.name] = len(refs)
    if out:
        context.log.info(f"sent ahead to the run's other pools (videos each): {out}")
    return out
