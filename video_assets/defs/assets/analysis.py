"""One factory turns an analyzer (``video_assets.analyzers.contract.Analyzer``) into its Dagster
definitions: the optimized asset, its ``*_baseline`` twin (each a multi-asset with one output per
table, main table first) and its checks, as one ``dg.Definitions`` merged in ``definitions.py``.

The wrapper stays thin: load the preset's models through the analyzer's resource (once per process),
or, on a cluster, hand each partition to the preset's warm Ray actor pool (``resources/ray_pool.py``);
call the analyzer's ``process`` for each partition on its own; attach what a person wants to see in
the UI: rows, seconds, realtime factor, model-load seconds (apart), device, weights, a preview.
"""

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pandas as pd

from resources.model_cache import MissingWeightsError
from resources.models import LoadedModels, no_model
from video_assets.analyzers import Analyzer
from video_assets.cluster.executor import ray_address
from video_assets.defs import send_ahead
from video_assets.defs.checks import build_checks, result_check_specs, result_checks_in_step, speed_check_spec, speed_key, speed_results
from video_assets.media.frames import duration_of
from video_assets.media.images import image_markdown
from video_assets.defs.partitions import videos_partitions_def
from video_assets.runtime import settings
from video_assets.runtime.memory import releases_memory
from video_assets.runtime.resilience import OomFallback

ANALYSIS_GROUP = "analysis"
BASELINE_GROUP = "baselines"
GPU_POOL = "gpu"
# For transient failures (a lost worker, a hub timeout): one more try after a minute. Out-of-memory is handled
# inside the step (half batch, then CPU); bad input and missing weights raise a Failure with allow_retries=False,
# so they fail fast with their message. VIDEO_ASSETS_RETRY_DELAY_S shortens the wait where a lost worker is expected.
ANALYZER_RETRY_POLICY = dg.RetryPolicy(max_retries=1, delay=float(settings.env("VIDEO_ASSETS_RETRY_DELAY_S", "60")),
                                       backoff=dg.Backoff.EXPONENTIAL)
POOLS_RESOURCE = "model_pools"
# On the Ray executor a model step runs as a Ray job that asks for no GPU itself: the warm pool's
# actors hold the GPUs (resources/ray_pool.py).
RAY_STEP_TAGS = {"dagster-ray/config": json.dumps({"num_gpus": 0, "num_cpus": 0})}


def markdown_preview(df: pd.DataFrame, rows: int = 10, width: int = 80) -> str:
    if df.empty:
        return "_(no rows)_"

    def cell(v: Any) -> str:
        text = f"{v:.3f}" if isinstance(v, float) else str(v)
        text = text.replace("|", "\\|").replace("\n", " ")
        return text[:width] + "…" if len(text) > width else text

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    for row in df.head(rows).itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    if len(df) > rows:
        lines.append(f"\n_{len(df) - rows} more rows_")
    return "\n".join(lines)


def table_schema(schema) -> dg.TableSchema:
    """A pyarrow schema (with its ``doc`` per column) as the UI's "Columns" tab shows it."""
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type), description=(f.metadata or {}).get(b"doc", b"").decode())
                                   for f in schema])


