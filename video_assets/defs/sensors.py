"""The corpus sensor: new and changed videos become partitions and runs.

Each tick lists the corpus root. A file is taken once it is stable (see ``corpus.is_stable``); its
sha256 is then its data version, recorded as an observation of ``video_file``, so a changed file
makes everything downstream stale in the UI and the run requested for it redoes only that video.
The cursor remembers size, mtime and hash per key, so unchanged files are never re-hashed.
The videos a tick finds ready go out in runs of up to ``VIDEO_ASSETS_VIDEOS_PER_RUN`` (see
``batching``), of the whole corpus_job or of the analyzers ``VIDEO_ASSETS_SENSOR_ANALYZERS`` names
(``jobs.sensor_run_selection``); a file that failed the completeness probe past its grace time
runs alone, and a batch that failed on a bad file is redone one video per run. With no
cursor entry (a new sensor, a reset cursor, an instance the demo or the CLI filled), a file whose
hash equals the instance's last observed data version and whose frames are materialized is not run
again; what is missing downstream of it is the nightly backfill's job.
"""


import hashlib
import json
import time

import dagster as dg

from resources.corpus import VideoCorpus
from video_assets.defs.assets.ingest import video_file, video_frames
from video_assets.media.listing import Seen, content_hash, is_stable, quiet_since
from video_assets.media.container import MediaError, check_complete
from video_assets.defs import batching
from video_assets.defs.history import DATA_VERSION_TAG, latest_record
from video_assets.defs.jobs import CORPUS_JOB_NAME, FINGERPRINT_ASSETS, corpus_job, links_job, sensor_run_selection
from video_assets.defs.partitions import VIDEOS_PARTITION_NAME, videos_partitions_def
from video_assets.runtime import settings

BACKFILL_JOB_NAME = "__ASSET_JOB"  # the job of the nightly backfill's runs (an asset backfill)



def scan_corpus(context: dg.SensorEvaluationContext, corpus: VideoCorpus, now: float | None = None,
                videos_per_run: int | None = None) -> dg.SensorResult:
    """The sensor's body, callable directly in tests with ``build_sensor_context``."""
    now = time.time() if now is None else now
    per_run = videos_per_run or settings.videos_per_run()
    cursor: dict[str, dict] = json.loads(context.cursor) if context.cursor else {}
    order = list(context.instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME))
    existing = set(order)
    new_keys: list[str] = []
    ready: dict[str, str] = {}  # key -> sha256 of the bytes to run
    alone: set[str] = set()  # past the grace time but not whole: runs (and fails) on its own
    events: list[dg.AssetObservation] = []
    waiting: list[str] = []
    incomplete: list[str] = []
    for video in corpus.scan():
        prev = Seen(**cursor[video.key]) if video.key in cursor else None
        since = quiet_since(video, prev, now)
        if not is_stable(video, prev, now, corpus.settle_seconds):
            cursor[video.key] = {"size": video.size, "mtime": video.mtime, "sha256": prev.sha256 if prev else None, "since": since}
            waiting.append(video.rel_path)
            continue
        if prev and prev.sha256 and (prev.size, prev.mtime) == (video.size, video.mtime) and video.key in existing:
            continue  # unchanged since it was last hashed
        problem = incomplete_reason(video.url)
        if problem and now - since < corpus.incomplete_grace_seconds:
            # Settled but cut short: a pause longer than the settle time, most likely. No partition,
            # no run, no data version for these bytes; after the grace time it runs and fails clearly.
            cursor[video.key] = {"size": video.size, "mtime": video.mtime, "sha256": prev.sha256 if prev else None, "since": since}
            incomplete.append(f"{video.rel_path} ({problem})")
            continue
        sha = content_hash(video.url)
        cursor[video.key] = {"size": video.size, "mtime": video.mtime, "sha256": sha, "since": since}
        if prev and prev.sha256 == sha and video.key in existing:
            continue  # touched, same bytes
        if prev is None and video.key in existing and already_processed(context.instance, video.key, sha):
            continue
        if video.key not in existing:
            new_keys.append(video.key)
        ready[video.key] = sha
        if problem:
            alone.add(video.key)
        events.append(
            dg.AssetObservation(
                asset_key=video_file.key,
                partition=video.key,
                tags={DATA_VERSION_TAG: sha[:16]},
                metadata={"path": video.url, "size": video.size, "sha256": sha},
            )
        )
    # Whole files first, so that the ones that will run alone do not cut the ranges of the others.
    new_keys = [k for k in new_keys if k not in alone] + [k for k in new_keys if k in alone]
    runs = batch_runs(ready, alone, order + new_keys, per_run, sensor_run_selection(settings.sensor_analyzers()))
    runs += batching.split_failed_batches(context.instance, (CORPUS_JOB_NAME, BACKFILL_JOB_NAME), now)
    runs += batching.insights_of_partial_runs(context.instance, (CORPUS_JOB_NAME, BACKFILL_JOB_NAME), now)
    if waiting:
        context.log.info(f"waiting for {len(waiting)} file(s) still being written: {waiting[:5]}")
    if incomplete:
        context.log.warning(f"{len(incomplete)} settled file(s) fail the completeness probe, waiting for the rest of their bytes: {incomplete[:5]}")
    return dg.SensorResult(
        run_requests=runs,
        dynamic_partitions_requests=[videos_partitions_def.build_add_request(new_keys)] if new_keys else [],
        asset_events=events,
        cursor=json.dumps(cursor, sort_keys=True),
    )


