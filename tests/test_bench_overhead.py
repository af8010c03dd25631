"""``make bench-overhead``'s CPU breakdown: a process's CPU lands in its class, and what the samples
miss is reported as unattributed, not spread over the classes."""

import subprocess
import sys
import time

from benchmark.overhead import ProcessCpu, cpu_seconds, markdown

# Burns about 1 CPU-second; "execute_run" in its command line makes it a run process.
BURN = "import time  # execute_run\nt = time.process_time()\nwhile time.process_time() - t < 1.0:\n    pass\ntime.sleep(0.8)\n"


def test_a_child_process_cpu_lands_in_its_class():
    cpu0, sampler = cpu_seconds(), ProcessCpu(interval=0.2)
    subprocess.run([sys.executable, "-c", BURN], check=True)
    time.sleep(0.3)
    machine = cpu_seconds() - cpu0
    by_class = sampler.stop(machine)
    assert 0.8 <= by_class["run processes"] <= 1.4, by_class
    assert abs(sum(by_class.values()) - machine) < 0.3  # the classes and the remainder add up to the machine's CPU


# A long-lived parent (a raylet, a code server) of four children of a quarter second each, mostly
# gone between two samples of a one-second sampler: their CPU comes back through the parent's
# reaped-children counters.
PARENT = ("import subprocess, sys  # execute_run\n"
          "child = 'import time  # execute_run\\nt = time.process_time()\\nwhile time.process_time() - t < 0.2:\\n    pass'\n"
          "for _ in range(4):\n    subprocess.run([sys.executable, '-c', child], check=True)\n"
          "import time\ntime.sleep(1.5)\n")


def test_short_lived_children_count_to_their_parent():
    cpu0, sampler = cpu_seconds(), ProcessCpu(interval=1.0)
    subprocess.run([sys.executable, "-c", PARENT], check=True)
    time.sleep(0.2)
    by_class = sampler.stop(cpu_seconds() - cpu0)
    assert 0.8 <= by_class["run processes"] <= 1.6, by_class


# A long-lived parent (a Ray job supervisor) runs a shell that runs a run process, as Ray runs a
# job's entrypoint: the run process's CPU is sampled while it lives, then comes back through the
# shell's and the parent's reaped-children counters; it must be counted once.
SUPERVISOR = ("import subprocess, time  # dagster-daemon\n"
              "subprocess.run(['sh', '-c', '\"$PY\" \"$BURN_FILE\"; true'], check=True)\n"
              "time.sleep(1.0)\n")


def test_a_grandchild_is_counted_once(tmp_path):
    import os

    burn = tmp_path / "execute_run.py"  # the name makes it a run process; the parents' command lines do not hold it
    burn.write_text(BURN)
    cpu0, sampler = cpu_seconds(), ProcessCpu(interval=0.2)
    subprocess.run([sys.executable, "-c", SUPERVISOR], check=True, env={**os.environ, "PY": sys.executable, "BURN_FILE": str(burn)})
    time.sleep(0.3)
    machine = cpu_seconds() - cpu0
    by_class = sampler.stop(machine)
    assert 0.8 <= by_class["run processes"] <= 1.4, by_class
    assert by_class.get("dagster-daemon", 0.0) < 0.4, by_class  # not the run process's CPU again
    assert abs(by_class.get("unattributed", 0.0)) < 0.4, by_class


def test_the_report_has_a_row_per_measured_path():
    row = {"mode": "daemon", "videos": 4, "videos_per_run": 4, "runs": 1, "failed_runs": 0, "wall_s": 40.0, "drop_to_done_s": 45.0,
           "analyzer_s": 20.0, "decode_s": 4.0, "cpu_s": 60.0, "analyzer_cpu_s": 40.0, "decode_cpu_s": 8.0, "model_loads_in_runs": 4,
           "cpu_by_process": {"run processes": 54.0, "unattributed": 3.6, "dagster-daemon": 2.4, "benchmark": 2.0}, "idle_cores": 0.1}
    pools = [{"name": "qwen2_vl_temporal-optimized-abc-0", "busy_s": 10.0, "busy_fraction": 0.25, "busy_fraction_steady": 0.3},
             {"name": "text_overlay-optimized-def-0", "busy_s": 30.0, "busy_fraction": 0.75, "busy_fraction_steady": 0.9}]
    ray = {**row, "mode": "ray-run-1", "pools": pools, "actor_model_loads": 4}
    text = markdown({"machine": "test", "cores": 2, "date": "today", "models": "none", "results": [row, ray]})
    assert "| path | videos | per run | run processes | unattributed | dagster-daemon | benchmark |" in text
    assert "| daemon | 4 | 4 | 13.50 | 0.90 | 0.60 | 0.50 |" in text
    # CPU busy: 60 CPU-s / (2 cores x 45 s); overhead CPU: (60 machine - 2 of the benchmark's own -
    # 40 analyzers - 8 decoding) / 4 videos; of it idle services: 0.1 cores x 45 s / 4 videos
    assert "| 4.00 | 15.0 | 67% | 2.5 | 1.1 (0.10 cores) | 4 | - | - |" in text
    assert "| 4 | 75% of wall, 90% while pools work (text_overlay) | - |" in text