def code_version(analyzer: Analyzer, preset: str, model_id: str) -> str:
    """Changes when the preset, the model or an output schema changes, so stored tables go stale."""
    payload = {
        "config": analyzer.presets[preset].as_dict(),
        "model": model_id,
        "schemas": [str(analyzer.schemas[t]) for t in analyzer.tables],
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{analyzer.name}-{preset}-{digest}"


def gpu_pool(analyzer: Analyzer, preset: str) -> str | None:
    """The Dagster pool an analyzer step claims a slot of before it runs.

    On this machine (no Ray) every model step loads its model onto the one GPU: one ``gpu`` pool
    for all of them, so two runs never load models onto it together. On a Ray cluster the models
    already sit in each preset's warm actors, with their own GPU share: a step of one analyzer
    never needs another's slot, so each preset has its own pool, ``gpu/<asset>``, whose limit is its
    actors (``deploy/dagster.yaml``). Steps of different analyzers then run at once, from different
    runs, and every pool has a step feeding it while the runs move along; with one shared pool,
    a pool waited whenever a step of another analyzer held the slot (docs/operating.md, "Which path, when").
    """
    if not analyzer.uses_gpu:
        return None
    return f"{GPU_POOL}/{analyzer.main_key(preset)}" if ray_address() else GPU_POOL


def _metadata_value(key: str, value: Any, partition: str) -> Any:
    if isinstance(value, bytes):
        return dg.MetadataValue.md(image_markdown(value, f"{partition} {key}"))
    return value


def build_analyzer_assets(analyzer: Analyzer, preset: str, model_id: str, peers: dict[str, Any] | None = None) -> dg.AssetsDefinition:
    """``peers``: the code location's model resources by key (they name the other analyzers' pools),
    so that on the pools the run's first model step can send the others their videos (send_ahead.py)."""
    config, tables = analyzer.presets[preset], analyzer.tables
    # The speed check runs in this step, on this step's timings (no step, process or lookup of its own); result checks on its tables.
    check_specs = [speed_check_spec(analyzer), *result_check_specs(analyzer)] if preset == "optimized" else []
    outs = {
        table: dg.AssetOut(
            key=analyzer.asset_key(table, preset),
            description=(analyzer.description if i == 0 else f"{analyzer.name}: {table} table")
            + ("" if preset == "optimized" else " (baseline preset: the original, slow configuration)"),
            metadata={"schema": table_schema(analyzer.schemas[table])},
            code_version=code_version(analyzer, preset, model_id),
            kinds=set(analyzer.kinds),
        )
        for i, table in enumerate(tables)
    }

    @dg.multi_asset(
        name=analyzer.main_key(preset),
        outs=outs,
        ins={"inputs": dg.AssetIn(key=analyzer.input)},
        partitions_def=videos_partitions_def,
        group_name=ANALYSIS_GROUP if preset == "optimized" else BASELINE_GROUP,
        required_resource_keys={POOLS_RESOURCE} | ({analyzer.model} if analyzer.model else set()) | ({"check_settings"} if check_specs else set())
        | ({"io_manager"} if peers else set()),
        check_specs=check_specs,
        op_tags=RAY_STEP_TAGS,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=settings.videos_per_run()),
        pool=gpu_pool(analyzer, preset),
        retry_policy=ANALYZER_RETRY_POLICY,
    )
    @releases_memory
    def _analyzer(context: dg.AssetExecutionContext, inputs):
        keys = list(context.partition_keys)
        by_key = inputs if len(keys) > 1 else {keys[0]: inputs}
        resource = getattr(context.resources, analyzer.model) if analyzer.model else None
        pools = getattr(context.resources, POOLS_RESOURCE)
        pooled = pools.enabled and resource is not None  # an analyzer without a model runs in its step
        if pooled:
            runner = _PoolRunner(_failing_fast(lambda: pools.pool(analyzer, preset, code_version(analyzer, preset, model_id), resource)))
            runner.sent = send_ahead.take(context.run_id, runner.pool.name)
            sent_to = send_ahead.send(context, pools, analyzer.main_key(preset), code_version, peers) if peers and pools.send_ahead else {}
            loaded = runner.loaded
        else:
            loaded = _failing_fast(lambda: resource.load(preset)) if resource is not None else no_model()

            def load_cpu() -> tuple[Any, str]:
                cpu = _failing_fast(lambda: resource.model_copy(update={"device": "cpu"}).load(preset)) if resource is not None else no_model()
                return cpu.model, cpu.device

            # Each partition is analyzed on its own with the step's one loaded model: a table depends
            # on its video, preset and model alone, never on which other videos share the step.
            runner = _StepRunner(OomFallback(analyzer.process, config, tuple(analyzer.batch_fields), loaded.model, loaded.device, load_cpu))
        where = f"pool {runner.pool.name} ({len(runner.pool.actors)} actor(s), {runner.pool.gpus} GPU each)" if pooled else (
            'loaded in %.2f s' % loaded.load_seconds if loaded.loaded_now else 'none to load' if resource is None
            else 'reused, already loaded in this process')
        context.log.info(f"{analyzer.name}[{preset}]: model {loaded.model_id} on {loaded.device} ({where}), {len(keys)} partition(s)")
        values: dict[str, dict[str, pd.DataFrame]] = {t: {} for t in tables}
        per_partition: dict[str, dict[str, Any]] = {}
        extra: dict[str, Any] = {}
        logged = 0
        for key, result, seconds, cpu_s in runner.each(keys, by_key):
            for event in runner.events[logged:]:
                context.log.warning(event)
            logged = len(runner.events)
            vid_s = duration_of(by_key[key])
            for t in tables:
                values[t][key] = result.tables[t]
            per_partition[key] = {
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu_s, 3),  # of the process that ran it, all its threads
                "video_s": round(vid_s, 3),
                "realtime_factor": round(seconds / vid_s, 4) if vid_s > 0 else None,
                "rows": len(result.tables[tables[0]]),
                **{k: v for k, v in result.stats.items() if k != "seconds"},
            }
            if len(keys) == 1:
                extra = {name: dg.MetadataValue.md(image_markdown(png, f"{key} {name}")) for name, png in result.images.items()}
                extra |= {k: _metadata_value(k, v, key) for k, v in analyzer.metadata(result).items()}
            for note in result.notes:
                context.log.info(f"{key}: {note}")

        first = per_partition[keys[0]]
        common = {
            "preset": preset,
            "model": loaded.model_id,
            "model_detail": loaded.detail,
            "device": runner.device,
            "profile": "gpu" if runner.device == "cuda" else "cpu",
            "model_load_seconds": round(loaded.load_seconds, 3),
            "model_loaded_in_this_step": loaded.loaded_now,
            "partitions_in_step": len(keys),
            "per_partition": dg.MetadataValue.json(per_partition),
        }
        if loaded.weights:
            common["weights"] = loaded.weights
        if len(keys) == 1:
            common |= {k: v for k, v in first.items() if v is not None}
        else:
            total_s = sum(p["seconds"] for p in per_partition.values())
            total_v = sum(p["video_s"] for p in per_partition.values())
            common |= {"seconds": round(total_s, 3), "realtime_factor": round(total_s / total_v, 4) if total_v else 0.0}
        if pooled:
            common["model_pool"] = runner.pool.name
            common["model_pool_actor_pid"] = runner.pool.info.get("pid")
            # Busy seconds of each actor since it started, over all steps and runs it served.
            common["model_pool_actors"] = dg.MetadataValue.json(runner.pool.stats())
            # Partitions an earlier step of this run had already sent to this pool; pools this step sent to.
            common["partitions_sent_ahead"] = len(runner.sent)
            if sent_to:
                common["sent_ahead_to"] = dg.MetadataValue.json(sent_to)
        if runner.events:
            common["out_of_memory_fallbacks"] = dg.MetadataValue.json(runner.events)
        if loaded.weights and loaded.weights != "real":
            common["WARNING"] = f"weights: {loaded.weights} - outputs are plumbing only, not results"
        for i, t in enumerate(tables):
            value = values[t] if len(keys) > 1 else values[t][keys[0]]
            md = dict(common) if i == 0 else {"preset": preset} | ({"weights": loaded.weights} if loaded.weights else {})
            if len(keys) == 1:
                df = values[t][keys[0]]
                md["rows"] = len(df)
                md["preview"] = dg.MetadataValue.md(markdown_preview(df))
            if i == 0:
                md |= extra
            yield dg.Output(value, output_name=t, metadata=md)
        if check_specs and speed_key(analyzer) in context.selected_asset_check_keys:
            yield from speed_results(analyzer, {**common, "per_partition": per_partition}, keys, context.resources.check_settings)
        yield from result_checks_in_step(analyzer, context.selected_asset_check_keys, values, keys)  # none on a baseline twin

    return _analyzer


