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
