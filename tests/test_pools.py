"""The ``gpu`` pool, with two overlapping runs in two processes on one instance configured by the
repository's own dagster.yaml: their GPU steps never overlap, the later run's GPU step waits with
Dagster's "blocked by limit for pool gpu" event, and its CPU step (audio decoding) runs meanwhile.

Run A is a backfill-shaped run (speech_rate and speech_rate_baseline over the four sample videos in
one step each); run B, started once A holds the GPU, decodes one video's audio and wants the GPU
too. The timeline is written to test-artifacts/pool_timeline.md.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, time
from pathlib import Path
import dagster as dg
from video_assets.definitions import ALL_ASSETS, analyzer_asset, default_resources
from video_assets.defs.assets import ingest

go, name, keys = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
instance = dg.DagsterInstance.get()
if name == "A":  # audio first, one run per video, before the overlap starts
    for key in keys:
        assert dg.materialize(ALL_ASSETS, selection=[ingest.audio_track], partition_key=key, instance=instance,
                              resources=default_resources()).success
Path(f"{go}.ready").touch()
while not go.exists():
    time.sleep(0.05)
if name == "A":
    tags = {"demo": "A", "dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
    result = dg.materialize(ALL_ASSETS, selection=[analyzer_asset("speech_rate"), analyzer_asset("speech_rate", "baseline")], instance=instance,
                            resources=default_resources(), tags=tags)
else:
    result = dg.materialize(ALL_ASSETS, selection=[ingest.audio_track, analyzer_asset("speech_rate")], partition_key=keys[0],
                            instance=instance, resources=default_resources(), tags={"demo": "B"})
sys.exit(0 if result.success else 1)
"""

GPU_STEPS = {"speech_rate", "speech_rate_baseline"}


def _wait_for(path: Path, procs, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while not path.exists():
        for p in procs:
            assert p.poll() is None, f"child exited early: {p.communicate()[0][-3000:]}"
        assert time.time() < deadline, f"timed out waiting for {path.name}"
        time.sleep(0.1)


def _run_of(instance: dg.DagsterInstance, name: str):
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"demo": name}))
    return runs[0] if runs else None


def _steps(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, float]]:
    """step key -> {start, end, blocked (first 'blocked by limit for pool' time)}"""
    steps: dict[str, dict[str, float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        rec = steps.setdefault(event.step_key, {})
        if event.event_type == dg.DagsterEventType.STEP_START:
            rec["start"] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            rec["end"] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.ENGINE_EVENT and "blocked by limit for pool gpu" in (entry.user_message or ""):
            rec.setdefault("blocked", entry.timestamp)
    return steps


def test_two_overlapping_runs_share_the_gpu_pool_one_step_at_a_time(corpus_dir, tmp_path, artifacts):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    # Run A over four videos: long enough for B to start and wait while A holds the slot (the whole
    # corpus only made the wait longer).
    keys = sorted(p.stem for p in corpus_dir.glob("*.mp4"))[:4]
    instance = dg.DagsterInstance.from_config(str(home))
    instance.add_dynamic_partitions("videos", keys)
    assert instance.event_log_storage.supports_global_concurrency_limits

    env = {**os.environ, "DAGSTER_HOME": str(home), "VIDEO_ASSETS_STORAGE": str(tmp_path / "storage"),
           "VIDEO_ASSETS_CORPUS": str(corpus_dir), "PYTHONPATH": str(REPO)}
    go_a, go_b = tmp_path / "go_a", tmp_path / "go_b"
    procs = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(go), name, ",".join(k)], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for go, name, k in ((go_a, "A", keys), (go_b, "B", keys[:1]))
    ]
    try:
        _wait_for(Path(f"{go_a}.ready"), procs)
        _wait_for(Path(f"{go_b}.ready"), procs)
        go_a.touch()
        # B starts once A's first GPU step has started (A then holds the only slot).
        deadline = time.time() + 300
        while True:
            run_a = _run_of(instance, "A")
            if run_a and any("start" in s for k, s in _steps(instance, run_a.run_id).items() if k in GPU_STEPS):
                break
            assert procs[0].poll() is None and time.time() < deadline, procs[0].communicate()[0][-3000:]
            time.sleep(0.05)
        go_b.touch()
        outputs = [p.communicate(timeout=600)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-3000:] for o in outputs)

    a, b = (_steps(instance, _run_of(instance, n).run_id) for n in ("A", "B"))
    gpu = sorted((s["start"], s["end"], f"{run}:{k}") for run, steps in (("A", a), ("B", b)) for k, s in steps.items() if k in GPU_STEPS)
    assert len(gpu) == 3
    for (s1, e1, n1), (s2, e2, n2) in zip(gpu, gpu[1:]):
        assert e1 <= s2, f"{n1} and {n2} held the GPU at the same time"
    assert "blocked" in b["speech_rate"], "run B's GPU step never waited for the pool"
    a_gpu_end = max(s["end"] for k, s in a.items() if k in GPU_STEPS)
    assert b["audio_track"]["end"] < a_gpu_end, "run B's CPU step should run while run A holds the GPU"

    t0 = min(s["start"] for steps in (a, b) for s in steps.values() if "start" in s)
    lines = ["| run | step | pool | blocked at s | start s | end s |", "|---|---|---|---|---|---|"]
    for run, steps in (("A", a), ("B", b)):
        for k, s in sorted(steps.items(), key=lambda kv: kv[1].get("start", 0)):
            blocked = f"{s['blocked'] - t0:.2f}" if "blocked" in s else ""
            lines.append(f"| {run} | {k} | {'gpu' if k in GPU_STEPS else '-'} | {blocked} | {s['start'] - t0:.2f} | {s['end'] - t0:.2f} |")
    (artifacts / "pool_timeline.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def test_on_a_cluster_each_analyzer_preset_claims_its_own_pool(monkeypatch):
    """On Ray the models live in each preset's warm actors: a step needs its own pool's slot, not
    one shared by every model step (which kept all but one pool idle)."""
    from video_assets.analyzers import ANALYZERS
    from video_assets.defs.assets.analysis import build_analyzer_assets

    by_name = {a.name: a for a in ANALYZERS}
    text, cuts = by_name["text_overlay"], by_name["scene_cuts"]
    monkeypatch.delenv("VIDEO_ASSETS_RAY_ADDRESS", raising=False)
    assert build_analyzer_assets(text, "optimized", "m").op.pool == "gpu"
    monkeypatch.setenv("VIDEO_ASSETS_RAY_ADDRESS", "http://head:8265")
    assert build_analyzer_assets(text, "optimized", "m").op.pool == "gpu/text_overlay"
    assert build_analyzer_assets(text, "baseline", "m").op.pool == "gpu/text_overlay_baseline"
    assert build_analyzer_assets(cuts, "optimized", "m").op.pool is None
