"""``make bench-overhead``: what the machinery costs around the models, per path, for the same videos.

    python -m benchmark.overhead [--paths in-process:16 daemon:16 daemon:16:1 ray-run-1:16 ...] [--out benchmark/results]

Inputs: the sample corpus (8 clips) copied under other names to each size. Paths, one after another
on the same machine, each with a fresh instance, storage and corpus folder:

- ``in-process``: what ``video-assets analyze`` does: one process, an ephemeral instance (events in
  memory), one ``execute_in_process`` of ``corpus_job`` per video, models loaded once for the
  process (the reference).
- ``daemon``: a real ``dagster-daemon`` on the repository's ``dagster.yaml``, reaching one
  long-lived code server of ``video_assets.definitions`` over gRPC, as ``dagster dev`` runs them;
  the videos are dropped into its corpus at once (renamed in), the corpus sensor groups them into
  runs of ``VIDEO_ASSETS_VIDEOS_PER_RUN``, the default run launcher starts one process per run.
- ``ray-run-N``: the same daemon on ``deploy/dagster.yaml`` (Postgres, a throwaway local Ray with
  a logical GPU): each run is one Ray job (dagster-ray's run launcher), its model steps send their
  videos to warm pools of N actors per model; each analyzer's ``gpu/<asset>`` pool limited to N
  (a step in flight per actor).
- ``ray-seq-N``: as ``ray-run-N`` without sending ahead (``VIDEO_ASSETS_POOL_SEND_AHEAD=0``): each
  model step sends only its own videos, so a run keeps one pool at work at a time.
- ``ray-job-N``: as ``ray-run-N`` but every step is its own Ray job (``VIDEO_ASSETS_RAY_STEPS=job``,
  dagster-ray's ``ray_executor``), the way it ran before.

Per path and size: wall seconds (the daemon paths from the first run's start to the last run's
end, and from the drop), analyzer seconds (the sum of every analyzer's ``process`` time, from the
materializations), decode seconds, overhead = wall - analyzer - decode, the machine's CPU seconds
(``/proc/stat``) and where it went by kind of process (``ProcessCpu``), model loads, the runs,
and for Ray each pool's calls and busy fraction (of the wall, and of the window in which the pools
work). The overhead CPU seconds leave out the benchmark's own process. *CPU busy*: the machine's
CPU seconds over its cores times the drop-to-done wall. *Idle services*: before the drop, the
daemon paths' services (daemon, code server, Postgres, Ray's own processes) are watched for
``IDLE_S`` with no video to work on; their idle cores times the path's wall, per video, is the
part of the overhead that is paid per second, not per video. Postgres and the local Ray
run only around the Ray paths. Every
path's tables are compared with the in-process tables of the same size, and its wall with theirs,
when that size's in-process path ran in the same invocation (``reference_wall_s``). Writes
``overhead.{json,md}``; event and library logs go to ``.bench_cache/overhead/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from video_assets.cluster import devcluster
from video_assets.runtime.settings import PROJECT_DIR

CACHE = PROJECT_DIR / ".bench_cache" / "overhead"
# Random-init weights of the real architectures (no trained YOLO or Qwen2-VL ships offline): the
# smallest of each, so the machinery is a larger share of the wall time, not a smaller one.
MODELS = {"VIDEO_ASSETS_QWEN_BASELINE": "random:tiny", "VIDEO_ASSETS_QWEN_OPTIMIZED": "random:tiny",
          "VIDEO_ASSETS_YOLO_BASELINE": "random:yolov8n", "VIDEO_ASSETS_YOLO_OPTIMIZED": "random:yolov8n"}
FAMILIES = ("qwen", "yolo", "ocr", "speech_models")
MODES = ("in-process", "daemon", "ray-run-1", "ray-run-2", "ray-seq-1", "ray-job-1")
# 4, 16 and 64 videos on the daemon and Ray paths against in-process; at 16 also 2 actors per model,
# a Ray job per step, and runs of 1 and 16 videos (what the default of 8 is chosen against).
PLAN = ("in-process:4", "daemon:4", "ray-run-1:4",
        "in-process:16", "daemon:16", "daemon:16:1", "daemon:16:16", "ray-run-1:16", "ray-run-2:16", "ray-job-1:16",
        "in-process:64", "daemon:64", "ray-run-1:64")
ANALYZER_KEYS = ("qwen2_vl_temporal", "text_overlay", "object_detection", "speech_rate", "scene_cuts")

# The CLI's way: an ephemeral instance, one run per video; the work is read from it before it goes.
IN_PROCESS = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import dagster as dg
from benchmark.overhead import _work
from video_assets.definitions import defs
keys = sys.argv[1].split(",")
instance = dg.DagsterInstance.ephemeral()
instance.add_dynamic_partitions("videos", keys)
job = defs.resolve_job_def("corpus_job")
for key in keys:
    job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False)
runs = instance.get_runs()
print(json.dumps({"runs": len(runs), "failed_runs": sum(r.status != dg.DagsterRunStatus.SUCCESS for r in runs),
                  **_work(instance, [r.run_id for r in runs])}))
"""


