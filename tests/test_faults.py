"""Faults in operation, on a real instance made from the repository's dagster.yaml with the real
daemon (sensors, run queue, run monitoring, run retries, backfills) and the real code server.

- A truncated file dropped into the corpus: its run fails at video_frames and audio_track with the
  same one-line cause; no table of it is ever written. A good file beside it is untouched.
- A run worker killed (SIGKILL) while a GPU-pool step runs: the run fails, its pool slot is freed
  within the bound docs/operating.md states, Dagster retries the run, and the tables equal those of the
  same bytes analyzed without a fault; the orphaned step process writes nothing into the failed run.
- A bad file (over the length limit, so it passes the completeness probe) dropped with three good
  ones: their batch run fails naming it; the sensor redoes the batch one video per run; the good
  ones end with their tables, the bad one fails alone with the same message and writes nothing.
- Damaged files (#51): one with a damaged stretch is decoded around (a decode_gaps warning, every
  table); one whose video cannot be decoded at all fails video_frames and keeps its audio tables;
  the corpus report over every partition is written and names both.
- A backfill of 16 missing videos through the backfill daemon: how many runs, how many model loads.

Everything measured is written to test-artifacts/faults.json. Slow (a few minutes): processes start
Python and torch for every run and step on 2 cores.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).resolve().parents[1]
GPU_STEPS = {"qwen2_vl_temporal", "text_overlay", "object_detection", "speech_rate"}
SLOT_BOUND_S = 45  # docs/operating.md: poll_interval_seconds + free_slots_after_run_end_seconds + one daemon pass

pytestmark = pytest.mark.slow


class Daemon:
    """dagster-daemon over the repository's workspace.yaml, on its own DAGSTER_HOME."""

    def __init__(self, root: Path, corpus: Path, model_cache: str, **env):
        self.home = root / "home"
        self.home.mkdir(parents=True)
        shutil.copy(REPO / "dagster.yaml", self.home / "dagster.yaml")
        self.store = root / "store"
        self.env = {
            **os.environ, "DAGSTER_HOME": str(self.home), "VIDEO_ASSETS_CORPUS": str(corpus),
            "VIDEO_ASSETS_STORAGE": str(self.store), "VIDEO_ASSETS_MODEL_CACHE": model_cache,
            "VIDEO_ASSETS_YOLO_BASELINE": "random:yolov8n", "VIDEO_ASSETS_YOLO_OPTIMIZED": "random:yolov8n",
            "VIDEO_ASSETS_QWEN_BASELINE": "random:tiny", "VIDEO_ASSETS_QWEN_OPTIMIZED": "random:tiny",
            "VIDEO_ASSETS_DEVICE": "cpu", "VIDEO_ASSETS_SETTLE_SECONDS": "1", "VIDEO_ASSETS_INCOMPLETE_GRACE_SECONDS": "0",
            "VIDEO_ASSETS_MAX_DURATION_S": "15",
            **env,
        }
        # The instance's SQLite storages are created here, before the daemon starts: two processes
        # creating the same fresh schema race ("table alembic_version already exists").
        self.instance = dg.DagsterInstance.from_config(str(self.home))
        self.instance.get_runs(limit=1)
        self.instance.get_dynamic_partitions("videos")
        self.instance.all_instigator_state()
        self.log = open(root / "daemon.log", "w")
        daemon = Path(sys.executable).parent / "dagster-daemon"  # the venv's, whatever PATH says
        self.proc = subprocess.Popen([str(daemon), "run", "-w", str(REPO / "workspace.yaml")], cwd=REPO, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:  # already gone (its exit is what the test reports)
            pass
        self.log.close()

    def wait(self, what: str, predicate, timeout: float = 300, every: float = 0.5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, f"dagster-daemon exited: see {self.log.name}"
            value = predicate()
            if value:
                return value
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; daemon log: {self.log.name}")

    def runs(self, **tags) -> list:
        return list(self.instance.get_runs(filters=dg.RunsFilter(tags=tags) if tags else None))

    def finished(self, run) -> bool:
        return self.instance.get_run_by_id(run.run_id).is_finished


def _short_clip(src: Path, dst: Path, seconds: int = 4) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-t", str(seconds), "-c", "copy", str(dst)], check=True)


def _stored(store: Path, partition: str) -> list[Path]:
    return sorted(p for p in store.rglob(f"{partition}.*") if ".tmp-" not in p.name)


def _tables(store: Path, partition: str) -> dict[str, object]:
    import pandas as pd

    return {p.parent.name: pd.read_parquet(p) for p in _stored(store, partition) if p.name.endswith(".parquet") and ".frames." not in p.name}


def _step_failures(instance, run_id: str) -> dict[str, str]:
    out = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        error = entry.dagster_event.step_failure_data.error
        while error.cause is not None and error.cls_name != "Failure":
            error = error.cause
        out[entry.dagster_event.step_key] = error.message.strip().splitlines()[0].removeprefix("dagster._core.definitions.events.Failure: ")
    return out


@pytest.fixture(scope="module")
def faults(tmp_path_factory, corpus_dir, artifacts):
    root = tmp_path_factory.mktemp("faults")
    corpus = root / "corpus"
    corpus.mkdir()
    daemon = Daemon(root, corpus, os.environ["VIDEO_ASSETS_MODEL_CACHE"])
    report: dict = {}
    yield daemon, corpus, report
    daemon.stop()
    path = artifacts / "faults.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps(old | report, indent=2))


def test_a_truncated_file_fails_its_partition_with_one_cause_and_writes_nothing(faults, corpus_dir):
    daemon, corpus, report = faults
    _short_clip(corpus_dir / "cafe_cat.mp4", corpus / "good.mp4")
    (corpus / "cut.mp4").write_bytes((corpus_dir / "city_ride.mp4").read_bytes()[:400_000])
    runs = daemon.wait("two sensor runs", lambda: len(daemon.runs()) >= 2 and daemon.runs())
    daemon.wait("both runs to finish", lambda: all(daemon.finished(r) for r in runs), timeout=400)
    by_partition = {r.tags["dagster/partition"]: daemon.instance.get_run_by_id(r.run_id) for r in runs}
    assert by_partition["good"].status == dg.DagsterRunStatus.SUCCESS
    assert by_partition["cut"].status == dg.DagsterRunStatus.FAILURE
    failures = _step_failures(daemon.instance, by_partition["cut"].run_id)
    assert set(failures) == {"video_frames", "audio_track"}, failures
    causes = {m.split("cut.mp4: ", 1)[1] for m in failures.values()}
    assert len(causes) == 1 and next(iter(causes)).startswith("truncated"), failures
    assert _stored(daemon.store, "cut") == []
    assert {"text_overlay", "speech_rate_summary", "object_detection", "qwen2_vl_temporal"} <= set(_tables(daemon.store, "good"))
    report["truncated_file"] = {"run_status": "FAILURE", "step_failures": failures, "files_written": 0}


def test_a_killed_run_worker_frees_the_gpu_slot_is_retried_and_gives_the_same_tables(faults):
    daemon, corpus, report = faults
    shutil.copy(corpus / "good.mp4", corpus / "again.mp4")  # same bytes, so the same tables are expected
    run = daemon.wait("the sensor's run for again", lambda: next(iter(daemon.runs(**{"dagster/partition": "again"})), None), timeout=120)

    def gpu_step_running():
        claimed = daemon.instance.event_log_storage.get_concurrency_info("gpu").claimed_slots
        return next((c for c in claimed if c.run_id == run.run_id), None)

    claim = daemon.wait("a GPU step of that run to hold the pool slot", gpu_step_running, timeout=300, every=0.1)
    # The run worker: its steps run in it (the in-process executor), so this kills the GPU step too.
    worker = next(int(m.split("pid: ")[1].split(")")[0]) for m in
                  (e.user_message for e in daemon.instance.all_logs(run.run_id)) if "Executing steps in process (pid: " in (m or ""))
    os.kill(worker, signal.SIGKILL)
    killed_at = time.time()
    failed = daemon.wait("the run to be marked failed", lambda: daemon.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE and time.time(), timeout=120)
    freed = daemon.wait("the pool slot to be freed", lambda: gpu_step_running() is None and time.time(), timeout=180, every=0.5)
    retry = daemon.wait("the retry run", lambda: next(iter(daemon.runs(**{"dagster/parent_run_id": run.run_id})), None), timeout=180)
    daemon.wait("the retry to finish", lambda: daemon.finished(retry), timeout=400)
    retry = daemon.instance.get_run_by_id(retry.run_id)
    assert retry.status == dg.DagsterRunStatus.SUCCESS
    time.sleep(5)  # let the orphaned step process of the killed run reach its write
    again, good = _tables(daemon.store, "again"), _tables(daemon.store, "good")
    assert set(again) == set(good)
    for name, df in good.items():
        import pandas as pd

        # video_profile's row names its own video (the partition key); everything else must be equal.
        same = [c for c in df.columns if c != "video"]
        pd.testing.assert_frame_equal(again[name][same], df[same], check_exact=True, obj=name)
    assert not list(daemon.store.rglob("*.tmp-*"))
    failure_time = next(e.timestamp for e in daemon.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE))
    late = [e for e in daemon.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION) if e.timestamp > failure_time]
    assert late == [], "a step of the failed run wrote after the run failed"
    fenced = [m for m in _step_failures(daemon.instance, run.run_id).values() if "not writing" in m]
    assert freed - failed <= SLOT_BOUND_S
    report["killed_worker"] = {
        "step_holding_the_slot": claim.step_key, "run_failed_after_kill_s": round(failed - killed_at, 1),
        "slot_freed_after_run_failure_s": round(freed - failed, 1), "bound_s": SLOT_BOUND_S,
        "retry_run": retry.run_id, "retry_tags": {k: v for k, v in retry.tags.items() if "retry" in k or "parent" in k},
        "tables_identical_to_unfaulted_run": True, "orphan_writes_fenced": fenced,
    }


