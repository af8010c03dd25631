"""Ray's node settings (``devcluster.NODE_ENV``): the local cluster the tests and benchmarks start
and the deployed one (``deploy/ray-cluster.yaml``) carry the same, and with them a run's driver
connecting to the cluster gets no idle workers started for it (Ray's default starts some per job)."""

import os
import subprocess
import sys
import time

import pytest
import yaml

from video_assets.cluster import devcluster
from video_assets.runtime.settings import PROJECT_DIR


def test_the_deployed_cluster_has_the_node_settings():
    docs = list(yaml.safe_load_all((PROJECT_DIR / "deploy" / "ray-cluster.yaml").read_text()))
    env = next(d for d in docs if d.get("kind") == "Secret")["stringData"]
    assert devcluster.NODE_ENV
    assert {k: env.get(k) for k in devcluster.NODE_ENV} == devcluster.NODE_ENV


def _idle_workers() -> set[str]:
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"ray::IDLE"):
                found.add(pid)
        except OSError:
            pass
    return found


@pytest.mark.slow
def test_a_run_driver_gets_no_idle_workers_started():
    """A driver connects and stays, sending no task, as a run process does on the pools."""
    driver = "import ray, sys, time; ray.init(address=sys.argv[1], log_to_driver=False); time.sleep(8); ray.shutdown()"
    with devcluster.local_ray() as cluster:
        before = _idle_workers()
        proc = subprocess.Popen([sys.executable, "-c", driver, cluster.gcs])
        started: set[str] = set()
        while proc.poll() is None:
            started |= _idle_workers() - before
            time.sleep(0.2)
        assert proc.returncode == 0
    assert not started, f"Ray started idle workers for the driver: {sorted(started)}"
