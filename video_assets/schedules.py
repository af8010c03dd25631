"""Schedules: a nightly backfill of what is missing or stale, and the weekly canary parity run.

Stale comes from Dagster's own versioning records: an asset partition is redone when it has never
been materialized, when its latest materialization was made under another code version (each
analyzer's code version hashes its preset, model id and output schemas), or when an input's data
version moved on since (a changed video file is a new ``video_file`` data version, hence new
frames, hence stale analyzers). Everything downstream of a redone asset partition is redone too.
The backfill honours each asset's BackfillPolicy, so analyzer steps take up to
``MAX_PARTITIONS_PER_RUN`` videos each and load their models once per run, not once per video.
"""

import dagster as dg

from video_assets import settings
from video_assets.canary import canary_partitions
from video_assets.jobs import canary_parity_job, corpus_selection
from video_assets.partitions import VIDEOS_PARTITION_NAME

CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"


def _latest(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str, source: bool = False):
    """The latest materialization (or, for a source like video_file, observation) record."""
    fetch = instance.fetch_observations if source else instance.fetch_materializations
    records = fetch(dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
    return records[0] if records else None


def _version(record) -> str | None:
    event = record.asset_observation if record.asset_observation is not None else record.asset_materialization
    return (event.tags or {}).get(DATA_VERSION_TAG) if event is not None else None


def _latest_before(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str, storage_id: int):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition], before_storage_id=storage_id), limit=1
    ).records
    return records[0] if records else None


def stale_asset_partitions(instance: dg.DagsterInstance, asset_graph, keys: list[dg.AssetKey], partitions: list[str]) -> set[tuple[dg.AssetKey, str]]:
    """(asset, partition) pairs among ``keys`` x ``partitions`` that are missing or stale."""
    order = [k for k in asset_graph.toposorted_asset_keys if k in set(keys)]
    stale: set[tuple[dg.AssetKey, str]] = set()
    for partition in partitions:
        for key in order:
            node = asset_graph.get(key)
            record = _latest(instance, key, partition)
            tags = (record.asset_materialization.tags or {}) if record else {}
            reason = None
            if record is None:
                reason = "missing"
            elif node.code_version and tags.get(CODE_VERSION_TAG) != node.code_version:
                reason = "code version"
            else:
                for parent in node.parent_keys:
                    if (parent, partition) in stale:
                        reason = "upstream redone"
                        break
                    source = not asset_graph.get(parent).is_materializable
                    latest_parent = _latest(instance, parent, partition, source)
                    if latest_parent is None:
                        continue
                    if source:
                        # video_frames and audio_track take the file's hash as their data version,
                        # the same value the sensor observes for video_file.
                        if tags.get(DATA_VERSION_TAG) != _version(latest_parent):
                            reason = "file changed"
                    else:
                        # The input as it was when this partition was made, against the input now.
                        # (Dagster's own input pointer names one event per step, which for a step
                        # over several partitions is another partition's event.)
                        used = _latest_before(instance, parent, partition, record.storage_id)
                        if used is None or _version(used) != _version(latest_parent):
                            reason = "input changed"
                    if reason:
                        break
            if reason:
                stale.add((key, partition))
    return stale


def backfill_request(instance: dg.DagsterInstance, asset_graph) -> dg.RunRequest | dg.SkipReason:
    """One backfill of every missing or stale (asset, video) of the corpus job's assets."""
    from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset  # no public constructor yet
    from dagster._core.definitions.events import AssetKeyPartitionKey

    keys = list(corpus_selection.resolve(asset_graph))
    partitions = instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME)
    stale = stale_asset_partitions(instance, asset_graph, keys, partitions)
    if not stale:
        return dg.SkipReason(f"all {len(partitions)} partitions are up to date")
    subset = AssetGraphSubset.from_asset_partition_set({AssetKeyPartitionKey(k, p) for k, p in stale}, asset_graph)
    videos = sorted({p for _, p in stale})
    return dg.RunRequest.for_asset_graph_subset(
        subset, tags={"video_assets/trigger": "corpus_backfill_schedule", "video_assets/videos": str(len(videos))}
    )


@dg.schedule(
    cron_schedule=settings.env("VIDEO_ASSETS_BACKFILL_CRON", "0 2 * * *"),
    target=corpus_selection,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Nightly: backfill every video partition that is missing or stale (VIDEO_ASSETS_BACKFILL_CRON).",
)
def corpus_backfill_schedule(context: dg.ScheduleEvaluationContext):
    request = backfill_request(context.instance, context.repository_def.asset_graph)
    if isinstance(request, dg.RunRequest):
        context.log.info(f"backfilling {request.tags.get('video_assets/videos')} video(s)")
    return request


@dg.schedule(
    cron_schedule=settings.env("VIDEO_ASSETS_CANARY_CRON", "0 4 * * 0"),
    job=canary_parity_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Weekly: baseline twins and parity checks on the canary videos (VIDEO_ASSETS_CANARY_CRON).",
)
def canary_parity_schedule(context: dg.ScheduleEvaluationContext):
    partitions = canary_partitions(context.instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME))
    if not partitions:
        return dg.SkipReason("no canary partitions")
    week = context.scheduled_execution_time.strftime("%G-W%V") if context.scheduled_execution_time else "manual"
    return [dg.RunRequest(run_key=f"canary:{key}:{week}", partition_key=key) for key in partitions]
