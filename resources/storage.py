"""The I/O manager: one storage root, one file per asset and partition, atomic writes.

Formats by type: pandas DataFrame -> Parquet (pyarrow, schema kept), FrameBundle -> frames Parquet
(JPEG bytes per row, row groups of ``VIDEO_ASSETS_FRAME_BATCH`` frames), AudioTrack -> npz. Frames
stream both ways: the decoding step's spool file is moved into place, never read into memory, and a
loaded bundle reads its images one row group at a time (``media/framestore.py``). A step that
handles several partitions (a backfill run
with a single-run policy) returns ``{partition_key: value}`` and gets the same shape back on load.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from multiprocessing.connection import wait
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field

from video_assets.runtime import settings
from video_assets.media import files
from video_assets.media.frames import AudioTrack, FrameBundle
from video_assets.media.framestore import bundle_bytes, open_bundle

SUFFIXES: dict[type, str] = {FrameBundle: ".frames.parquet", AudioTrack: ".audio.npz", pd.DataFrame: ".parquet"}


def _suffix_for(obj: Any) -> str:
    for cls, suffix in SUFFIXES.items():
        if isinstance(obj, cls):
            return suffix
    raise TypeError(f"video-assets I/O manager cannot store {type(obj).__name__}")


def dump(obj: Any) -> bytes:
    if isinstance(obj, FrameBundle):
        return bundle_bytes(obj)
    if isinstance(obj, AudioTrack):
        return obj.to_npz_bytes()
    if isinstance(obj, pd.DataFrame):
        sink = io.BytesIO()
        schema = obj.attrs.get("arrow_schema")
        plain = obj.copy(deep=False)
        plain.attrs = {}  # the schema travels as the Parquet schema, not as pandas attrs
        table = pa.Table.from_pandas(plain, schema=schema, preserve_index=False)
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue()
    raise TypeError(f"video-assets I/O manager cannot store {type(obj).__name__}")


def load(payload: bytes, suffix: str) -> Any:
    if suffix == ".frames.parquet":
        return open_bundle(payload)
    if suffix == ".audio.npz":
        return AudioTrack.from_npz_bytes(payload)
    table = pq.read_table(io.BytesIO(payload))
    df = table.to_pandas()
    df.attrs["arrow_schema"] = table.schema
    return df


_ENDED = ("FAILURE", "CANCELED", "CANCELING")


def _run_fence(context: dg.OutputContext):
    """A check run just before each file is renamed into place: the step's run must still be
    alive. A run worker that crashed leaves its step process running; the run is marked failed and
    retried, and that orphan must not write over (or beside) what the retry writes."""
    try:
        instance, run_id = context.step_context.instance, context.run_id
    except Exception:  # an output context built outside a run (tests, direct use): nothing to fence
        return None

    def check() -> None:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status.value in _ENDED:
            raise dg.Failure(
                description=f"run {run_id} is already {run.status.value}: not writing {context.asset_key.to_user_string()} "
                "(its retry owns the outputs)",
                allow_retries=False,
            )

    return check


_watching = threading.Lock()
_watched: set[int] = set()


def exit_with_parent() -> bool:
    """In a step process of the multiprocess executor: end this process the moment its run worker
    dies. The run is marked failed and retried anyway; an orphan that ran on would race the retry
    (the run fence in ``_run_fence`` stops its writes only once the run is marked failed, seconds
    later). Elsewhere (the in-process executor, the CLI, tests) it does nothing: a process started
    from a shell must outlive that shell. Returns whether a watch is on."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return False
    with _watching:
        if os.getpid() in _watched:
            return True
        _watched.add(os.getpid())

    def watch() -> None:
        wait([parent.sentinel])  # readable once the parent has exited, however it ended
        os._exit(70)  # no cleanup: a temp file it leaves is removed by the next write of that file

    threading.Thread(target=watch, name="exit-with-run-worker", daemon=True).start()
    return True


class VideoAssetsIOManager(dg.ConfigurableIOManager):
    """Stores every asset under ``root/<asset key>/<partition>.<suffix>``."""

    root: str = Field(default_factory=settings.storage_root, description="local folder or fsspec URL (VIDEO_ASSETS_STORAGE)")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        exit_with_parent()

    def _base(self, asset_key: dg.AssetKey, partition: str | None) -> str:
        return files.join(self.root, *asset_key.path, partition or "__all__")

    def path_for(self, asset_key: dg.AssetKey, partition: str | None, suffix: str) -> str:
        return self._base(asset_key, partition) + suffix

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is None:
            return
        keys = context.asset_partition_keys if context.has_asset_partitions else [None]
        if len(keys) > 1:
            if not isinstance(obj, dict) or set(obj) != set(keys):
                raise TypeError(
                    f"{context.asset_key.to_user_string()}: a multi-partition step must return "
                    f"{{partition_key: value}} for exactly its partitions {sorted(keys)}"
                )
            items = list(obj.items())
        else:
            items = [(keys[0], obj)]
        fence = _run_fence(context)
        for key, value in items:
            url = self.path_for(context.asset_key, key, _suffix_for(value))
            if isinstance(value, FrameBundle) and value.spool:
                files.put_file_atomic(value.spool, url, before_commit=fence)
                value.spool = None
                value.data.release()  # the spool's row group and handle; it reads from storage from now on
                value.data.source = url
            else:
                files.write_bytes_atomic(url, dump(value), before_commit=fence)
            context.log.debug(f"wrote {url}")

    def load_partition(self, asset_key: dg.AssetKey, partition: str | None) -> Any:
        for suffix in (".frames.parquet", ".audio.npz", ".parquet"):
            url = self.path_for(asset_key, partition, suffix)
            if files.exists(url):
                # Frames stay on disk until an analyzer reaches their row group.
                return open_bundle(url) if suffix == ".frames.parquet" else load(files.read_bytes(url), suffix)
        raise FileNotFoundError(
            f"no stored value for {asset_key.to_user_string()} partition {partition!r} under {self.root}; "
            "materialize it first"
        )

    def load_input(self, context: dg.InputContext) -> Any:
        asset_key = context.asset_key
        if not context.has_asset_partitions:
            return self.load_partition(asset_key, None)
        keys = context.asset_partition_keys
        if len(keys) == 1:
            return self.load_partition(asset_key, keys[0])
        return {key: self.load_partition(asset_key, key) for key in keys}