CLK_TCK = os.sysconf("SC_CLK_TCK")  # the unit of /proc's CPU counters


def cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq)."""
    fields = open("/proc/stat").readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / CLK_TCK


# Process classes for the CPU breakdown: the first pattern found in a process's command line names it.
# A run process is ``dagster api execute_run`` (Ray's run launcher), a child the code server spawns
# (the default run launcher: multiprocessing's spawn) or the in-process path's own process.
PROCESS_CLASSES = (("ray::DashboardAgent", "Ray services"), ("ray-dashboard-", "Ray services"), ("execute_run", "run processes"), ("multiprocessing.spawn", "run processes"),
                   ("from benchmark.overhead import _work", "run processes"), ("ray::ModelWorker", "pool actors"),
                   ("ray::JobSupervisor", "Ray job supervisors"), ("ray::IDLE", "Ray idle workers"), ("ray::", "Ray workers (other)"),
                   ("dagster-daemon", "dagster-daemon"), ("code-server", "code server"), ("api grpc", "code server"),
                   ("raylet", "Ray services"), ("gcs_server", "Ray services"), ("/ray/", "Ray services"), ("postgres", "Postgres"),
                   ("benchmark.overhead", "benchmark"))


class ProcessCpu:
    """CPU seconds per class of process (``PROCESS_CLASSES``) while a path runs, sampled from
    ``/proc/<pid>/stat`` twice a second: what the machine's CPU beyond the analyzers was spent on.
    What a process's exited children used after their last sample (or in all their life, when it
    was under one interval) comes back through the parent's reaped-children counters and is counted
    to the parent's class; what is still missing (orphans reaped by init, CPU not in any process)
    is ``unattributed``."""

    def __init__(self, interval: float = 0.5):
        import threading

        self.interval, self.seen, self.stop_flag = interval, {}, threading.Event()
        self._sample(first=True)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @staticmethod
    def _read(pid: str) -> tuple[tuple[str, str], float, float, str, str] | None:
        try:
            stat = open(f"/proc/{pid}/stat").read()
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(bytes(1), b" ").decode(errors="replace")
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        cpu, children = (int(fields[11]) + int(fields[12])) / CLK_TCK, (int(fields[13]) + int(fields[14])) / CLK_TCK
        name = next((label for pattern, label in PROCESS_CLASSES if pattern in cmd), "other")
        return (pid, fields[19]), cpu, children, name, fields[1]

    def _sample(self, first: bool = False) -> set:
        alive = set()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            got = self._read(pid)
            if got is None:
                continue
            key, cpu, children, name, ppid = got
            alive.add(key)
            old = self.seen.get(key)
            if old is None:  # a process born during the path counts from zero
                old = {"start": cpu if first else 0.0, "children_start": children if first else 0.0, "name": name, "ppid": ppid}
            self.seen[key] = {**old, "last": cpu, "children_last": children, "name": name if name != "other" else old["name"]}
        return alive

    def _loop(self) -> None:
        while not self.stop_flag.wait(self.interval):
            self._sample()

    def stop(self, machine_cpu_s: float) -> dict[str, float]:
        self.stop_flag.set()
        self.thread.join()
        alive = self._sample()
        out: dict[str, float] = {}
        # A parent's reaped-children counter holds its exited children's CPU and, through theirs,
        # their descendants' (a Ray job supervisor reaps a shell that reaped the run process). What
        # the samples saw of that subtree is counted where it was seen; only the rest, what no
        # sample caught, counts to the parent.
        exited_kids: dict[str, list] = {}
        for key, p in self.seen.items():
            if key not in alive:
                exited_kids.setdefault(p["ppid"], []).append(key)
        missed: dict = {}
        total: dict = {}

        def accounted(key, path=()) -> float:
            """A process's CPU and its reaped descendants', as far as samples and counters show."""
            if key not in total:
                p = self.seen[key]
                reaped = sum(accounted(k, path + (key,)) for k in exited_kids.get(key[0], []) if k != key and k not in path)
                missed[key] = max(0.0, p["children_last"] - p["children_start"] - reaped)
                total[key] = p["last"] - p["start"] + missed[key] + reaped
            return total[key]

        for key, p in self.seen.items():
            out[p["name"]] = out.get(p["name"], 0.0) + p["last"] - p["start"]
            if key not in missed:
                accounted(key)
        for key, value in missed.items():
            out[self.seen[key]["name"]] += value
        out["unattributed"] = machine_cpu_s - sum(out.values())
        return {k: round(v, 1) for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if abs(v) >= 0.05}


def make_corpus(folder: Path, count: int) -> list[str]:
    """``count`` videos: the sample clips in turn, copied under new names (``<clip>_<i>``)."""
    from video_assets.sample.build import ensure_corpus

    source = PROJECT_DIR / "data" / "sample_corpus"
    ensure_corpus(source)
    clips = sorted(source.glob("*.mp4"))
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for i in range(count):
        clip = clips[i % len(clips)]
        key = f"{clip.stem}_{i:03d}"
        shutil.copyfile(clip, folder / f"{key}.mp4")
        keys.append(key)
    return keys


def compare(a: Path, b: Path) -> dict:
    """Every stored table of ``a`` equals ``b``'s: same rows, columns and dtypes, floats within
    pandas' default relative tolerance (thread counts differ between a run process and an actor)."""
    import pandas as pd

    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet") if not p.name.endswith(".frames.parquet"))
    differ = []
    for p in files:
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(b / p), pd.read_parquet(a / p))
        except (AssertionError, FileNotFoundError, ValueError):
            differ.append(str(p))
    return {"tables": len(files), "differ": differ}