def test_a_bad_file_in_a_batch_fails_alone_and_the_others_end_with_their_tables(faults, corpus_dir):
    daemon, corpus, report = faults
    staging = corpus.parent / "staging"
    staging.mkdir()
    names = ["batch_a", "batch_b_long", "batch_c", "batch_d"]
    for name in names:  # 4 s clips; the long one (tips_countdown, 18 s) is over VIDEO_ASSETS_MAX_DURATION_S=15
        if "long" in name:
            shutil.copy(corpus_dir / "tips_countdown.mp4", staging / f"{name}.mp4")
        else:
            _short_clip(corpus_dir / "quiet_coffee.mp4", staging / f"{name}.mp4")
    for name in names:  # dropped at once
        os.rename(staging / f"{name}.mp4", corpus / f"{name}.mp4")
    batch = daemon.wait("the batch run", lambda: next(iter(daemon.runs(**{"video_assets/batch": "4 videos"})), None), timeout=180)
    daemon.wait("the batch run to finish", lambda: daemon.finished(batch), timeout=300)
    batch = daemon.instance.get_run_by_id(batch.run_id)
    assert batch.status == dg.DagsterRunStatus.FAILURE
    failures = _step_failures(daemon.instance, batch.run_id)
    assert set(failures) == {"video_frames", "audio_track"}, failures
    assert all("batch_b_long.mp4: " in m and "VIDEO_ASSETS_MAX_DURATION_S" in m for m in failures.values()), failures
    splits = daemon.wait("one run per video of the batch", lambda: len(daemon.runs(**{"video_assets/split_of": batch.run_id})) == 4
                         and daemon.runs(**{"video_assets/split_of": batch.run_id}), timeout=180)
    daemon.wait("the split runs to finish", lambda: all(daemon.finished(r) for r in splits), timeout=600, every=1)
    status = {r.tags["dagster/partition"]: daemon.instance.get_run_by_id(r.run_id).status for r in splits}
    assert status == {n: dg.DagsterRunStatus.FAILURE if "long" in n else dg.DagsterRunStatus.SUCCESS for n in names}, status
    alone = _step_failures(daemon.instance, next(r.run_id for r in splits if r.tags["dagster/partition"] == "batch_b_long"))
    assert alone == failures
    for name in names:
        if "long" in name:
            assert _stored(daemon.store, name) == []
        else:
            assert {"text_overlay", "speech_rate_summary", "object_detection", "qwen2_vl_temporal"} <= set(_tables(daemon.store, name))
    time.sleep(35)  # another sensor tick: nothing is split twice
    assert len(daemon.runs(**{"video_assets/split_of": batch.run_id})) == 4
    report["bad_file_in_a_batch"] = {"batch_run": batch.run_id, "batch_step_failures": failures,
                                     "split_runs": {k: v.value for k, v in status.items()}}


