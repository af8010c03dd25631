"""Many videos per run: how the sensor cuts ready videos into runs, and what a bad file in a batch
does to the others (they end with their tables; it fails alone, naming itself)."""

import os
import shutil
import subprocess
import time

import dagster as dg
import pandas as pd

from resources.corpus import VideoCorpus
from resources.storage import VideoAssetsIOManager
from video_assets.defs import batching
from video_assets.defs.sensors import scan_corpus


def test_ranges_are_contiguous_capped_and_skip_what_is_not_wanted():
    order = list("abcdefgh")
    assert batching.ranges("abcdefgh", order, 3) == [list("abc"), list("def"), list("gh")]
    assert batching.ranges("abdefh", order, 8) == [list("ab"), list("def"), list("h")]
    assert batching.ranges("", order, 4) == []
    assert batching.ranges("hb", order, 1) == [["b"], ["h"]]


def _tick(instance, corpus, cursor, now, per_run):
    result = scan_corpus(dg.build_sensor_context(instance=instance, cursor=cursor), corpus, now=now, videos_per_run=per_run)
    for req in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return result


def _covers(request) -> list[str]:
    if request.partition_key:
        return [request.partition_key]
    return [request.tags[batching.RANGE_START], request.tags[batching.RANGE_END]]


def test_the_sensor_groups_ready_videos_into_runs_and_runs_a_broken_file_alone(tmp_path, corpus_dir):
    instance = dg.DagsterInstance.ephemeral()
    corpus = VideoCorpus(root=str(tmp_path), settle_seconds=1, incomplete_grace_seconds=0)
    clips = sorted(corpus_dir.glob("*.mp4"))
    for i in range(5):
        shutil.copyfile(clips[i % len(clips)], tmp_path / f"v{i}.mp4")
    (tmp_path / "v2_cut.mp4").write_bytes(clips[0].read_bytes()[:300_000])  # not whole: its own run
    now = time.time() + 60
    first = _tick(instance, corpus, None, now, per_run=2)
    order = instance.get_dynamic_partitions("videos")
    assert order == ["v0", "v1", "v2", "v3", "v4", "v2_cut"]  # whole files first: the broken one cuts no range
    assert [_covers(r) for r in first.run_requests] == [["v0", "v1"], ["v2", "v3"], ["v4"], ["v2_cut"]]
    batch = first.run_requests[0]
    assert batch.tags[batching.BATCH_TAG] == "2 videos" and batch.partition_key is None and batch.run_key.startswith("batch:")
    # Nothing changed: nothing to run. A changed file among unchanged neighbours: a run of its own.
    assert _tick(instance, corpus, first.cursor, now + 1, per_run=2).run_requests == []
    shutil.copyfile(clips[1], tmp_path / "v3.mp4")
    os.utime(tmp_path / "v3.mp4", (now - 10, now - 10))
    again = _tick(instance, corpus, first.cursor, now + 2, per_run=2)
    assert [_covers(r) for r in again.run_requests] == [["v3"]]
    assert again.run_requests[0].run_key != first.run_requests[1].run_key
    # With the default size the same five whole files go out as one run.
    fresh = dg.DagsterInstance.ephemeral()
    assert [_covers(r) for r in _tick(fresh, corpus, None, now, per_run=8).run_requests] == [["v0", "v4"], ["v2_cut"]]


def test_the_sensor_runs_only_the_analyzers_named_and_names_the_setting_for_a_wrong_one(tmp_path, corpus_dir, monkeypatch):
    """VIDEO_ASSETS_SENSOR_ANALYZERS: the sensor's runs (a batch and a file run alone) carry the
    narrowed selection, which the code location's corpus_job accepts; unset, they are the whole job."""
    import pytest

    from video_assets.definitions import defs
    from video_assets.defs.jobs import sensor_run_selection

    selection = sensor_run_selection(["scene_cuts", "audio_events"])
    assert [k.to_user_string() for k in selection["asset_selection"]] == [
        "video_frames", "audio_track", "scene_cuts", "audio_events", "video_profile", "corpus_index", "sound_fingerprint",
        "footage_fingerprint"]
    assert {(c.asset_key.to_user_string(), c.name) for c in selection["asset_check_keys"]} == {
        ("scene_cuts", "scene_cuts_speed"), ("audio_events", "audio_events_speed"),
        ("video_frames", "decode_gaps"), ("audio_track", "decode_gaps")}
    job = defs.resolve_job_def("corpus_job")
    assert set(selection["asset_selection"]) <= job.asset_layer.selected_asset_keys
    assert sensor_run_selection([]) == {}
    with pytest.raises(ValueError, match=r"VIDEO_ASSETS_SENSOR_ANALYZERS=scene_cut: choose from \["):
        sensor_run_selection(["scene_cut"])
    instance = dg.DagsterInstance.ephemeral()
    corpus = VideoCorpus(root=str(tmp_path), settle_seconds=1, incomplete_grace_seconds=0)
    clips = sorted(corpus_dir.glob("*.mp4"))[:2]
    for i, clip in enumerate(clips):
        shutil.copyfile(clip, tmp_path / f"v{i}.mp4")
    (tmp_path / "v_empty.mp4").write_bytes(b"")  # not whole: a run of its own
    monkeypatch.setenv("VIDEO_ASSETS_SENSOR_ANALYZERS", "scene_cuts, audio_events")
    requests = _tick(instance, corpus, None, time.time() + 60, per_run=8).run_requests
    assert [_covers(r) for r in requests] == [["v0", "v1"], ["v_empty"]] and all(list(r.asset_selection) == selection["asset_selection"] and list(r.asset_check_keys) == selection["asset_check_keys"]
                            for r in requests)
    monkeypatch.delenv("VIDEO_ASSETS_SENSOR_ANALYZERS")
    assert all(r.asset_selection is None for r in _tick(dg.DagsterInstance.ephemeral(), corpus, None, time.time() + 60, per_run=8).run_requests)


