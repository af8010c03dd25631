"""``make bench-ray-services``: what Ray's own processes cost with the project's node settings
(``video_assets.cluster.devcluster.NODE_ENV``, also in ``deploy/ray-cluster.yaml``) against Ray's
defaults, on a local Ray with no video to work on.

    python -m benchmark.ray_services [--rounds 2] [--window 60] [--drivers 2] [--out benchmark/results]

Why: on the Ray path every run is a Ray job whose driver is the run process, and part of Ray's
cost is paid per run (what Ray starts for each new job's driver) and part per second (its services:
GCS, raylet, dashboard and its modules, agents, log monitor), not per video. ``bench-overhead``
measures them inside a path, mixed with the work; this isolates them. Per round and setting, in
turn (interleaved): a fresh local Ray, ``SETTLE_S`` to settle, then a window of ``--window``
seconds in which ``--drivers`` drivers connect one after another and stay ``DRIVER_S`` (as run
processes do, sending no task), CPU seconds per kind of process sampled as ``bench-overhead``
does (``ProcessCpu``). The drivers stand for run processes and are left out, as is this process.
Writes ``ray_services.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmark.overhead import ProcessCpu, cpu_seconds
from video_assets.cluster import devcluster
from video_assets.runtime.settings import PROJECT_DIR

SETTLE_S = 15.0
DRIVER_S = 10.0
IDLE_WORKERS = "Ray idle workers"
# ``benchmark.overhead`` in its command line classes the driver as the benchmark's own (left out).
DRIVER = ("import ray, sys, time; ray.init(address=sys.argv[1], log_to_driver=False, logging_level='ERROR'); "
          f"time.sleep({DRIVER_S}); ray.shutdown()  # benchmark.overhead driver")
SETTINGS = {"project": devcluster.NODE_ENV, "ray defaults": {}}


def measure(node_env: dict[str, str], window: float, drivers: int) -> dict:
    """One fresh local Ray with these node settings: CPU seconds by kind of process over the window."""
    with devcluster.local_ray(node_env=node_env) as cluster:
        time.sleep(SETTLE_S)
        machine0, sampler, t0 = cpu_seconds(), ProcessCpu(), time.monotonic()
        for _ in range(drivers):
            subprocess.run([sys.executable, "-c", DRIVER, cluster.gcs], check=True, capture_output=True)
        time.sleep(max(0.0, window - (time.monotonic() - t0)))
        seconds = time.monotonic() - t0
        by_kind = sampler.stop(cpu_seconds() - machine0)
        idle_started = sum(1 for p in sampler.seen.values() if p["name"] == IDLE_WORKERS)
    services = by_kind.get("Ray services", 0.0)
    return {"window_s": round(seconds, 1), "ray_services_cpu_s": services, "idle_workers_cpu_s": by_kind.get(IDLE_WORKERS, 0.0),
            "idle_workers_started": idle_started, "by_kind": by_kind}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark.ray_services", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured per cluster")
    parser.add_argument("--drivers", type=int, default=2, help="drivers (runs) that connect in the window")
    parser.add_argument("--out", default=str(PROJECT_DIR / "benchmark" / "results"))
    args = parser.parse_args(argv)
    samples: dict[str, list[dict]] = {name: [] for name in SETTINGS}
    for i in range(args.rounds):
        for name, env in SETTINGS.items():
            got = measure(env, args.window, args.drivers)
            samples[name].append(got)
            print(f"round {i + 1}, {name}: {json.dumps(got)}", flush=True)
    from benchmark.__main__ import machine

    host = machine()
    rows = []
    for name, runs in samples.items():
        med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
        rows.append({"setting": name, "node_env": SETTINGS[name], "rounds": len(runs),
                     "ray_services_cpu_s_per_min": round(60 * med("ray_services_cpu_s") / med("window_s"), 2),
                     "idle_workers_cpu_s_per_driver": round(med("idle_workers_cpu_s") / args.drivers, 2),
                     "idle_workers_started_per_driver": round(med("idle_workers_started") / args.drivers, 2), "samples": runs})
    report = {"machine": f"{host['cpu']}, {host['cores']} cores", "date": time.strftime("%Y-%m-%d"),
              "window_s": args.window, "drivers": args.drivers, "rows": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ray_services.json").write_text(json.dumps(report, indent=2))
    (out / "ray_services.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict) -> str:
    lines = [f"`make bench-ray-services` on {report['machine']}, {report['date']}: a fresh local Ray per setting and round "
             f"(interleaved), {report['window_s']:.0f} s measured after {SETTLE_S:.0f} s to settle, {report['drivers']} drivers "
             f"connecting in turn for {DRIVER_S:.0f} s each (as run processes do); medians.", "",
             "| node settings | rounds | Ray services CPU-s per minute | idle workers started per driver | their CPU-s per driver |",
             "|---|---|---|---|---|"]
    for r in report["rows"]:
        env = ", ".join(f"`{k}={v}`" for k, v in r["node_env"].items()) or "Ray's defaults"
        lines.append(f"| {r['setting']} ({env}) | {r['rounds']} | {r['ray_services_cpu_s_per_min']} | "
                     f"{r['idle_workers_started_per_driver']} | {r['idle_workers_cpu_s_per_driver']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
