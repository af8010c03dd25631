"""What the instance remembers, read one way: the latest record or metadata of an asset (per
partition), and the latest status of every check. Checks, schedules, the sensor, the report, the
demo and the progress bars all ask here."""

from __future__ import annotations

from typing import Any

import dagster as dg

CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"


def latest_record(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None = None, *,
                  source: bool = False, before_storage_id: int | None = None):
    """The latest materialization record (or, for a source such as video_file, observation), or None."""
    fetch = instance.fetch_observations if source else instance.fetch_materializations
    if partition is None and before_storage_id is None:
        records = fetch(key, limit=1).records
    else:
        records = fetch(dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition is not None else None,
                                              before_storage_id=before_storage_id), limit=1).records
    return records[0] if records else None


def latest_metadata(instance: dg.DagsterInstance, key: dg.AssetKey | str, partition: str | None = None) -> dict[str, Any] | None:
    """Plain values of the latest materialization's metadata, or None when there is none."""
    record = latest_record(instance, dg.AssetKey(key) if isinstance(key, str) else key, partition)
    if record is None or record.asset_materialization is None:
        return None
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


def latest_check_status(instance: dg.DagsterInstance, limit: int = 10_000) -> dict[tuple[str, str], str]:
    """(check name, partition) -> 'pass' | 'warn' | 'error', from the latest evaluation of each."""
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION), limit=limit, ascending=False
    )
    status: dict[tuple[str, str], str] = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        key = (evaluation.check_name, evaluation.partition or "")
        if key not in status:
            status[key] = "pass" if evaluation.passed else evaluation.severity.value.lower()
    return status


def one_line_cause(error) -> str:
    """A step failure's cause as one line: the innermost message past Dagster's wrappers, without
    the exception's class name (``/x.mp4: truncated ...``)."""
    while error is not None and error.cls_name in ("DagsterExecutionStepExecutionError", "RetryRequestedFromPolicy") and error.cause:
        error = error.cause
    message = error.message.strip().splitlines()[0] if error is not None and error.message.strip() else "failed"
    for prefix in ("dagster._core.definitions.events.Failure: ", "Failure: "):
        message = message.removeprefix(prefix)
    return message


def partition_failures(instance: dg.DagsterInstance, partition: str) -> dict[str, str]:
    """step -> one-line cause of the steps that failed in the latest failed run of ``partition``,
    left out where the step's asset materialized again since (a later run made it whole). Empty
    when the partition has no failed run: a partition that failed whole or part-way is told apart
    from a whole one here (the report)."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": partition}, statuses=[dg.DagsterRunStatus.FAILURE]),
                             limit=1)
    if not runs:
        return {}
    failed: dict[str, str] = {}
    for entry in instance.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        step = entry.step_key
        record = latest_record(instance, dg.AssetKey(step), partition) if step else None
        if step and (record is None or record.timestamp <= entry.timestamp):
            failed[step] = one_line_cause(entry.dagster_event.step_failure_data.error)
    return failed


def materializations_after(instance: dg.DagsterInstance, key: dg.AssetKey, after_storage_id: int | None,
                           page: int = 1000) -> list[tuple[int, str | None, dict[str, Any]]]:
    """(storage id, partition, plain metadata) of every materialization of ``key`` after
    ``after_storage_id`` (None: all), oldest first: what changed since a reader last looked, in
    pages, never the whole history of a 100k-video corpus at once."""
    out: list[tuple[int, str | None, dict[str, Any]]] = []
    cursor = None
    while True:
        result = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, after_storage_id=after_storage_id),
                                                 limit=page, cursor=cursor, ascending=True)
        for r in result.records:
            mat = r.asset_materialization
            out.append((r.storage_id, r.partition_key, {k: v.value for k, v in (mat.metadata if mat else {}).items()}))
        if not result.has_more:
            return out
        cursor = result.cursor
