"""Partition keys, and the corpus sensor: new, unstable, changed and unchanged files."""

import json
import os
import shutil
import time

import dagster as dg

from resources.corpus import VideoCorpus
from video_assets.media.listing import partition_key, scan
from video_assets.defs.history import DATA_VERSION_TAG
from video_assets.defs.sensors import scan_corpus


def test_partition_keys_are_readable_stable_and_collision_free():
    assert partition_key("7301234567890.mp4") == "7301234567890"
    assert partition_key("city_ride.mp4") == "city_ride"
    k1, k2 = partition_key("clip.mov"), partition_key("clip.mp4")
    assert k1 != k2 and k1.startswith("clip-")
    messy = partition_key("Trip/My Clip (1).MP4")
    assert messy.startswith("trip_my_clip_1-") and messy == partition_key("Trip/My Clip (1).MP4")
    assert partition_key("a/b.mp4") != partition_key("a_b.mp4") != partition_key("a__b.mp4")


def _tick(instance, corpus, cursor, now):
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = scan_corpus(ctx, corpus, now=now)
    for req in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return result


def test_sensor_adds_partitions_and_waits_for_unstable_files(tmp_path, corpus_dir):
    instance = dg.DagsterInstance.ephemeral()
    corpus = VideoCorpus(root=str(tmp_path), settle_seconds=60)
    old = tmp_path / "old_clip.mp4"
    shutil.copy(corpus_dir / "rocket_story.mp4", old)
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    growing = tmp_path / "growing.mp4"
    growing.write_bytes((corpus_dir / "cafe_cat.mp4").read_bytes()[:1000])
    (tmp_path / "notes.txt").write_text("not a video")

    now = time.time()
    first = _tick(instance, corpus, None, now)
    assert [r.partition_key for r in first.run_requests] == ["old_clip"]  # settled for an hour
    assert instance.get_dynamic_partitions("videos") == ["old_clip"]
    obs = first.asset_events[0]
    assert obs.partition == "old_clip" and len(obs.tags[DATA_VERSION_TAG]) == 16

    # Still being written: size moved since the last tick.
    with open(growing, "ab") as fh:
        fh.write(b"\0" * 1000)
    second = _tick(instance, corpus, first.cursor, now + 1)
    assert second.run_requests == []

    # Quiet for a tick but not yet for the settle time: still waiting.
    assert _tick(instance, corpus, second.cursor, now + 2).run_requests == []
    # Now whole and settled: picked up, with no duplicate run for the old file.
    growing.write_bytes((corpus_dir / "cafe_cat.mp4").read_bytes())
    os.utime(growing, (now, now))
    quiet = _tick(instance, corpus, second.cursor, now + 3)
    third = _tick(instance, corpus, quiet.cursor, now + 61)
    assert [r.partition_key for r in third.run_requests] == ["growing"]
    assert sorted(instance.get_dynamic_partitions("videos")) == ["growing", "old_clip"]
    assert "growing" in json.loads(third.cursor)


def test_sensor_reruns_changed_files_only(tmp_path, corpus_dir):
    instance = dg.DagsterInstance.ephemeral()
    corpus = VideoCorpus(root=str(tmp_path), settle_seconds=0)
    clip = tmp_path / "clip.mp4"
    shutil.copy(corpus_dir / "rocket_story.mp4", clip)
    first = _tick(instance, corpus, None, time.time() + 1)
    assert len(first.run_requests) == 1

    os.utime(clip, (time.time() + 5, time.time() + 5))  # touched, same bytes
    second = _tick(instance, corpus, first.cursor, time.time() + 10)
    assert second.run_requests == []

    shutil.copy(corpus_dir / "cafe_cat.mp4", clip)  # new content under the same name
    os.utime(clip, (time.time() + 20, time.time() + 20))
    third = _tick(instance, corpus, second.cursor, time.time() + 30)
    assert [r.partition_key for r in third.run_requests] == ["clip"]
    assert third.run_requests[0].run_key != first.run_requests[0].run_key
    assert third.asset_events[0].tags[DATA_VERSION_TAG] != first.asset_events[0].tags[DATA_VERSION_TAG]