def _fraction(actors: int) -> str:
    """A logical GPU of 1 holds every family's actors at once."""
    share = round(1 / (len(FAMILIES) * actors), 4)
    return ",".join(f"{f}={share}" for f in FAMILIES)


def _work(instance, run_ids: list[str]) -> dict:
    """Analyzer and decode seconds (wall and CPU), model loads in run processes, videos materialized."""
    import dagster as dg

    analyzer_s = analyzer_cpu = decode_s = decode_cpu = 0.0
    loads = 0
    profiles: set[str] = set()
    for run_id in run_ids:
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            event = record.dagster_event
            key = event.asset_key.to_user_string()
            md = {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}
            partition = event.event_specific_data.materialization.partition
            if key in ("video_frames", "audio_track"):
                decode_s += float(md.get("decode_seconds", 0.0))
                decode_cpu += float(md.get("decode_cpu_seconds", 0.0))
            elif key in ANALYZER_KEYS:
                # one event per partition of a step, each with the step's per-partition table
                mine = (md.get("per_partition") or {}).get(partition, {})
                analyzer_s += float(mine.get("seconds", 0.0))
                analyzer_cpu += float(mine.get("cpu_seconds", 0.0))
                loads += bool(md.get("model_loaded_in_this_step")) and partition == sorted(md.get("per_partition") or {partition: 0})[0]
            elif key == "video_profile":
                profiles.add(partition)
    return {"analyzer_s": round(analyzer_s, 1), "analyzer_cpu_s": round(analyzer_cpu, 1), "decode_s": round(decode_s, 1),
            "decode_cpu_s": round(decode_cpu, 1), "model_loads_in_runs": loads, "videos_done": len(profiles)}


