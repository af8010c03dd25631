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


def test_the_report_has_a_row_per_measured_path():
    row = {"mode": "daemon", "videos": 4, "videos_per_run": 4, "runs": 1, "failed_runs": 0, "wall_s": 40.0, "drop_to_done_s": 45.0,
           "analyzer_s": 20.0, "decode_s": 4.0, "cpu_s": 60.0, "analyzer_cpu_s": 40.0, "decode_cpu_s": 8.0, "model_loads_in_runs": 4,
           "cpu_by_process": {"run processes": 54.0, "dagster-daemon": 2.0, "unattributed": 4.0}}
    text = markdown({"machine": "test", "date": "today", "models": "none", "results": [row]})
    assert "| path | videos | per run | run processes | unattributed | dagster-daemon |" in text
    assert "| daemon | 4 | 4 | 13.50 | 1.00 | 0.50 |" in text