def test_a_new_cursor_does_not_rerun_what_the_instance_already_processed(tmp_path, corpus_dir):
    from resources.storage import VideoAssetsIOManager
    from video_assets.defs.assets import ingest

    instance = dg.DagsterInstance.ephemeral()
    root = tmp_path / "corpus"
    root.mkdir()
    clip = root / "clip.mp4"
    shutil.copy(corpus_dir / "rocket_story.mp4", clip)
    corpus = VideoCorpus(root=str(root), settle_seconds=0)
    first = _tick(instance, corpus, None, time.time())
    for event in first.asset_events:
        instance.report_runless_asset_event(event)
    assert len(first.run_requests) == 1
    assert len(_tick(instance, corpus, None, time.time()).run_requests) == 1  # observed, not yet decoded: still to do

    assert dg.materialize([ingest.video_file, ingest.video_frames], selection=[ingest.video_frames], instance=instance,
                          partition_key="clip", resources={"corpus": corpus, "io_manager": VideoAssetsIOManager(root=str(tmp_path / "store"))}).success
    assert _tick(instance, corpus, None, time.time()).run_requests == []  # e.g. `make dev` after `make demo`

    shutil.copy(corpus_dir / "cafe_cat.mp4", clip)  # other bytes: run again
    assert [r.partition_key for r in _tick(instance, corpus, None, time.time()).run_requests] == ["clip"]


def test_scan_lists_videos_below_the_root(corpus_dir):
    from video_assets.sample.clips import CLIPS

    keys = [v.key for v in scan(str(corpus_dir))]
    assert keys == sorted(c.name for c in CLIPS) and "german_cafe" in keys


def test_a_missing_corpus_root_is_a_skip_with_the_reason(tmp_path):
    from video_assets.defs.sensors import corpus_sensor

    result = corpus_sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()),
                           corpus=VideoCorpus(root=str(tmp_path / "nowhere")))
    assert isinstance(result, dg.SkipReason) and "VIDEO_ASSETS_CORPUS" in result.skip_message


def test_a_file_written_in_paused_chunks_gets_one_run_for_its_complete_bytes(tmp_path, corpus_dir):
    """Four chunks 40 s apart (a camera, rsync, an upload), the sensor ticking every 30 s: no
    partition, run or data version for partial bytes; one run once the file is whole and settled."""
    instance = dg.DagsterInstance.ephemeral()
    corpus = VideoCorpus(root=str(tmp_path), settle_seconds=120)
    data = (corpus_dir / "cafe_cat.mp4").read_bytes()
    clip = tmp_path / "camera.mp4"
    t0 = time.time() - 1000
    cursor, runs, events = None, [], []
    chunks = [data[i * len(data) // 4 : (i + 1) * len(data) // 4] for i in range(4)]
    for now in range(0, 301, 30):  # sensor ticks, seconds after the first byte; chunk i lands at 40 * i s
        written = sum(len(c) for i, c in enumerate(chunks) if 40 * i <= now)
        clip.write_bytes(data[:written])
        last_write = max(40 * i for i in range(4) if 40 * i <= now)
        os.utime(clip, (t0 + last_write, t0 + last_write))
        result = _tick(instance, corpus, cursor, t0 + now)
        cursor = result.cursor
        runs += result.run_requests
        events += result.asset_events
    assert [r.partition_key for r in runs] == ["camera"]
    assert len(events) == 1 and events[0].metadata["sha256"].value == __import__("hashlib").sha256(data).hexdigest()


def test_a_settled_but_truncated_file_waits_for_its_bytes_then_fails_clearly(tmp_path, corpus_dir):
    """A pause longer than the settle time: the completeness probe holds the partial bytes back;
    past the grace time the file becomes a partition, so its run fails with the cause."""
    instance = dg.DagsterInstance.ephemeral()
    corpus = VideoCorpus(root=str(tmp_path), settle_seconds=60, incomplete_grace_seconds=600)
    clip = tmp_path / "cut.mp4"
    clip.write_bytes((corpus_dir / "cafe_cat.mp4").read_bytes()[:400_000])
    now = time.time()
    os.utime(clip, (now - 100, now - 100))
    held = _tick(instance, corpus, None, now)
    assert held.run_requests == [] and instance.get_dynamic_partitions("videos") == []
    late = _tick(instance, corpus, held.cursor, now + 600)
    assert [r.partition_key for r in late.run_requests] == ["cut"]


def test_temporary_names_are_never_partitions(tmp_path, corpus_dir):
    for name in (".clip.mp4", "clip.mp4.part", "clip.part.mp4", "clip.mp4.crdownload", "~clip.mp4", "clip.tmp.mov", "clip.mp4_.gstmp"):
        shutil.copy(corpus_dir / "rocket_story.mp4", tmp_path / name)
    shutil.copy(corpus_dir / "rocket_story.mp4", tmp_path / "real.mp4")
    assert [v.rel_path for v in scan(str(tmp_path))] == ["real.mp4"]