class Daemon:
    """``dagster-daemon run`` over the repository's workspace on a DAGSTER_HOME; its log in CACHE."""

    def __init__(self, home: Path, env: dict, log: Path):
        import dagster as dg

        os.environ.update({k: v for k, v in env.items() if k.startswith(("VIDEO_ASSETS_PG_", "DAGSTER_HOME"))})
        self.instance = dg.DagsterInstance.from_config(str(home))
        self.instance.get_runs(limit=1)  # create the storages before the daemon does (SQLite races)
        self.instance.get_dynamic_partitions("videos")
        self.log = open(log, "w")
        # As `dagster dev` runs it: one long-lived code server that the daemon reaches over gRPC. A
        # daemon on a python_module workspace starts a fresh code server every 60 s instead (its
        # workspace reload), each importing the code location again: 2.5-2.8 CPU-s a minute here.
        bin_dir, port = Path(sys.executable).parent, devcluster.free_port()
        self.server = subprocess.Popen([str(bin_dir / "dagster"), "code-server", "start", "-m", "video_assets.definitions",
                                        "--location-name", "video_assets", "-h", "127.0.0.1", "-p", str(port)],
                                       cwd=PROJECT_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_for_server(port)
        workspace = home / "workspace.yaml"
        workspace.write_text(json.dumps({"load_from": [{"grpc_server": {"host": "127.0.0.1", "port": port, "location_name": "video_assets"}}]}))
        self.proc = subprocess.Popen([str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)],
                                     cwd=PROJECT_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_for_server(self, port: int, timeout: float = 300) -> None:
        from dagster._grpc.client import DagsterGrpcClient

        client, deadline = DagsterGrpcClient(port=port, host="127.0.0.1"), time.time() + timeout
        while True:
            assert self.server.poll() is None, f"dagster code-server exited: see {self.log.name}"
            try:
                client.ping("")
                return
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(1)

    def wait_for_sensor_tick(self, timeout: float = 300) -> None:
        """The corpus sensor has evaluated once (an empty corpus): the code server is up."""
        from dagster._core.scheduler.instigation import InstigatorType

        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, f"dagster-daemon exited: see {self.log.name}"
            for state in self.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
                if state.name == "corpus_sensor" and self.instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1):
                    return
            time.sleep(1)
        raise TimeoutError(f"no corpus_sensor tick within {timeout} s: see {self.log.name}")

    def stop(self) -> None:
        for proc in (self.proc, self.server):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


def _drop_and_wait(daemon: Daemon, keys: list[str], staging: Path, corpus: Path, timeout: float) -> dict:
    """Rename every video into the corpus at once; wait until each has its profile (or its runs failed)."""
    import dagster as dg

    cpu0, t_drop, by_process = cpu_seconds(), time.time(), ProcessCpu()
    for key in keys:
        os.rename(staging / f"{key}.mp4", corpus / f"{key}.mp4")
    deadline = t_drop + timeout
    while time.time() < deadline:
        assert daemon.proc.poll() is None, f"dagster-daemon exited: see {daemon.log.name}"
        records = daemon.instance.get_run_records(filters=dg.RunsFilter(job_name="corpus_job"))
        if records and all(r.dagster_run.is_finished for r in records):
            if _profiled(daemon.instance, keys) >= set(keys) or _quiet(records):
                break
        time.sleep(2)
    else:
        raise TimeoutError(f"{len(keys)} videos not done within {timeout} s: see {daemon.log.name}")
    t_done, cpu1 = time.time(), cpu_seconds()
    records = daemon.instance.get_run_records(filters=dg.RunsFilter(job_name="corpus_job"))
    start = min(r.start_time for r in records if r.start_time)
    end = max(r.end_time for r in records if r.end_time)
    return {"span": (start, end), "wall_s": round(end - start, 1), "drop_to_done_s": round(t_done - t_drop, 1), "cpu_s": round(cpu1 - cpu0, 1),
            "cpu_by_process": by_process.stop(cpu1 - cpu0),
            "runs": len(records), "failed_runs": sum(r.dagster_run.status != dg.DagsterRunStatus.SUCCESS for r in records),
            "failures": _failures(daemon.instance, records), "run_ids": [r.dagster_run.run_id for r in records]}