def _failing_fast(load: Any) -> Any:
    """Missing weights are not transient: fail at once, naming the setting (no retry), whether the
    step loads the models itself or a pool's actor does."""
    try:
        return load()
    except MissingWeightsError as exc:
        raise dg.Failure(description=str(exc), metadata={"cause": "missing model weights"}, allow_retries=False) from exc


@dataclass
class _StepRunner:
    """The models in this process: each partition in turn, timed around the analyzer's ``process``."""

    fallback: OomFallback

    @property
    def events(self) -> list[str]:
        return self.fallback.events

    @property
    def device(self) -> str:
        return self.fallback.device

    def each(self, keys: list[str], by_key: dict[str, Any]):
        for key in keys:
            t0, c0 = time.perf_counter(), time.process_time()
            result = self.fallback(by_key[key], key)
            yield key, result, time.perf_counter() - t0, time.process_time() - c0


@dataclass
class _PoolRunner:
    """The step as a thin client of a warm pool: every partition is handed to the pool at once (bounded
    in flight, least busy actor first, ``PoolHandle.map``); the seconds are the actor's own work on the
    partition, so speed checks judge the model, not the queue. The actor runs the OOM fallback itself."""

    pool: Any
    events: list[str] = field(default_factory=list)
    device: str = ""
    sent: dict[str, Any] = field(default_factory=dict)  # refs an earlier step of the run sent ahead, by partition

    def __post_init__(self) -> None:
        info = self.pool.info
        self.device = info["device"]
        self.loaded = LoadedModels(model=None, model_id=info["model"], detail=info["detail"], device=info["device"],
                                   weights=info["weights"], load_seconds=0.0, loaded_now=False)

    def each(self, keys: list[str], by_key: dict[str, Any]):
        for key, (result, events, device, seconds, cpu_s) in zip(keys, self.pool.map([(by_key[k], k) for k in keys], self.sent)):
            self.events.extend(events)
            self.device = device
            yield key, result, seconds, cpu_s


def analyzer_definitions(analyzer: Analyzer, resource: Any = None, peers: dict[str, Any] | None = None) -> dg.Definitions:
    """The optimized asset, its baseline twin and its checks. ``resource``: the model resource the
    code location binds under ``analyzer.model`` (its model ids are part of the code versions);
    ``peers``: the other model resources it binds (``build_analyzer_assets``)."""
    if analyzer.model and resource is None:
        raise ValueError(f"analyzer {analyzer.name} needs the model resource {analyzer.model!r}")
    ids = {p: (resource.model_id(p) if resource is not None else "none") for p in ("optimized", "baseline")}
    return dg.Definitions(
        assets=[build_analyzer_assets(analyzer, p, ids[p], peers if analyzer.model else None) for p in ("optimized", "baseline")],
        asset_checks=build_checks(analyzer),
    )
