"""``make bench-scale``: a backfill of the sample corpus copied under other names (16 videos by
default), today's way (one process, in-process executor, embedded instance: ``make demo``'s path)
against the Ray executor with warm model pools (Postgres instance, each step a Ray job), with 1
pool actor per model and 1 GPU step at a time, then 2 actors and a ``gpu`` pool limit of 2 with two
runs at once. Same inputs and models in every mode; the tables of every mode are compared.

Reports wall time, model loads, and the per-step overhead of the Ray executor (launching a Ray job
until the step runs in its process). Writes benchmark/results/scale.json and benchmark/results/scale.md. On a 2-core
machine the Ray modes are expected to be slower: see the notes it writes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from video_assets.cluster import devcluster
from video_assets.runtime.settings import PROJECT_DIR

TINY_MODELS = {"VIDEO_ASSETS_QWEN_BASELINE": "random:tiny", "VIDEO_ASSETS_QWEN_OPTIMIZED": "random:tiny",
               "VIDEO_ASSETS_YOLO_BASELINE": "random:yolov8l", "VIDEO_ASSETS_YOLO_OPTIMIZED": "random:yolov8l"}
FAMILIES = ("qwen", "yolo", "ocr", "speech_models")


def fractions(actors: int) -> str:
    """A logical GPU of 1 must hold every family's actors at once (4 x actors of them): with 0.2
    each, the 2-actor mode's 8 actors asked for 1.6 GPUs and half of them were never placed."""
    share = round(1 / (len(FAMILIES) * actors), 4)
    return ",".join(f"{f}={share}" for f in FAMILIES)

IN_PROCESS = r"""
import json, sys, time
import dagster as dg
from video_assets.definitions import defs
keys = sys.argv[1].split(",")
instance = dg.DagsterInstance.get()
instance.add_dynamic_partitions("videos", keys)
job = defs.resolve_job_def("corpus_job")
t0, ok = time.perf_counter(), 0
for key in keys:
    ok += job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False).success
print(json.dumps({"wall_s": time.perf_counter() - t0, "succeeded": ok}))
"""


def make_corpus(folder: Path, copies: int) -> list[str]:
    from video_assets.sample.build import ensure_corpus

    source = PROJECT_DIR / "data" / "sample_corpus"
    ensure_corpus(source)
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for i in range(copies):
        for clip in sorted(source.glob("*.mp4")):
            key = f"{clip.stem}_copy{i}"
            shutil.copyfile(clip, folder / f"{key}.mp4")
            keys.append(key)
    return keys


def _events(instance, run_ids: list[str]) -> dict:
    """Model loads, and launch-to-start latency of every step (Ray job submission to step process)."""
    import dagster as dg

    launch, start, loads, steps = {}, {}, 0, 0
    for run_id in run_ids:
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event is None:
                continue
            key = (run_id, event.step_key)
            if event.event_type == dg.DagsterEventType.STEP_WORKER_STARTING:
                launch.setdefault(key, record.timestamp)
            elif event.event_type == dg.DagsterEventType.STEP_START:
                start.setdefault(key, record.timestamp)
                steps += 1
            elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                md = event.event_specific_data.materialization.metadata
                loads += bool(md.get("model_loaded_in_this_step") and md["model_loaded_in_this_step"].value)
    overhead = [start[k] - launch[k] for k in start if k in launch]
    return {"steps": steps, "model_loads_in_steps": loads,
            "step_launch_overhead_s": {"median": round(statistics.median(overhead), 2), "max": round(max(overhead), 2)} if overhead else None}


def compare(a: Path, b: Path) -> dict:
    """Every stored table of ``a`` equals ``b``'s: same rows, columns and dtypes, floats within
    pandas' default relative tolerance (1e-5; thread counts differ between a step and an actor)."""
    import pandas as pd

    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet") if not p.name.endswith(".frames.parquet"))
    differ = []
    for p in files:
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(b / p), pd.read_parquet(a / p))
        except (AssertionError, FileNotFoundError):
            differ.append(str(p))
    return {"tables": len(files), "differ": differ}