IDLE_S = 30.0  # how long the path's services are watched with nothing to do, before the drop


def _idle(seconds: float) -> dict:
    """What the path's services cost with no video to work on (the daemon ticking its sensor, the
    code server, Postgres, the Ray cluster's own processes), in cores: a cost per second, not per
    video, so per video it shrinks as videos go faster (on a GPU machine) and grows as they go slower."""
    cpu0, by_process = cpu_seconds(), ProcessCpu()
    time.sleep(seconds)
    cpu = cpu_seconds() - cpu0
    classes = by_process.stop(cpu)
    own = classes.pop("benchmark", 0.0)
    return {"idle_cores": round((cpu - own) / seconds, 3), "idle_cores_by_process": {k: round(v / seconds, 3) for k, v in classes.items()}}


def _failures(instance, records) -> list[dict]:
    """Why each failed run failed: its failure event and the engine events that name a cause (a
    lost run worker, a failed Ray job), first line each."""
    import dagster as dg

    out = []
    for r in records:
        if r.dagster_run.status == dg.DagsterRunStatus.SUCCESS:
            continue
        lines = []
        for record in instance.all_logs(r.dagster_run.run_id):
            event = record.dagster_event
            kind = event.event_type if event else None
            if kind in (dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.STEP_FAILURE) or (
                    kind == dg.DagsterEventType.ENGINE_EVENT and any(w in (record.message or "").lower() for w in ("fail", "worker", "ray job"))):
                lines.append(f"{kind.value if kind else 'log'}: {(record.message or '').splitlines()[0][:300] if record.message else ''}")
        out.append({"run_id": r.dagster_run.run_id, "tags": {k: v for k, v in r.dagster_run.tags.items() if k.startswith(("dagster/retry", "dagster/parent", "video_assets/"))},
                    "events": lines[-8:]})
    return out


def _profiled(instance, keys: list[str]) -> set[str]:
    import dagster as dg

    return {k for k in keys if instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey("video_profile"), asset_partitions=[k]), limit=1).records}


def _quiet(records) -> bool:
    """Every run ended over 60 s ago and none was added: the sensor has nothing more to launch."""
    return bool(records) and time.time() - max(r.end_time or 0 for r in records) > 60


def run_in_process(keys: list[str], env: dict, work: Path) -> dict:
    cpu0, t0, by_process = cpu_seconds(), time.perf_counter(), ProcessCpu()
    with open(CACHE / f"{work.name}.log", "w") as log:
        out = subprocess.run([sys.executable, "-c", IN_PROCESS, ",".join(keys)], env=env, stdout=subprocess.PIPE, stderr=log,
                             text=True, cwd=PROJECT_DIR)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if out.returncode:
        raise RuntimeError(f"in-process run failed: see {log.name}")
    work_done = json.loads(out.stdout.strip().splitlines()[-1])
    return {"wall_s": round(wall, 1), "drop_to_done_s": round(wall, 1), "cpu_s": round(cpu, 1), **work_done,
            "cpu_by_process": by_process.stop(cpu)}


def run_daemon(keys: list[str], env: dict, work: Path, home: Path, timeout: float, gcs: str = "") -> dict:
    staging, corpus = work / "staging", Path(env["VIDEO_ASSETS_CORPUS"])
    corpus.mkdir(parents=True, exist_ok=True)
    daemon = Daemon(home, env, CACHE / f"{work.name}-daemon.log")
    try:
        daemon.wait_for_sensor_tick()
        idle = _idle(IDLE_S)
        result = _drop_and_wait(daemon, keys, staging, corpus, timeout) | idle
        result |= _work(daemon.instance, result.pop("run_ids"))
    finally:
        daemon.stop()
    if gcs:
        result |= _pools(gcs, result.pop("span"))
    else:
        result.pop("span")
    return result


