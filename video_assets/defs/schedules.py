"""Schedules: a nightly backfill of what is missing or stale, and the weekly canary parity run.

Stale comes from Dagster's own versioning records: an asset partition is redone when it has never
been materialized, when its latest materialization was made under another code version (each
analyzer's code version hashes its preset, model id and output schemas), or when an input's data
version moved on since (a changed video file is a new ``video_file`` data version, hence new
frames, hence stale analyzers). Everything downstream of a redone asset partition is redone too.
The backfill honours each asset's BackfillPolicy: runs of up to ``VIDEO_ASSETS_VIDEOS_PER_RUN``
videos, decoding and analyzers alike, each loading its models once (see ``backfill_requests`` for why
the two are requested apart); a run that failed on a bad file is redone one video per run by the
corpus sensor (``batching.split_failed_batches``).
"""

import dagster as dg

from video_assets.runtime import settings
from video_assets.defs.canary import canary_partitions
from video_assets.defs.history import CODE_VERSION_TAG, DATA_VERSION_TAG, latest_record
from video_assets.defs.jobs import canary_parity_job, corpus_selection
from video_assets.defs.partitions import VIDEOS_PARTITION_NAME

def _version(record) -> str | None:
    event = record.asset_observation if record.asset_observation is not None else record.asset_materialization
    return (event.tags or {}).get(DATA_VERSION_TAG) if event is not None else None


def _file_version(record) -> str | None:
    """The file hash a decoding record was made from: its ``sha256`` metadata (per video, also in a
    run over several videos), else its data version tag."""
    event = record.asset_materialization
    sha = event.metadata.get("sha256") if event is not None else None
    return str(sha.value)[:16] if sha is not None else _version(record)


def stale_asset_partitions(instance: dg.DagsterInstance, asset_graph, keys: list[dg.AssetKey], partitions: list[str]) -> set[tuple[dg.AssetKey, str]]:
    """(asset, partition) pairs among ``keys`` x ``partitions`` that are missing or stale."""
    order = [k for k in asset_graph.toposorted_asset_keys if k in set(keys)]
    stale: set[tuple[dg.AssetKey, str]] = set()
    for partition in partitions:
        for key in order:
            node = asset_graph.get(key)
            record = latest_record(instance, key, partition)
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
                    latest_parent = latest_record(instance, parent, partition, source=source)
                    if latest_parent is None:
                        continue
                    if source:
                        # video_frames and audio_track take the file's hash as their data version,
                        # the same value the sensor observes for video_file.
                        if _file_version(record) != _version(latest_parent):
                            reason = "file changed"
                    else:
                        # The input as it was when this partition was made, against the input now.
                        # (Dagster's own input pointer names one event per step, which for a step
                        # over several partitions is another partition's event.)
                        used = latest_record(instance, parent, partition, before_storage_id=record.storage_id)
                        if used is None or _version(used) != _version(latest_parent):
                            reason = "input changed"
                    if reason:
                        break
            if reason:
                stale.add((key, partition))
    return stale


INGEST_KEYS = frozenset({dg.AssetKey("video_frames"), dg.AssetKey("audio_track")})


def backfill_requests(instance: dg.DagsterInstance, asset_graph, selection: dg.AssetSelection = corpus_selection) -> list[dg.RunRequest]:
    """The backfills for every missing or stale (asset, video) of ``selection``, in two parts.

    Decoding backfills in runs of ``VIDEO_ASSETS_VIDEOS_PER_RUN`` videos (a batch that fails on a
    bad file is redone one video per run by the corpus sensor). Analyzers
    backfill only videos whose decoding is already up to date, so the backfill daemon can hand
    them out in runs of that size, each loading its models once (one backfill of decoding
    and analyzers together launches analyzer runs as decoding trickles in, with fewer videos each:
    docs/operating.md, "Nightly backfill").
    Videos whose decoding was stale get their analyzers at the next tick."""
    from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset  # no public constructor yet
    from dagster._core.definitions.events import AssetKeyPartitionKey

    keys = list(selection.resolve(asset_graph))
    partitions = instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME)
    stale = stale_asset_partitions(instance, asset_graph, keys, partitions)
    decoding = {(k, p) for k, p in stale if k in INGEST_KEYS}
    waiting = {p for _, p in decoding}
    analysis = {(k, p) for k, p in stale if k not in INGEST_KEYS and p not in waiting}
    requests = []
    for part, pairs in (("decoding", decoding), ("analysis", analysis)):
        if not pairs:
            continue
        subset = AssetGraphSubset.from_asset_partition_set({AssetKeyPartitionKey(k, p) for k, p in pairs}, asset_graph)
        videos = sorted({p for _, p in pairs})
        requests.append(dg.RunRequest.for_asset_graph_subset(
            subset, tags={"video_assets/trigger": "corpus_backfill_schedule", "video_assets/part": part, "video_assets/videos": str(len(videos))}
        ))
    return requests


@dg.schedule(
    cron_schedule=settings.env("VIDEO_ASSETS_BACKFILL_CRON", "0 2 * * *"),
    target=corpus_selection,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Nightly: backfill every video partition that is missing or stale (VIDEO_ASSETS_BACKFILL_CRON).",
)
def corpus_backfill_schedule(context: dg.ScheduleEvaluationContext):
    requests = backfill_requests(context.instance, context.repository_def.asset_graph)
    if not requests:
        return dg.SkipReason(f"all {len(context.instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME))} partitions are up to date")
    for request in requests:
        context.log.info(f"backfilling {request.tags['video_assets/part']} of {request.tags['video_assets/videos']} video(s)")
    return requests


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