def _check_evaluations(instance, run_id: str) -> dict[tuple[str, str], object]:
    out = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        out[(evaluation.asset_key.to_user_string(), evaluation.check_name)] = evaluation
    return out


def test_damaged_files_are_decoded_around_or_fail_part_way_and_the_corpus_report_shows_them(faults, damaged_inputs):
    """#51 through the sensor and the daemon: a video with a damaged stretch is materialized with a
    decode_gaps warning and every analyzer's table; one whose video stream cannot be decoded at all
    fails video_frames with its cause and keeps its audio tables; the corpus report, built over
    every partition (good, truncated, damaged), names both and is written."""
    from resources.corpus import VideoCorpus
    from resources.storage import VideoAssetsIOManager
    from video_assets.defs.assets.corpus_report import corpus_report

    daemon, corpus, report = faults
    runs = {}
    for name, source in (("damaged_mid", "flip_video_mid.mp4"), ("video_broken", "flip_video_all.mp4")):  # one after the other: a run each
        shutil.copy(damaged_inputs[source], corpus / f"{name}.mp4")
        runs[name] = daemon.wait(f"the sensor's run for {name}", lambda: next(iter(daemon.runs(**{"dagster/partition": name})), None), timeout=180)
        daemon.wait(f"the run of {name} to finish", lambda: daemon.finished(runs[name]), timeout=400)
    mid = daemon.instance.get_run_by_id(runs["damaged_mid"].run_id)
    assert mid.status == dg.DagsterRunStatus.SUCCESS, _step_failures(daemon.instance, mid.run_id)
    gap = _check_evaluations(daemon.instance, mid.run_id)[("video_frames", "decode_gaps")]
    assert not gap.passed and gap.severity == dg.AssetCheckSeverity.WARN and "4.00-4.50 s" in gap.description
    assert {"text_overlay", "scene_cuts", "faces", "speech_rate_summary", "audio_events", "video_profile"} <= set(_tables(daemon.store, "damaged_mid"))
    half = daemon.instance.get_run_by_id(runs["video_broken"].run_id)
    assert half.status == dg.DagsterRunStatus.FAILURE
    failures = _step_failures(daemon.instance, half.run_id)
    assert set(failures) == {"video_frames"} and "no decodable video frames" in failures["video_frames"], failures
    # The sensor's next tick makes the insights of what it has: its profile row names what failed.
    partial = daemon.wait("the insights run of video_broken", lambda: next(iter(daemon.runs(**{"video_assets/partial_of": half.run_id})), None),
                          timeout=120)
    daemon.wait("the insights run to finish", lambda: daemon.finished(partial), timeout=300)
    assert daemon.instance.get_run_by_id(partial.run_id).status == dg.DagsterRunStatus.SUCCESS
    kept = set(_tables(daemon.store, "video_broken"))
    assert {"speech_rate_summary", "audio_events", "video_profile"} <= kept and not kept & {"text_overlay", "scene_cuts", "faces"}, kept
    assert "no decodable video frames" in _tables(daemon.store, "video_broken")["video_profile"].failed.iloc[0]
    store = VideoAssetsIOManager(root=str(daemon.store))
    result = dg.materialize([corpus_report], instance=daemon.instance, resources={"io_manager": store, "corpus": VideoCorpus(root=str(corpus))})
    assert result.success
    folder = daemon.store / "corpus_report"
    page = (folder / "report.html").read_text()
    partitions = set(daemon.instance.get_dynamic_partitions("videos"))
    for key in {"video_broken", "damaged_mid"} | ({"cut"} & partitions):  # failed part-way, decoded around, failed whole (the first test's)
        assert f'<tr data-video="{key}">' in page, key
    assert all(f'href="videos/{key}.html"' in page for key in partitions), partitions
    assert "no decodable video frames" in page and "video 4.00-4.50 s" in page
    broken = (folder / "videos" / "video_broken.html").read_text()
    assert 'class="failed"' in broken and 'data-track="speech"' in broken
    assert 'class="gap"' in (folder / "videos" / "damaged_mid.html").read_text()
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert "video_broken" in metadata["failed_or_partial"].value and "damaged_mid" in metadata["decoded_around_damage"].value
    report["damaged_files"] = {"decoded_around": {"run_status": "SUCCESS", "decode_gaps": gap.description},
                               "video_undecodable": {"run_status": "FAILURE", "step_failures": failures, "tables_kept": sorted(kept)},
                               "corpus_report": "written, both named"}