def _pools(gcs: str, span: tuple[float, float]) -> dict:
    """Each pool actor's loads, calls and busy seconds, then the actors are killed (the next path starts cold)."""
    import ray

    from resources.ray_pool import NAMESPACE, list_pools, prune

    ray.init(address=gcs, namespace=NAMESPACE, log_to_driver=False, logging_level="ERROR")
    try:
        pools = list_pools()
        # While the pools work: from the first video any pool took to the last result any gave back,
        # so the decoding before the first video and the profile and index steps after the last
        # are left out (what a long backfill's steady state looks like from one of its ends).
        starts, ends = [p["first_start"] for p in pools if p["first_start"]], [p["last_end"] for p in pools if p["last_end"]]
        window = max(ends) - min(starts) if starts and ends else 0.0
        out = []
        for p in pools:
            active = (p["last_end"] or 0) - (p["first_start"] or 0)
            out.append({"name": p["name"], "calls": p["calls"], "loads": p["loads"], "load_s": p["load_seconds"], "busy_s": p["busy_s"],
                        # busy over the run wall (first run start to last run end), and between its own first and last call
                        "busy_fraction": round(p["busy_s"] / (span[1] - span[0]), 3),
                        "busy_fraction_steady": round(p["busy_s"] / window, 3) if window > 0 else None,
                        "busy_fraction_active": round(p["busy_s"] / active, 3) if active > 0 else None})
        prune()
        return {"actor_model_loads": sum(p["loads"] for p in pools), "pools": out, "pools_window_s": round(window, 1)}
    finally:
        ray.shutdown()


def _parse(text: str) -> tuple[int, str, int]:
    mode, size, *rest = text.split(":")
    if mode not in MODES:
        raise SystemExit(f"unknown path {mode!r}: one of {', '.join(MODES)}")
    return int(size), mode, 0 if mode == "in-process" else int(rest[0]) if rest else 8