def batch_runs(ready: dict[str, str], alone: set[str], order: list[str], per_run: int, selection: dict | None = None) -> list[dg.RunRequest]:
    """Runs for the ready videos: contiguous ranges of up to ``per_run``; a file that is not whole
    alone. The run key names each video's bytes, so the same bytes are never run twice.
    ``selection``: RunRequest arguments narrowing what the runs materialize (``sensor_run_selection``;
    a failed batch's split runs and a partial run's insights keep it)."""
    runs = []
    for keys in batching.ranges(set(ready) - alone, order, per_run) + [[k] for k in order if k in alone]:
        run_key = f"{keys[0]}:{ready[keys[0]][:16]}" if len(keys) == 1 else batching.batch_key("batch", (f"{k}:{ready[k]}" for k in keys))
        runs.append(batching.run_request(keys, run_key, **(selection or {})))
    return runs


def incomplete_reason(url: str) -> str | None:
    """The completeness probe (``decode.check_complete``): None, or why the file is not whole."""
    try:
        check_complete(url)
    except MediaError as exc:
        return exc.cause
    return None


def already_processed(instance: dg.DagsterInstance, key: str, sha: str) -> bool:
    """The instance saw these exact bytes for this partition and decoded them."""
    observed = latest_record(instance, video_file.key, key, source=True)
    if observed is None or observed.asset_observation is None:
        return False
    if observed.asset_observation.tags.get(DATA_VERSION_TAG) != sha[:16]:
        return False
    frames = latest_record(instance, video_frames.key, key)
    return frames is not None and frames.timestamp >= observed.timestamp


@dg.sensor(
    job=corpus_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition per new video in VIDEO_ASSETS_CORPUS and runs new and changed files.",
)
def corpus_sensor(context: dg.SensorEvaluationContext, corpus: VideoCorpus) -> dg.SensorResult | dg.SkipReason:
    try:
        return scan_corpus(context, corpus)
    except FileNotFoundError as exc:  # not created yet, or a typo in VIDEO_ASSETS_CORPUS: say so every tick
        return dg.SkipReason(str(exc))


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts failed speed/parity checks and failed runs to VIDEO_ASSETS_ALERT_WEBHOOK (off when unset).",
)
def alerts_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    return post_alerts(context)


def post_alerts(context: dg.SensorEvaluationContext, url: str | None = None, backoff_s: float = 0.5):
    """The alert sensor's body. The cursor is the last event posted (or skipped as unpostable); a
    failed post stops the tick there, so the same event is tried again next tick, never lost and
    never posted twice."""
    from video_assets.defs import alerts

    url = alerts.webhook_url() if url is None else url
    if not url:
        return dg.SkipReason("VIDEO_ASSETS_ALERT_WEBHOOK is not set")
    after = int(context.cursor or 0)
    posted = 0
    for storage_id, alert in alerts.alerts_since(context.instance, after):
        ok, error = alerts.post(url, alert.payload(), backoff_s=backoff_s)
        if not ok and not error.startswith("HTTP 4"):
            context.log.warning(f"alert for event {storage_id} not delivered ({error}); will retry next tick")
            break
        if not ok:
            context.log.error(f"alert for event {storage_id} rejected by the webhook ({error}); skipped")
        else:
            posted += 1
        after = storage_id
    context.update_cursor(str(after))
    return dg.SkipReason(f"posted {posted} alert(s)")


@dg.sensor(
    job=links_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs links_job (sounds, reuploads, video_links) when a fingerprint was materialized or the corpus' videos changed.",
)
def links_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """One run per change, whatever the number of videos it brought: the run reads every
    fingerprint materialized since the last one (defs/assets/links.py), so a backfill of 100k
    videos is linked by a run every 5 minutes at most, each taking what arrived, not one run per
    video; never a second while one is queued or running (the next tick takes what it left)."""
    busy = context.instance.get_runs(filters=dg.RunsFilter(job_name=links_job.name, statuses=[
        dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]), limit=1)
    if busy:
        return dg.SkipReason(f"links_job run {busy[0].run_id} is not done yet")
    newest = 0
    for asset in FINGERPRINT_ASSETS:
        records = context.instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
        newest = max(newest, records[0].storage_id if records else 0)
    videos = sorted(context.instance.get_dynamic_partitions(VIDEOS_PARTITION_NAME))
    key = f"{newest}-{len(videos)}-{hashlib.sha1('|'.join(videos).encode()).hexdigest()[:12]}"
    if newest == 0 or key == context.cursor:
        return dg.SkipReason("no fingerprint and no video changed since the last links run")
    context.update_cursor(key)
    return dg.RunRequest(run_key=key)
