"""Scale-out on one 2-core machine (docs/cluster.md): a throwaway Postgres 15 instance
(``deploy/dagster.yaml``) and a local Ray with a logical GPU (``video_assets.cluster.devcluster``); runs
of ``corpus_job`` execute their steps in the run's process (as dagster-ray's run launcher runs them
on the cluster), with the analyzers' models in warm Ray actor pools (``resources/ray_pool.py``).
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from video_assets.cluster import devcluster
from video_assets.analyzers import ANALYZERS
from video_assets.cluster.executor import ClusterUnreachable, check_ray, open_instance

KEYS = ["quiet_coffee", "caption_drill"]
TINY_QWEN = {"VIDEO_ASSETS_QWEN_BASELINE": "random:tiny", "VIDEO_ASSETS_QWEN_OPTIMIZED": "random:tiny"}
# Every family's actor must fit the one logical GPU at once.
FRACTIONS = "qwen=0.25,yolo=0.25,ocr=0.25,speech_models=0.25"
GPU_STEPS = {a.main_key() for a in ANALYZERS if a.uses_gpu}


def test_an_unreachable_or_missing_cluster_fails_fast_naming_the_setting(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(ClusterUnreachable, match="VIDEO_ASSETS_RAY_ADDRESS"):
        check_ray(f"http://127.0.0.1:{devcluster.free_port()}")
    with pytest.raises(ClusterUnreachable, match="VIDEO_ASSETS_RAY_ADDRESS is not set"):
        check_ray("")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, **TINY_QWEN, "DAGSTER_HOME": str(home), "VIDEO_ASSETS_RAY_ADDRESS": f"http://127.0.0.1:{devcluster.free_port()}"}
    out = subprocess.run([sys.executable, "-m", "video_assets.cluster.executor", "run", "corpus_job", "quiet_coffee"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr[-2000:]
    assert out.stderr.strip().splitlines()[-1].startswith("error: no Ray cluster answers") and "VIDEO_ASSETS_RAY_ADDRESS" in out.stderr
    assert time.monotonic() - t0 < 120


def test_an_unreachable_postgres_fails_fast_naming_the_setting(tmp_path, monkeypatch):
    settings = {"VIDEO_ASSETS_PG_HOST": "127.0.0.1", "VIDEO_ASSETS_PG_PORT": str(devcluster.free_port()),
                "VIDEO_ASSETS_PG_USER": "dagster", "VIDEO_ASSETS_PG_PASSWORD": "", "VIDEO_ASSETS_PG_DB": "dagster"}
    home = devcluster.postgres_home(tmp_path, settings)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for k, v in settings.items():
        monkeypatch.setenv(k, v)
    t0 = time.monotonic()
    with pytest.raises(ClusterUnreachable, match="VIDEO_ASSETS_PG_HOST"):
        open_instance()
    monkeypatch.delenv("VIDEO_ASSETS_PG_DB")
    with pytest.raises(ClusterUnreachable, match="VIDEO_ASSETS_PG_DB"):
        open_instance()
    assert time.monotonic() - t0 < 15


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, corpus_dir):
    """Postgres + local Ray + the environment a driver on this cluster has; reference tables of
    the in-process executor on the embedded instance (today's path) for KEYS."""
    import ray

    from resources.ray_pool import NAMESPACE

    work = tmp_path_factory.mktemp("scale")
    saved = dict(os.environ)
    with devcluster.postgres() as pg, devcluster.local_ray() as local:
        os.environ.update(pg)
        home = devcluster.postgres_home(work / "home", pg)
        os.environ["DAGSTER_HOME"] = str(home)  # this process reads the runs' events
        env = {**os.environ, **TINY_QWEN, "DAGSTER_HOME": str(home), "VIDEO_ASSETS_RAY_ADDRESS": local.dashboard,
               "VIDEO_ASSETS_POOL_GPUS": FRACTIONS, "VIDEO_ASSETS_RETRY_DELAY_S": "1", "VIDEO_ASSETS_CORPUS": str(corpus_dir),
               "VIDEO_ASSETS_STORAGE": str(work / "ray-store")}
        reference = work / "in-process-store"
        ref_home = work / "ref-home"
        ref_home.mkdir()
        (ref_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        ref_env = {k: v for k, v in env.items() if k != "VIDEO_ASSETS_RAY_ADDRESS"} | {
            "VIDEO_ASSETS_STORAGE": str(reference), "DAGSTER_HOME": str(ref_home)}
        code = ("import dagster as dg, sys\nfrom video_assets.definitions import defs\ni = dg.DagsterInstance.get()\n"
                "i.add_dynamic_partitions('videos', sys.argv[1:])\nj = defs.resolve_job_def('corpus_job')\n"
                "sys.exit(0 if all(j.execute_in_process(partition_key=k, instance=i).success for k in sys.argv[1:]) else 1)")
        out = subprocess.run([sys.executable, "-c", code, *KEYS], env=ref_env, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr[-3000:]
        ray.init(address=local.gcs, namespace=NAMESPACE, log_to_driver=False, logging_level="ERROR")
        try:
            yield {"env": env, "home": home, "store": work / "ray-store", "reference": reference}
        finally:
            ray.shutdown()
            os.environ.clear()
            os.environ.update(saved)


def _drive(cluster, *keys) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "video_assets.cluster.executor", "run", "corpus_job", *keys], env=cluster["env"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, (out + err)[-3000:]
    return out


def _assert_same_tables(cluster, keys):
    names = 0
    for ref in cluster["reference"].rglob("*.parquet"):
        if ref.name.endswith(".frames.parquet") or ref.stem.split(".")[0] not in keys:
            continue
        got = cluster["store"] / ref.relative_to(cluster["reference"])
        pd.testing.assert_frame_equal(pd.read_parquet(got), pd.read_parquet(ref), obj=str(ref.relative_to(cluster["reference"])))
        names += 1
    assert names >= 5 * len(keys)  # a main table per analyzer and video, at least
    assert not [p for p in cluster["store"].rglob("*") if ".tmp-" in p.name]  # no half-written file


def _pools():
    from resources.ray_pool import list_pools

    return {p["name"].rsplit("-", 2)[0]: p for p in list_pools()}


def _runs(instance, since: float):
    return [r for r in instance.get_run_records() if r.dagster_run.job_name == "corpus_job" and r.create_timestamp.timestamp() >= since]


@pytest.mark.slow
def test_corpus_job_on_ray_gives_the_in_process_tables_and_loads_each_model_once(cluster, artifacts):
    _finish(_drive(cluster, KEYS[0], KEYS[1], KEYS[0]))  # three runs
    _assert_same_tables(cluster, KEYS)
    pools = _pools()
    assert set(pools) == {f"{a.name}-optimized" for a in ANALYZERS if a.model}  # every model family, faces and audio_events too
    report = {name: {k: p[k] for k in ("pid", "loads", "calls", "load_seconds", "model")} for name, p in pools.items()}
    (artifacts / "ray_pool_loads.json").write_text(json.dumps({"runs": 3, "pools": report}, indent=2))
    assert all(p["loads"] == 1 and p["calls"] == 3 for p in pools.values()), report
    # Every step of the three runs was served by that same actor process and loaded nothing itself.
    import dagster as dg

    ahead: dict[str, int] = {}
    with open_instance() as instance:
        for name, pool in pools.items():
            key = dg.AssetKey(name.split("-")[0])
            events = instance.fetch_materializations(key, limit=10).records
            assert len(events) == 3
            for record in events:
                md = record.asset_materialization.metadata
                assert md["model_pool_actor_pid"].value == pool["pid"] and md["model_loaded_in_this_step"].value is False
                ahead[record.run_id] = ahead.get(record.run_id, 0) + md["partitions_sent_ahead"].value
    # In each run the first pooled step sent every other pooled step its video (each computed once: calls == 3).
    assert list(ahead.values()) == [len(pools) - 1] * 3, ahead


@pytest.mark.slow
def test_steps_of_two_overlapping_runs_queue_per_analyzer_pool(cluster):
    import dagster as dg

    since = time.time()
    first, second = _drive(cluster, KEYS[0]), _drive(cluster, KEYS[1])
    _finish(first), _finish(second)
    with open_instance() as instance:
        runs = _runs(instance, since)
        assert len(runs) == 2
        spans, blocked = [], 0
        for run in runs:
            start = {}
            for record in instance.all_logs(run.dagster_run.run_id):
                event = record.dagster_event
                if event is None or event.step_key not in GPU_STEPS:
                    continue
                if event.event_type == dg.DagsterEventType.STEP_START:
                    start[event.step_key] = record.timestamp
                elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
                    spans.append((start[event.step_key], record.timestamp, run.dagster_run.run_id, event.step_key))
                elif event.event_type == dg.DagsterEventType.ENGINE_EVENT and "pool gpu/" in (record.message or ""):
                    blocked += 1
    assert len(spans) == 2 * len(GPU_STEPS)
    for step in GPU_STEPS:  # one step of an analyzer at a time (its pool's one actor), across both runs
        mine = sorted(s for s in spans if s[3] == step)
        assert mine[0][1] <= mine[1][0], mine
    assert blocked > 0  # the second run waited for a pool, in Dagster, under the analyzer's own pool name


@pytest.mark.slow
def test_killing_a_pool_actor_mid_step_retries_the_step_with_complete_tables(cluster):
    import dagster as dg
    import ray

    from resources.ray_pool import NAMESPACE

    before = _pools()
    if len(before) < 4:  # run on its own: warm the pools first
        _finish(_drive(cluster, KEYS[1]))
        before = _pools()
    since = time.time()
    killed: list[str] = []

    # The pool with the longest calls, killed in the first half of one: a call that ends between
    # the look and the kill would leave nothing to retry (seen once in CI, on a short call).
    victim = max(before, key=lambda n: before[n]["busy_s"] / max(1, before[n]["calls"]))
    mean_call = before[victim]["busy_s"] / max(1, before[victim]["calls"])
    handle = ray.get_actor(before[victim]["name"], namespace=NAMESPACE)

    def kill_when_busy():
        """The actor says when its running call began (``info`` answers while ``process`` runs;
        the state API lags too much to tell)."""
        deadline = time.time() + 600
        while time.time() < deadline and not killed and proc.poll() is None:
            ready, _ = ray.wait([handle.info.remote()], timeout=1.0)
            since_call = ray.get(ready[0])["running_since"] if ready else None
            if since_call is not None and time.time() - since_call < mean_call / 2:
                ray.kill(handle, no_restart=False)
                killed.append(victim)
            time.sleep(0.02)

    proc = _drive(cluster, KEYS[0])
    watcher = threading.Thread(target=kill_when_busy)
    watcher.start()
    _finish(proc)
    watcher.join()
    assert killed, f"{victim} (calls of {mean_call:.1f} s) was never seen early in a call"
    after = _pools()
    assert after[victim]["pid"] != before[victim]["pid"] and after[victim]["loads"] == 1  # restarted, loaded once again
    with open_instance() as instance:
        [run] = _runs(instance, since)
        types = [r.dagster_event.event_type for r in instance.all_logs(run.dagster_run.run_id) if r.dagster_event]
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY in types and run.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    _assert_same_tables(cluster, [KEYS[0]])


@pytest.mark.slow
def test_a_ray_job_per_step_gives_the_same_tables(cluster):
    """``VIDEO_ASSETS_RAY_STEPS=job``: dagster-ray's ray_executor, every step its own Ray job; none sends ahead (its refs would die with its process)."""
    import dagster as dg

    since = time.time()
    env = {**cluster["env"], "VIDEO_ASSETS_RAY_STEPS": "job"}
    proc = subprocess.Popen([sys.executable, "-m", "video_assets.cluster.executor", "run", "corpus_job", KEYS[1]], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _finish(proc)
    _assert_same_tables(cluster, [KEYS[1]])
    with open_instance() as instance:
        [run] = _runs(instance, since)
        messages = [r.user_message or "" for r in instance.all_logs(run.dagster_run.run_id)]
        ahead = [r.asset_materialization.metadata for r in instance.get_records_for_run(
            run.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records]
    in_jobs = {m.split('"')[1] for m in messages if m.startswith('Executing step "') and " in Ray job " in m}
    assert GPU_STEPS | {"video_frames", "audio_track"} <= in_jobs, messages[:20]
    assert not any("sent_ahead_to" in md for md in ahead) and {md["partitions_sent_ahead"].value for md in ahead if "model_pool" in md} == {0}


def test_a_step_hands_its_videos_to_the_least_busy_actor_in_order(cluster):
    """PoolHandle.map on two stand-in actors (the same threaded shape as ModelWorker), one of them
    held by another run's call: the step's first video goes to the free actor (not to a hash of its
    key), the free one takes most of them, results come back in the step's order, and no more than
    ``in_flight_per_actor`` x actors are sent at a time."""
    import ray

    from resources.ray_pool import PoolHandle

    @ray.remote(num_cpus=0, max_concurrency=8)
    class StandIn:
        def __init__(self):
            import threading

            self.lock, self.waiting, self.seen, self.most = threading.Lock(), 0, [], 0

        def process(self, seconds, label):
            self.waiting += 1
            self.most = max(self.most, self.waiting)
            try:
                with self.lock:
                    time.sleep(seconds)
                    self.seen.append(label)
                    return label, [], "cpu", seconds, 0.0
            finally:
                self.waiting -= 1

        def load(self):
            return self.waiting

        def log(self):
            return self.seen, self.most

    held, free = StandIn.remote(), StandIn.remote()
    other_run = held.process.remote(3.0, "other-run")
    while ray.get(held.load.remote()) == 0:
        time.sleep(0.05)
    pool = PoolHandle("stand-in", [held, free], 0.0, {}, in_flight_per_actor=1)
    out = [r[0] for r in pool.map([(0.3, f"v{i}") for i in range(6)])]
    ray.get(other_run)
    assert out == [f"v{i}" for i in range(6)]
    (held_seen, held_most), (free_seen, free_most) = ray.get([held.log.remote(), free.log.remote()])
    # While the other run holds one actor, the free one takes the step's videos.
    assert free_seen[0] == "v0" and len(free_seen) >= 4, (held_seen, free_seen)
    assert sorted(held_seen + free_seen) == sorted(out + ["other-run"])
    # At most in_flight_per_actor x actors = 2 of the step's videos sent at a time (+ the other run's call).
    assert free_most <= 2 and held_most <= 3, (free_most, held_most)