def test_a_backfill_of_16_videos_through_the_daemon(tmp_path_factory, corpus_dir, artifacts):
    """The nightly backfill's requests (decoding, then analysis) over 16 missing videos, run by the
    real backfill daemon, for audio_track and speech_rate: runs and model loads counted."""
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.utils import make_new_backfill_id

    from video_assets.definitions import defs
    from video_assets.defs.schedules import backfill_requests

    root = tmp_path_factory.mktemp("backfill")
    corpus = root / "corpus"
    corpus.mkdir()
    clips = sorted(p.stem for p in corpus_dir.glob("*.mp4"))
    names = [f"v{i:02d}" for i in range(16)]
    for i, name in enumerate(names):
        _short_clip(corpus_dir / f"{clips[i % len(clips)]}.mp4", corpus / f"{name}.mp4")
    # The sensor must not launch its own runs here: files never settle for it.
    daemon = Daemon(root, corpus, os.environ["VIDEO_ASSETS_MODEL_CACHE"], VIDEO_ASSETS_SETTLE_SECONDS="1000000000",
                    VIDEO_ASSETS_VIDEOS_PER_RUN="8")  # 16 videos: two runs of 8
    graph = defs.get_repository_def().asset_graph
    selection = dg.AssetSelection.assets("audio_track", "speech_rate", "speech_rate_summary")
    measured: dict = {"videos": len(names)}
    try:
        daemon.instance.add_dynamic_partitions("videos", names)
        for part in ("decoding", "analysis"):
            [request] = backfill_requests(daemon.instance, graph, selection)
            assert request.tags["video_assets/part"] == part
            backfill = PartitionBackfill.from_asset_graph_subset(
                backfill_id=make_new_backfill_id(), backfill_timestamp=time.time(), tags=dict(request.tags),
                dynamic_partitions_store=daemon.instance, asset_graph_subset=request.asset_graph_subset,
                title=f"test: {part} of 16 videos", description=None, run_config=None,
            )
            daemon.instance.add_backfill(backfill)
            t0 = time.time()
            done = daemon.wait(f"the {part} backfill", lambda: daemon.instance.get_backfill(backfill.backfill_id).status.value
                               in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED") and daemon.instance.get_backfill(backfill.backfill_id),
                               timeout=600, every=2)
            runs = daemon.runs(**{"dagster/backfill": backfill.backfill_id})
            failed = {r.run_id: _step_failures(daemon.instance, r.run_id) for r in runs
                      if daemon.instance.get_run_by_id(r.run_id).status != dg.DagsterRunStatus.SUCCESS}
            assert done.status.value == "COMPLETED_SUCCESS" and not failed, (done.status.value, failed)
            entry = {"runs": len(runs), "wall_s": round(time.time() - t0, 1)}
            if part == "analysis":
                loads, sizes = 0, []
                for r in runs:
                    mats = [e for e in daemon.instance.all_logs(r.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
                            if e.dagster_event.asset_key == dg.AssetKey("speech_rate")]
                    loads += int(mats[0].dagster_event.event_specific_data.materialization.metadata["model_loaded_in_this_step"].value)
                    sizes.append(len(mats))
                entry |= {"videos_per_run": sorted(sizes), "whisper_loads": loads}
            measured[part] = entry
        assert backfill_requests(daemon.instance, graph, selection) == []  # nothing left
        path = artifacts / "faults.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(old | {"backfill_16_videos": measured}, indent=2))
        # Decoding and analysis: runs of VIDEO_ASSETS_VIDEOS_PER_RUN (8 here) videos, each loading its
        # models once (a batch that fails on a bad file is split by the corpus sensor: test below).
        assert measured["decoding"]["runs"] == 2, measured
        assert measured["analysis"]["runs"] == 2 and measured["analysis"]["videos_per_run"] == [8, 8], measured
        assert measured["analysis"]["whisper_loads"] == 2, measured
        assert all(len(_tables(daemon.store, n)) == 2 for n in names)
    finally:
        daemon.stop()