def run_path(mode: str, size: int, per_run: int, work: Path, base: dict, pg: dict | None, cluster, timeout: float) -> dict:
    """One path for one size, on a fresh instance, storage and corpus."""
    folder = work / (f"{mode}-{size}" if mode == "in-process" else f"{mode}-{size}-{per_run}")
    keys = make_corpus(folder / "staging", size)
    env = {**base, "VIDEO_ASSETS_VIDEOS_PER_RUN": str(per_run or 1), "VIDEO_ASSETS_STORAGE": str(folder / "storage"),
           "VIDEO_ASSETS_CORPUS": str(folder / ("staging" if mode == "in-process" else "corpus"))}
    if mode == "in-process":
        result = run_in_process(keys, env, folder)
    elif mode == "daemon":
        home = folder / "home"
        home.mkdir(parents=True)
        shutil.copyfile(PROJECT_DIR / "dagster.yaml", home / "dagster.yaml")
        result = run_daemon(keys, {**env, "DAGSTER_HOME": str(home)}, folder, home, timeout)
    else:
        kind, actors = mode.split("-")[1], int(mode.split("-")[2])
        db = f"{kind}{actors}_{size}_{per_run}"
        devcluster.create_database(pg, db)
        settings = {**pg, "VIDEO_ASSETS_PG_DB": db}
        home = devcluster.postgres_home(folder / "home", settings, gpu_limit=actors)
        if kind == "job":  # the default run launcher; each step a Ray job
            text = (home / "dagster.yaml").read_text()
            (home / "dagster.yaml").write_text(text.split("run_launcher:")[0] + "concurrency:" + text.split("concurrency:", 1)[1])
        env |= {**settings, "DAGSTER_HOME": str(home), "VIDEO_ASSETS_RAY_ADDRESS": cluster.dashboard,
                "VIDEO_ASSETS_RAY_STEPS": "job" if kind == "job" else "run", "VIDEO_ASSETS_POOL_SEND_AHEAD": "0" if kind == "seq" else "1",
                "VIDEO_ASSETS_POOL_ACTORS": str(actors), "VIDEO_ASSETS_POOL_GPUS": _fraction(actors)}
        result = run_daemon(keys, env, folder, home, timeout, gcs=cluster.gcs)
    return result | {"mode": mode, "videos": size, "videos_per_run": per_run or None, "folder": folder.name}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark.overhead", description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", default=list(PLAN), metavar="PATH:VIDEOS[:PER_RUN]",
                        help=f"what to measure, in order (paths: {', '.join(MODES)}; PER_RUN is VIDEO_ASSETS_VIDEOS_PER_RUN, "
                             f"default 8); default: {' '.join(PLAN)}")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds a path may take for one size")
    parser.add_argument("--out", default=str(PROJECT_DIR / "benchmark" / "results"))
    args = parser.parse_args(argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="va-overhead-"))
    base = {**os.environ, **MODELS, "VIDEO_ASSETS_DEVICE": "cpu", "PYTHONWARNINGS": "ignore",
            "VIDEO_ASSETS_MODEL_CACHE": os.environ.get("VIDEO_ASSETS_MODEL_CACHE", str(PROJECT_DIR / "data" / "model_cache")),
            "VIDEO_ASSETS_SETTLE_SECONDS": "1", "VIDEO_ASSETS_INCOMPLETE_GRACE_SECONDS": "0"}
    results: list[dict] = []
    from contextlib import ExitStack

    runs = [_parse(p) for p in args.paths]
    # Postgres and a local Ray run only around the Ray paths, so their idle CPU is not in the others'.
    services: ExitStack | None = None
    pg = cluster = None
    for i, (size, mode, per_run) in enumerate(runs):
        if mode.startswith("ray") and services is None:
            services = ExitStack()
            pg, cluster = services.enter_context(devcluster.postgres()), services.enter_context(devcluster.local_ray(keep_logs=CACHE / "ray-logs"))
        print(f"{mode}, {size} videos{f', {per_run} per run' if per_run else ''} ...", flush=True)
        try:
            result = run_path(mode, size, per_run, work, base, pg, cluster, args.timeout)
        finally:
            if services is not None and not any(m.startswith("ray") for _s, m, _p in runs[i + 1:]):
                services.close()
                services = pg = cluster = None
        folder = result.pop("folder")
        if mode != "in-process" and (work / f"in-process-{size}").exists():
            result["tables_vs_in_process"] = compare(work / f"in-process-{size}" / "storage", work / folder / "storage")
            # the ratio is against the in-process wall of this invocation, not of a later one
            result["reference_wall_s"] = next(r["wall_s"] for r in results if r["mode"] == "in-process" and r["videos"] == size)
        results.append(result)
        print(json.dumps(result), flush=True)
        _save(results, Path(args.out))
    shutil.rmtree(work, ignore_errors=True)
    print(markdown(_report(results)))
    return 0


def _report(results: list[dict]) -> dict:
    from benchmark.__main__ import machine

    host = machine()
    return {"machine": f"{host['cpu']}, {host['cores']} cores, no GPU (Ray's logical GPU)", "cores": host["cores"], "date": time.strftime("%Y-%m-%d"),
            "models": "random-init tiny Qwen2-VL and YOLOv8n; RapidOCR PP-OCRv6 small, faster-whisper base, Silero VAD (real)",
            "results": results}


def _save(results: list[dict], out: Path) -> None:
    """Write this invocation's results over the same (path, videos, videos per run) of earlier ones
    from the same machine, so one path can be measured again without the others."""
    path = out / "overhead.json"
    earlier = json.loads(path.read_text()) if path.exists() else {}
    mine = {(r["mode"], r["videos"], r["videos_per_run"]) for r in results}
    kept = [r for r in earlier.get("results", []) if (r["mode"], r["videos"], r.get("videos_per_run")) not in mine] \
        if earlier.get("machine") == _report([])["machine"] else []
    order = {m: i for i, m in enumerate(MODES)}
    report = _report(sorted(kept + results, key=lambda r: (r["videos"], order[r["mode"]], r["videos_per_run"] or 0)))
    (out / "overhead.json").write_text(json.dumps(report, indent=2))
    (out / "overhead.md").write_text(markdown(report))


