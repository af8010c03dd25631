"""Many videos per run: the corpus sensor and the nightly backfill hand out runs of up to
``VIDEO_ASSETS_VIDEOS_PER_RUN`` videos, and a batch that failed on a bad file is redone one video
per run, so the bad file fails alone and the others end with their tables; a single-video run that
failed part-way gets a run of the insights over the tables it wrote.

A run covers a range of the ``videos`` partitions (Dagster's ``asset_partition_range_*`` tags): every
step of it takes all the range's videos, loads its models once and analyzes each video on its own
(a table depends on its video, preset and model alone). A range is contiguous in the partitions'
order, and only videos that need the run are in it: a run never redoes a video nobody asked for.
"""

from __future__ import annotations

import hashlib
import time
from typing import Iterable, Sequence

import dagster as dg

from video_assets.defs.partitions import VIDEOS_PARTITION_NAME

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
BATCH_TAG = "video_assets/batch"  # "<n> videos" on every run of more than one video the project requests
SPLIT_OF_TAG = "video_assets/split_of"  # the failed batch run a single-video run redoes
# Failed runs looked at for splitting: the ones that ended within this window (a daemon that was down
# longer leaves older batches to the nightly backfill).
SPLIT_WINDOW_S = 24 * 3600


def ranges(wanted: Iterable[str], order: Sequence[str], size: int) -> list[list[str]]:
    """``wanted`` cut into runs: contiguous in ``order``, at most ``size`` each, in that order."""
    wanted = set(wanted)
    out: list[list[str]] = []
    current: list[str] = []
    for key in order:
        if key in wanted and len(current) < size:
            current.append(key)
            continue
        if current:
            out.append(current)
        current = [key] if key in wanted else []
    if current:
        out.append(current)
    return out


def batch_tags(keys: Sequence[str]) -> dict[str, str]:
    """The tags that make a run cover ``keys`` (a range): one partition key for a single video."""
    if len(keys) == 1:
        return {}
    return {RANGE_START: keys[0], RANGE_END: keys[-1], BATCH_TAG: f"{len(keys)} videos"}


def run_request(keys: Sequence[str], run_key: str | None, tags: dict[str, str] | None = None, **kwargs) -> dg.RunRequest:
    if len(keys) == 1:
        return dg.RunRequest(run_key=run_key, partition_key=keys[0], tags=tags or {}, **kwargs)
    return dg.RunRequest(run_key=run_key, tags={**(tags or {}), **batch_tags(keys)}, **kwargs)


def batch_key(prefix: str, items: Iterable[str]) -> str:
    """A run key naming exactly these items (video:hash pairs): the same bytes never run twice."""
    return f"{prefix}:" + hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest()[:24]


def run_keys_of(instance: dg.DagsterInstance, run: dg.DagsterRun, order: Sequence[str] | None = None) -> list[str]:
    """The videos a run covers (one partition, or its range in the partitions' order; ``order``: that
    list when the caller has it already, it is the whole corpus)."""
    if "dagster/partition" in run.tags:
        return [run.tags["dagster/partition"]]
    start, end = run.tags.get(RANGE_START), run.tags.get(RANGE_END)
    if start is None or end is None:
        return []
    order = list(instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME) if order is None else order)
    if start not in order or end not in order:
        return []
    return list(order[order.index(start): order.index(end) + 1])


def split_failed_batches(instance: dg.DagsterInstance, jobs: Sequence[str], now: float | None = None) -> list[dg.RunRequest]:
    """One run per video of every failed batch run of ``jobs`` (the sensor's or a backfill's):
    the bad video fails again, alone, with its own message; the others get their tables.

    Only runs that failed on a step (a bad file, a model error) are split; a run whose worker died is
    retried whole by Dagster's run retries. The run key ``split:<run id>:<video>`` makes each split
    run happen once, whatever the number of ticks that see the failed batch."""
    now = time.time() if now is None else now
    failed = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE], updated_after=_datetime(now - SPLIT_WINDOW_S)),
                               limit=1000)
    requests = []
    order: list[str] | None = None  # read once per tick, and only when a failed batch needs it
    for run in failed:
        if run.job_name not in jobs or SPLIT_OF_TAG in run.tags:
            continue
        if run.tags.get("dagster/failure_reason", "STEP_FAILURE") != "STEP_FAILURE":
            continue
        if order is None and RANGE_START in run.tags:
            order = list(instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME))
        keys = run_keys_of(instance, run, order)
        if len(keys) < 2:
            continue
        selection = dict(asset_selection=list(run.asset_selection) if run.asset_selection else None,
                         asset_check_keys=list(run.asset_check_selection) if run.asset_check_selection is not None else None)
        for key in keys:
            requests.append(dg.RunRequest(run_key=f"split:{run.run_id}:{key}", partition_key=key,
                                          tags={SPLIT_OF_TAG: run.run_id}, **selection))
    return requests


PARTIAL_OF_TAG = "video_assets/partial_of"  # the run that failed part-way whose insights a run makes
INSIGHTS = ("video_profile", "corpus_index")


def failed_part_way(written: set[str]) -> bool:
    """A failed run wrote analyzer tables (``written``: asset keys it materialized) but no insights."""
    return bool(written - {"video_frames", "audio_track"}) and not written & set(INSIGHTS)


def insights_of_partial_runs(instance: dg.DagsterInstance, jobs: Sequence[str], now: float | None = None) -> list[dg.RunRequest]:
    """For every single-video run of ``jobs`` that failed part-way (a step failed, and tables of
    other steps were written: its video stream undecodable, its audio fine), one run of the
    insights (``video_profile``, ``corpus_index``) over what it has: a partition that failed
    part-way gets its profile row (naming what failed) and its spans in the index, as a whole one
    does. Dagster skips them in the failed run itself, since a step they follow failed. The run key
    ``partial:<run id>`` makes each happen once."""
    now = time.time() if now is None else now
    failed = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE], updated_after=_datetime(now - SPLIT_WINDOW_S)),
                               limit=1000)
    requests = []
    for run in failed:
        key = run.tags.get("dagster/partition")
        if run.job_name not in jobs or key is None or run.tags.get("dagster/failure_reason", "STEP_FAILURE") != "STEP_FAILURE":
            continue
        if run.asset_selection is not None and not {dg.AssetKey(name) for name in INSIGHTS} <= set(run.asset_selection):
            continue
        written = {e.dagster_event.asset_key.to_user_string() for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)}
        if failed_part_way(written):
            requests.append(dg.RunRequest(run_key=f"partial:{run.run_id}", partition_key=key, tags={PARTIAL_OF_TAG: run.run_id},
                                          asset_selection=[dg.AssetKey(name) for name in INSIGHTS]))
    return requests


def _datetime(ts: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, tz=timezone.utc)