def run_mode(name: str, keys: list[str], env: dict, work: Path, actors: int = 0, concurrent: int = 1, gcs: str = "") -> dict:
    import dagster as dg

    storage = work / name / "storage"
    env = {**env, "VIDEO_ASSETS_STORAGE": str(storage)}
    t0 = time.perf_counter()
    if not actors:
        home = work / name / "home"
        home.mkdir(parents=True)
        shutil.copyfile(PROJECT_DIR / "dagster.yaml", home / "dagster.yaml")
        env["DAGSTER_HOME"] = str(home)
        out = subprocess.run([sys.executable, "-c", IN_PROCESS, ",".join(keys)], env=env, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-2000:])
    else:
        chunks = [keys[i::concurrent] for i in range(concurrent)]
        procs = [subprocess.Popen([sys.executable, "-m", "video_assets.cluster.executor", "run", "corpus_job", *chunk], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for chunk in chunks]
        for p in procs:
            _, err = p.communicate()
            if p.returncode:
                raise RuntimeError(err[-2000:])
    wall = time.perf_counter() - t0
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    os.environ.update({k: v for k, v in env.items() if k.startswith("VIDEO_ASSETS_PG_")})
    with dg.DagsterInstance.get() as instance:
        runs = [r.run_id for r in instance.get_runs() if r.job_name == "corpus_job"]
        failed = [r.run_id for r in instance.get_runs() if r.job_name == "corpus_job" and r.status != dg.DagsterRunStatus.SUCCESS]
        stats = _events(instance, runs)
    result = {"mode": name, "videos": len(keys), "runs": len(runs), "failed_runs": len(failed), "wall_s": round(wall, 1),
              "s_per_video": round(wall / len(keys), 2), **stats, "pool_actors_per_model": actors, "concurrent_runs": concurrent}
    if actors:
        import ray

        from resources.ray_pool import NAMESPACE, list_pools, prune

        ray.init(address=gcs, namespace=NAMESPACE, log_to_driver=False, logging_level="ERROR")
        pools = list_pools()
        result["actor_model_loads"] = sum(p["loads"] for p in pools)
        result["actors"] = [{k: p[k] for k in ("name", "pid", "load_seconds", "calls")} for p in pools]
        prune()  # the next mode starts cold, like a deploy
        ray.shutdown()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of the sample corpus (5 clips each)")
    parser.add_argument("--videos", type=int, default=16, help="the first N of the copies (the issue's backfill: 16)")
    parser.add_argument("--out", default=str(PROJECT_DIR / "benchmark" / "results"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="va-scale-"))
    keys = make_corpus(work / "corpus", args.copies)[: args.videos]
    base_env = {**os.environ, **TINY_MODELS, "VIDEO_ASSETS_CORPUS": str(work / "corpus"), "VIDEO_ASSETS_DEVICE": "cpu",
                "VIDEO_ASSETS_MODEL_CACHE": os.environ.get("VIDEO_ASSETS_MODEL_CACHE", str(PROJECT_DIR / "data" / "model_cache")),
                "PYTHONWARNINGS": "ignore"}
    results = []
    print(f"{len(keys)} videos; work folder {work}", flush=True)
    results.append(run_mode("in-process", keys, base_env, work))
    print(json.dumps(results[-1]), flush=True)
    with devcluster.postgres() as pg, devcluster.local_ray() as ray_cluster:
        for actors in (1, 2):
            name = f"ray-{actors}-actor"
            db = f"scale{actors}"
            devcluster.create_database(pg, db)
            settings = {**pg, "VIDEO_ASSETS_PG_DB": db}
            home = devcluster.postgres_home(work / name / "home", settings, gpu_limit=actors)
            env = {**base_env, **settings, "DAGSTER_HOME": str(home), "VIDEO_ASSETS_RAY_ADDRESS": ray_cluster.dashboard,
                   "VIDEO_ASSETS_POOL_ACTORS": str(actors), "VIDEO_ASSETS_POOL_GPUS": fractions(actors)}
            results.append(run_mode(name, keys, env, work, actors=actors, concurrent=2 if actors > 1 else 1, gcs=ray_cluster.gcs))
            print(json.dumps(results[-1]), flush=True)
    for r in results[1:]:
        r["tables_vs_in_process"] = compare(work / "in-process" / "storage", work / r["mode"] / "storage")
    from benchmark.__main__ import machine

    host = machine()
    report = {"machine": f"{host['cpu']}, {host['cores']} cores, no GPU (Ray's logical GPU)", "date": time.strftime("%Y-%m-%d"),
              "models": "random-init tiny Qwen2-VL, YOLOv8l; RapidOCR PP-OCRv6 small (text_overlay optimized on a CPU), faster-whisper base (real)", "results": results}
    out = Path(args.out)
    (out / "scale.json").write_text(json.dumps(report, indent=2))
    (out / "scale.md").write_text(markdown(report))
    print(markdown(report))
    shutil.rmtree(work, ignore_errors=True)
    return 0


def markdown(report: dict) -> str:
    lines = [f"Backfill of the sample corpus x copies on {report['machine']}, {report['date']} (`make bench-scale`).", "",
             "| mode | videos | wall s | s / video | model loads | step launch overhead s (median / max) | tables equal to in-process |",
             "|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        loads = r.get("actor_model_loads", r["model_loads_in_steps"])
        over = r["step_launch_overhead_s"]
        over_s = f"{over['median']} / {over['max']}" if over and r.get("pool_actors_per_model") else "none (same process)"
        cmp = r.get("tables_vs_in_process")
        eq = "reference" if cmp is None else (f"yes ({cmp['tables']} tables)" if not cmp["differ"] else f"NO: {len(cmp['differ'])} differ")
        lines.append(f"| {r['mode']} | {r['videos']} | {r['wall_s']} | {r['s_per_video']} | {loads} | {over_s} | {eq} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
