"""The shared assets through Dagster: every sample clip materializes; bad input fails alone."""

import base64
import os
from pathlib import Path

import dagster as dg
import pytest

from resources.corpus import VideoCorpus
from resources.storage import VideoAssetsIOManager
from video_assets.defs.assets import ingest
from video_assets.definitions import defs
from video_assets.media.frames import AudioTrack
from video_assets.media.framestore import open_bundle

ASSETS = [ingest.video_file, ingest.video_frames, ingest.audio_track]
SELECTION = [ingest.video_frames, ingest.audio_track]


def _materialize(instance, corpus_root, storage_root, key, raise_on_error=True):
    return dg.materialize(
        ASSETS,
        selection=SELECTION,
        instance=instance,
        partition_key=key,
        resources={"io_manager": VideoAssetsIOManager(root=str(storage_root)), "corpus": VideoCorpus(root=str(corpus_root))},
        raise_on_error=raise_on_error,
    )


def test_the_code_location_validates_as_dagster_loads_it():
    """What `dagster dev` / `make dev` does first: load workspace.yaml's module and validate it."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    dagster = Path(sys.executable).with_name("dagster")
    import os

    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # a temporary instance, whatever make exported
    proc = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"], cwd=root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "All code locations passed validation" in proc.stdout + proc.stderr


def test_definitions_load():
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {"video_file", "video_frames", "audio_track"} <= keys
    assert defs.resolve_job_def("corpus_job") is not None
    assert defs.resolve_sensor_def("corpus_sensor") is not None


def test_foundation_materializes_the_sample_corpus(corpus_dir, tmp_path, ground_truth):
    instance = dg.DagsterInstance.ephemeral()
    keys = sorted(ground_truth["clips"])
    instance.add_dynamic_partitions("videos", keys)
    for key in keys:
        result = _materialize(instance, corpus_dir, tmp_path, key)
        assert result.success
        mats = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
        frames_md = mats["video_frames"]
        truth = ground_truth["clips"][key]
        assert frames_md["duration_s"].value == pytest.approx(truth["duration"], abs=0.05)
        assert frames_md["fps"].value == truth["fps"]
        assert frames_md["resolution"].value == "1080x1920"
        assert frames_md["frames_kept"].value > 0
        sheet = base64.b64decode(frames_md["contact_sheet"].value.split("data:image/jpeg;base64,")[1].rstrip(")"))
        assert sheet[:2] == b"\xff\xd8" and len(sheet) < 200_000  # a JPEG, small enough to inline in every event
        assert mats["audio_track"]["has_audio"].value == truth["has_audio"]
        bundle = open_bundle((tmp_path / "video_frames" / f"{key}.frames.parquet").read_bytes())
        assert len(bundle) == frames_md["frames_kept"].value
        track = AudioTrack.from_npz_bytes((tmp_path / "audio_track" / f"{key}.audio.npz").read_bytes())
        assert track.has_audio == truth["has_audio"]
    # Data version: the content hash (first 16 hex digits) of the file.
    record = instance.get_latest_data_version_record(dg.AssetKey("video_frames"), partition_key="city_ride")
    assert record is not None
    leftovers = [p for p in Path(tmp_path).rglob("*") if ".tmp" in p.name]
    assert leftovers == []


@pytest.mark.parametrize("name, cause", [
    ("empty", "file is empty"),
    ("truncated", "truncated|no decodable|not a readable"),
    ("text_file", "not a readable video file"),
    ("unsupported_codec", "unsupported video codec|no decodable|decoding failed"),
])
def test_bad_input_fails_its_partition_alone(bad_inputs, corpus_dir, tmp_path, name, cause):
    instance = dg.DagsterInstance.ephemeral()
    corpus_root = bad_inputs[name].parent
    # A good partition materialized first must be left exactly as it was.
    instance.add_dynamic_partitions("videos", ["rocket_story", name])
    assert _materialize(instance, corpus_dir, tmp_path, "rocket_story").success
    good = tmp_path / "video_frames" / "rocket_story.frames.parquet"
    before = (good.read_bytes(), os.stat(good).st_mtime_ns)

    result = _materialize(instance, corpus_root, tmp_path, name, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures
    message = failures[0].step_failure_data.error.message
    assert str(bad_inputs[name]) in message
    import re
    assert re.search(cause, message), message
    assert not (tmp_path / "video_frames" / f"{name}.frames.parquet").exists()
    assert (good.read_bytes(), os.stat(good).st_mtime_ns) == before
    assert [p for p in Path(tmp_path).rglob("*") if ".tmp" in p.name] == []


def test_frames_stream_to_storage_and_a_too_long_video_fails_at_once(corpus_dir, tmp_path, monkeypatch):
    """video_frames writes row groups of VIDEO_ASSETS_FRAME_BATCH frames into a local spool while
    decoding; the I/O manager moves the file into place and the spool is left empty. A video over
    VIDEO_ASSETS_MAX_DURATION_S fails both decoding steps at once, naming the file and the setting,
    and writes nothing."""
    import pyarrow.parquet as pq

    spool = tmp_path / "spool"
    monkeypatch.setenv("VIDEO_ASSETS_SPOOL", str(spool))
    monkeypatch.setenv("VIDEO_ASSETS_FRAME_BATCH", "16")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", ["rocket_story"])
    result = _materialize(instance, corpus_dir, tmp_path / "a", "rocket_story")
    assert result.success
    stored = tmp_path / "a" / "video_frames" / "rocket_story.frames.parquet"
    meta = pq.ParquetFile(stored).metadata
    assert meta.num_row_groups > 1 and {meta.row_group(g).num_rows for g in range(meta.num_row_groups - 1)} == {16}
    assert list(spool.iterdir()) == []
    md = result.asset_materializations_for_node("video_frames")[0].metadata
    assert md["frames_per_row_group"].value == 16

    monkeypatch.setenv("VIDEO_ASSETS_MAX_DURATION_S", "5")
    result = _materialize(instance, corpus_dir, tmp_path / "b", "rocket_story", raise_on_error=False)
    assert not result.success
    failures = {e.step_key: e.step_failure_data.error.message for e in result.all_events if e.is_step_failure}
    assert set(failures) == {"video_frames", "audio_track"}
    for message in failures.values():
        assert "rocket_story.mp4" in message and "over the limit of 5 s (VIDEO_ASSETS_MAX_DURATION_S" in message
    assert not (tmp_path / "b").exists() or [p for p in (tmp_path / "b").rglob("*") if p.is_file()] == []
    assert list(spool.iterdir()) == []


def test_missing_file_names_the_partition_and_the_root(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", ["gone"])
    (tmp_path / "corpus").mkdir()
    result = _materialize(instance, tmp_path / "corpus", tmp_path / "store", "gone", raise_on_error=False)
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "gone" in message and str(tmp_path / "corpus") in message


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from video_assets.media import files

    target = tmp_path / "x" / "out.bin"
    files.write_bytes_atomic(str(target), b"old")

    class Boom(Exception):
        pass

    import fsspec.implementations.local as local

    def failing_mv(self, *args, **kwargs):
        raise Boom()

    monkeypatch.setattr(local.LocalFileSystem, "mv", failing_mv)
    with pytest.raises(Boom):
        files.write_bytes_atomic(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["out.bin"]


def test_any_fsspec_url_works_for_corpus_and_storage(corpus_dir):
    """The corpus and the storage root through fsspec's in-memory filesystem (as s3:// would go)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/corpus/sub/clip.mp4", (corpus_dir / "rocket_story.mp4").read_bytes())
    from video_assets.media.listing import scan

    [video] = scan("memory://corpus")
    assert video.url == "memory:///corpus/sub/clip.mp4" and video.key.startswith("sub_clip-")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", [video.key])
    result = dg.materialize(
        ASSETS, selection=SELECTION, instance=instance, partition_key=video.key,
        resources={"io_manager": VideoAssetsIOManager(root="memory://store"), "corpus": VideoCorpus(root="memory://corpus")},
    )
    assert result.success
    track = AudioTrack.from_npz_bytes(fs.cat(f"/store/audio_track/{video.key}.audio.npz"))
    assert track.has_audio and abs(track.duration_s - 11.0) < 0.05
    assert fs.exists(f"/store/video_frames/{video.key}.frames.parquet")
    assert not [p for p in fs.find("/store") if ".tmp" in p]