def _run(instance, store, corpus, keys, selection, tags=None):
    from video_assets.definitions import ALL_ASSETS, default_resources

    resources = {**default_resources(), "corpus": corpus, "io_manager": VideoAssetsIOManager(root=str(store))}
    kwargs = {"partition_key": keys[0]} if len(keys) == 1 else {"tags": batching.batch_tags(keys)}
    return dg.materialize(ALL_ASSETS, selection=selection, instance=instance, resources=resources, raise_on_error=False,
                          tags={**(tags or {}), **kwargs.pop("tags", {})}, **kwargs)


def test_a_bad_file_in_a_batch_fails_alone_after_the_split_and_the_others_get_the_same_tables(tmp_path, corpus_dir, monkeypatch):
    """A batch of three where the middle file is over the length limit (it passes the completeness
    probe, so only decoding finds it): the batch fails at decoding naming that file, writes nothing;
    the split runs give the good videos exactly the tables they get when run alone, and the bad one
    fails alone with the same message."""
    from video_assets.definitions import analyzer_asset
    from video_assets.defs.assets import ingest

    corpus_root = tmp_path / "corpus"
    corpus_root.mkdir()
    for name, seconds in (("a_good", 3), ("b_long", 8), ("c_good", 3)):
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(corpus_dir / "city_ride.mp4"), "-t", str(seconds),
                        "-c", "copy", str(corpus_root / f"{name}.mp4")], check=True)
    monkeypatch.setenv("VIDEO_ASSETS_MAX_DURATION_S", "6")
    corpus = VideoCorpus(root=str(corpus_root))
    selection = [ingest.video_frames, analyzer_asset("scene_cuts")]
    keys = ["a_good", "b_long", "c_good"]
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", keys)
    store = tmp_path / "store"

    batch = _run(instance, store, corpus, keys, selection)
    assert not batch.success
    [failure] = [e for e in batch.all_events if e.is_step_failure]
    assert failure.step_key == "video_frames"
    message = failure.step_failure_data.user_failure_data.description
    assert "b_long.mp4" in message and "VIDEO_ASSETS_MAX_DURATION_S" in message and "\n" not in message
    assert not [p for p in store.rglob("*") if p.is_file()], "a failed batch wrote files"

    # The run as the daemon records it, then what the corpus sensor asks for.
    run = instance.get_run_by_id(batch.run_id)
    assert run.status == dg.DagsterRunStatus.FAILURE and batching.run_keys_of(instance, run) == keys
    splits = batching.split_failed_batches(instance, [run.job_name])
    assert [(r.partition_key, r.run_key) for r in splits] == [(k, f"split:{batch.run_id}:{k}") for k in keys]
    results = {r.partition_key: _run(instance, store, corpus, [r.partition_key], selection, r.tags) for r in splits}
    assert {k: v.success for k, v in results.items()} == {"a_good": True, "b_long": False, "c_good": True}
    [alone] = [e for e in results["b_long"].all_events if e.is_step_failure]
    assert alone.step_failure_data.user_failure_data.description == message
    # Split runs are never split again.
    assert batching.split_failed_batches(instance, [run.job_name]) == splits

    # The same two good videos as one batch of two: identical tables.
    other = tmp_path / "store2"
    instance2 = dg.DagsterInstance.ephemeral()
    instance2.add_dynamic_partitions("videos", ["a_good", "c_good"])
    assert _run(instance2, other, corpus, ["a_good", "c_good"], selection).success
    for key in ("a_good", "c_good"):
        mine = pd.read_parquet(next(store.rglob(f"scene_cuts/{key}.parquet")))
        pd.testing.assert_frame_equal(pd.read_parquet(next(other.rglob(f"scene_cuts/{key}.parquet"))), mine, check_exact=True)