def markdown(report: dict) -> str:
    lines = [f"`make bench-overhead` on {report['machine']}, {report['date']}; models: {report['models']}.", "",
             "| path | videos | videos per run | runs | wall s | in-process wall s (same invocation) | vs in-process | drop to done s | analyzer s | decode s | overhead s / video "
             "| machine CPU s / video | CPU busy | overhead CPU s / video | of it, idle services | model loads | busiest pool busy | tables equal |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cores = report.get("cores") or os.cpu_count() or 1
    for r in report["results"]:
        n = r["videos"]
        over = (r["wall_s"] - r["analyzer_s"] - r["decode_s"]) / n
        # The benchmark's own process (polling the instance, sampling /proc) is not the path's.
        own = (r.get("cpu_by_process") or {}).get("benchmark", 0.0)
        over_cpu = (r["cpu_s"] - own - r["analyzer_cpu_s"] - r["decode_cpu_s"]) / n
        # an in-process wall of the same invocation (in-process: its own), or none
        base = r["wall_s"] if r["mode"] == "in-process" else r.get("reference_wall_s")
        ratio = f"{r['wall_s'] / base:.2f}x" if base else "-"
        loads = r.get("actor_model_loads", r["model_loads_in_runs"])
        pools = r.get("pools") or []
        busiest = max(pools, key=lambda p: p["busy_s"]) if pools else None
        steady = f", {busiest['busy_fraction_steady']:.0%} while pools work" if busiest and busiest.get("busy_fraction_steady") else ""
        busy = f"{busiest['busy_fraction']:.0%} of wall{steady} ({busiest['name'].split('-')[0]})" if busiest else "-"
        cmp = r.get("tables_vs_in_process")
        eq = "reference" if r["mode"] == "in-process" else ("-" if cmp is None else f"yes ({cmp['tables']})" if not cmp["differ"] else f"NO: {len(cmp['differ'])} differ")
        failed = f" ({r['failed_runs']} failed)" if r["failed_runs"] else ""
        # the services' idle cores over the path's time, per video (none on the in-process path)
        idle = f"{r['idle_cores'] * r['drop_to_done_s'] / n:.1f} ({r['idle_cores']:.2f} cores)" if "idle_cores" in r else "-"
        lines.append(f"| {r['mode']} | {n} | {r.get('videos_per_run') or 1} | {r['runs']}{failed} | {r['wall_s']} | {base if r['mode'] != 'in-process' and base else '-'} | {ratio} | {r['drop_to_done_s']} | {r['analyzer_s']} | {r['decode_s']} "
                     f"| {over:.2f} | {r['cpu_s'] / n:.1f} | {r['cpu_s'] / (cores * r['drop_to_done_s']):.0%} | {over_cpu:.1f} | {idle} | {loads} | {busy} | {eq} |")
    lines += ["", "Where the machine's CPU went, CPU-s per video by process (sampled from `/proc/<pid>/stat`; *run processes* "
              "hold the decoding, and the analyzers outside Ray; a process's exited children count to it; *unattributed*: the "
              "machine's total minus the processes', negative where the processes' counters ran ahead of `/proc/stat`'s), "
              "rows measured since the breakdown was added:", ""]
    rows = [r for r in report["results"] if r.get("cpu_by_process")]
    classes = sorted({k for r in rows for k in r["cpu_by_process"]}, key=lambda k: -sum(r["cpu_by_process"].get(k, 0) / r["videos"] for r in rows))
    lines += ["| path | videos | per run | " + " | ".join(classes) + " |", "|---|---|---|" + "---|" * len(classes)]
    for r in rows:
        cells = " | ".join(f"{r['cpu_by_process'].get(k, 0.0) / r['videos']:.2f}" for k in classes)
        lines.append(f"| {r['mode']} | {r['videos']} | {r.get('videos_per_run') or 1} | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