def test_a_killed_writer_leaves_nothing_and_a_rerun_gives_the_same_table(tmp_path, corpus_dir):
    """A materialization killed half-way (SIGKILL while writing) leaves no partial output under its
    name; its stray temp file is removed by the next write; re-running gives identical bytes."""
    import signal
    import subprocess
    import sys
    import time

    store = tmp_path / "store"
    script = f"""
import os, sys, time
import fsspec.implementations.local as local
from video_assets.media import files
real_open = local.LocalFileSystem.open
def slow_open(self, path, mode="rb", **kw):
    fh = real_open(self, path, mode, **kw)
    if ".tmp-" in str(path) and "w" in mode:
        fh.write(b"partial")
        fh.flush()
        print("writing", flush=True)
        time.sleep(60)  # killed here
    return fh
local.LocalFileSystem.open = slow_open
files.write_bytes_atomic({str(store / "x" / "table.parquet")!r}, b"complete")
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    target = store / "x" / "table.parquet"
    assert not target.exists()
    leftovers = list((store / "x").glob("table.parquet.tmp-*"))
    assert len(leftovers) == 1  # a temp name, never the real one
    from video_assets.media import files

    files.write_bytes_atomic(str(target), b"complete")
    assert target.read_bytes() == b"complete"
    assert [p.name for p in (store / "x").iterdir()] == ["table.parquet"]

    # Re-running a materialization gives the same table, byte for byte.
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", ["rocket_story"])
    first = _materialize(instance, corpus_dir, tmp_path / "a", "rocket_story")
    second = _materialize(instance, corpus_dir, tmp_path / "b", "rocket_story")
    assert first.success and second.success
    for rel in ("audio_track/rocket_story.audio.npz", "video_frames/rocket_story.frames.parquet"):
        a, b = (tmp_path / d / rel for d in ("a", "b"))
        if rel.endswith(".npz"):
            from video_assets.media.frames import AudioTrack

            assert (AudioTrack.from_npz_bytes(a.read_bytes()).samples == AudioTrack.from_npz_bytes(b.read_bytes()).samples).all()
        else:
            fa, fb = open_bundle(a.read_bytes()), open_bundle(b.read_bytes())
            assert list(fa.data) == list(fb.data) and fa.pts_s == fb.pts_s  # the file also records decode_seconds


def test_a_step_process_ends_with_its_run_worker(tmp_path):
    """A step process of the multiprocess executor (a spawned child) whose run worker is killed ends
    at once instead of running on beside the retry; a process without such a parent is left alone."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from resources.storage import exit_with_parent

    assert exit_with_parent() is False  # pytest itself: no multiprocessing parent, no watch
    pid_file = tmp_path / "child.pid"
    script = f"""
import multiprocessing, os, time
from pathlib import Path

def step():
    from resources.storage import exit_with_parent
    assert exit_with_parent()
    Path({str(pid_file)!r}).write_text(str(os.getpid()))
    time.sleep(120)

if __name__ == "__main__":
    multiprocessing.get_context("spawn").Process(target=step).start()
    time.sleep(120)
"""
    (tmp_path / "worker.py").write_text(script)  # spawn re-imports __main__: it must be a file
    worker = subprocess.Popen([sys.executable, str(tmp_path / "worker.py")], cwd=str(Path(__file__).resolve().parents[1]),
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    deadline = time.time() + 60
    while not pid_file.exists():
        assert time.time() < deadline and worker.poll() is None, "the child never started"
        time.sleep(0.1)
    child = int(pid_file.read_text())
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    deadline = time.time() + 10
    while True:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break  # gone
        assert time.time() < deadline, "the step process outlived its run worker"
        time.sleep(0.05)
