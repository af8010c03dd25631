"""Scale-out settings in one place: which executor runs the steps, and fail-fast checks for the
cluster and the shared instance (docs/cluster.md).

Every run executes its steps in one process (Dagster's in-process executor): the run imports
Python, torch and the model libraries once and loads each model once for all its steps and videos,
where a process per step paid both again for every step (docs/operating.md: the measured
overhead). Three variables turn a machine into a client of a cluster:
``VIDEO_ASSETS_RAY_ADDRESS`` (the Ray dashboard, ``http://head:8265``): model steps use warm actor
pools (``resources/ray_pool.py``) and the run itself goes to the cluster as one Ray job through
dagster-ray's ``RayRunLauncher`` (``deploy/dagster.yaml``); ``VIDEO_ASSETS_RAY_STEPS=job`` instead
runs each step as its own Ray job (dagster-ray's ``ray_executor``, measured slower: docs/operating.md). ``VIDEO_ASSETS_PG_*`` (host, port, user, password, db): the instance in
``deploy/dagster.yaml``. ``VIDEO_ASSETS_STORAGE``: an fsspec URL every worker can reach.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import urllib.error
import urllib.request
from typing import Any

import dagster as dg

RAY_ADDRESS = "VIDEO_ASSETS_RAY_ADDRESS"
RAY_STEPS = "VIDEO_ASSETS_RAY_STEPS"
PG_SETTINGS = ("VIDEO_ASSETS_PG_HOST", "VIDEO_ASSETS_PG_PORT", "VIDEO_ASSETS_PG_USER", "VIDEO_ASSETS_PG_PASSWORD", "VIDEO_ASSETS_PG_DB")
# What a step process on a Ray node needs from the launching process's environment.
FORWARDED_PREFIXES = ("VIDEO_ASSETS_", "DAGSTER_", "HF_", "TRANSFORMERS_", "OMP_", "MKL_")


class ClusterUnreachable(RuntimeError):
    """A configured Ray cluster or Postgres database does not answer: not transient, fail fast."""


def ray_address() -> str:
    return os.environ.get(RAY_ADDRESS, "").strip()


def check_ray(address: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """The Ray Jobs API answers at ``address``, or a one-line error naming the setting."""
    if not address:
        raise ClusterUnreachable(f"{RAY_ADDRESS} is not set: set it to the Ray dashboard address (http://head:8265)")
    url = address if "://" in address else f"http://{address}"
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/version", timeout=timeout_s) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):  # token authentication on: the dashboard answers; Ray's client holds the token
            return {"auth": "token"}
        raise ClusterUnreachable(f"{address!r} answered HTTP {exc.code}, not the Ray Jobs API: set {RAY_ADDRESS} to the "
                                 "Ray dashboard address (http://head:8265)") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ClusterUnreachable(f"no Ray cluster answers at {address!r} ({getattr(exc, 'reason', exc)}): "
                                 f"set {RAY_ADDRESS} to the Ray dashboard address (http://head:8265), or unset it "
                                 "to run steps on this machine") from exc


def forwarded_env() -> list[str]:
    return sorted(k for k in os.environ if k.startswith(FORWARDED_PREFIXES))


def _ray_executor_fn(init_context):
    from dagster_ray import ray_executor

    check_ray(init_context.executor_config["ray"]["address"])
    return ray_executor.executor_creation_fn(init_context)


def ray_steps() -> str:
    """``run`` (default): a run's steps share its process; ``job``: a Ray job per step."""
    value = os.environ.get(RAY_STEPS, "").strip() or "run"
    if value not in ("run", "job"):
        raise ValueError(f"{RAY_STEPS}={value!r}: use 'run' (steps in the run's process) or 'job' (a Ray job per step)")
    return value


def executor() -> dg.ExecutorDefinition:
    """The run-level executor (in-process), or dagster-ray's executor when ``VIDEO_ASSETS_RAY_ADDRESS``
    is set and ``VIDEO_ASSETS_RAY_STEPS=job`` (checked when a run starts, so a wrong address fails
    the run at once with its name)."""
    address = ray_address()
    if not address or ray_steps() == "run":
        return dg.in_process_executor
    from dagster._core.definitions.executor_definition import multiple_process_executor_requirements
    from dagster_ray import ray_executor

    checked = dg.ExecutorDefinition(name="ray", config_schema=ray_executor.config_schema,
                                    executor_creation_fn=_ray_executor_fn, requirements=multiple_process_executor_requirements(),
                                    description="dagster-ray's ray_executor, after a reachability check of the cluster")
    return checked.configured({"ray": {"address": address, "env_vars": forwarded_env()}})


@functools.cache
def _ray_run_launcher_class():
    from dagster_ray import RayRunLauncher as _Base

    class RayRunLauncher(_Base):
        """dagster-ray's run launcher (a run is one Ray job; its steps run in that job's process and
        send their partitions to the warm pools), forwarding the launching process's settings
        (``FORWARDED_PREFIXES``) to the job as the step executor does, so ``deploy/dagster.yaml``
        need not list them."""

        @classmethod
        def from_config_value(cls, inst_data, config_value):
            ray = dict(config_value["ray"])
            ray["env_vars"] = sorted(set(ray.get("env_vars") or []) | set(forwarded_env()))
            return cls(inst_data=inst_data, **ray)

    return RayRunLauncher


def __getattr__(name: str):
    # ``deploy/dagster.yaml`` names ``video_assets.cluster.executor.RayRunLauncher``; dagster-ray (and
    # Ray) are imported only by the processes that launch runs, not by every step.
    if name == "RayRunLauncher":
        return _ray_run_launcher_class()
    raise AttributeError(name)


def check_postgres(timeout_s: float = 5.0) -> str:
    """The Postgres of ``deploy/dagster.yaml`` accepts a TCP connection, or a one-line error naming
    the settings (dagster-postgres would retry, then say only "too many retries")."""
    missing = [k for k in PG_SETTINGS if k not in os.environ]
    if missing:
        raise ClusterUnreachable(f"the Postgres instance needs {', '.join(missing)} (deploy/dagster.yaml)")
    host, port = os.environ["VIDEO_ASSETS_PG_HOST"], os.environ["VIDEO_ASSETS_PG_PORT"]
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return f"{host}:{port}"
    except (OSError, ValueError) as exc:
        raise ClusterUnreachable(f"Postgres at {host}:{port} does not answer ({exc}): check VIDEO_ASSETS_PG_HOST and "
                                 "VIDEO_ASSETS_PG_PORT (deploy/dagster.yaml)") from exc


def open_instance() -> dg.DagsterInstance:
    """``DagsterInstance.get()``, after checking Postgres when ``$DAGSTER_HOME/dagster.yaml`` uses it."""
    home = os.environ.get("DAGSTER_HOME", "")
    yaml_path = os.path.join(home, "dagster.yaml") if home else ""
    if yaml_path and os.path.exists(yaml_path) and "postgres" in open(yaml_path).read():
        check_postgres()
    return dg.DagsterInstance.get()


def execute(job_name: str, partition: str, instance: dg.DagsterInstance | None = None, tags: dict | None = None):
    """One run of a job for a partition with the code location's executor (Ray when configured):
    through a reconstructable job, as the daemon launches it, so steps can run in other processes."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    if ray_address():
        check_ray(ray_address())
    instance = instance or open_instance()
    if partition not in instance.get_dynamic_partitions("videos"):
        instance.add_dynamic_partitions("videos", [partition])
    job = ReconstructableRepository.for_module("video_assets.definitions", "defs").get_reconstructable_job(job_name)
    with dg.execute_job(job, instance=instance, tags={"dagster/partition": partition, **(tags or {})}, raise_on_error=False) as result:
        return result.success, result.run_id, [e.message for e in result.all_events if e.is_failure]


def main(argv: list[str] | None = None) -> int:
    """``python -m video_assets.cluster.executor check`` (the cluster and Postgres answer) or
    ``python -m video_assets.cluster.executor run JOB PARTITION...`` (runs on the configured executor)."""
    import argparse
    import sys
    import warnings

    warnings.filterwarnings("ignore")  # the terminal is for people; Dagster's warnings are for the event log
    parser = argparse.ArgumentParser(prog="python -m video_assets.cluster.executor", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="the Ray cluster and the Postgres instance of the environment answer")
    run = sub.add_parser("run", help="run a job per partition on the configured executor")
    run.add_argument("job")
    run.add_argument("partitions", nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            print(f"Ray: {check_ray(ray_address()) if ray_address() else 'not configured (steps run on this machine)'}")
            home = os.environ.get("DAGSTER_HOME", "")
            print(f"instance: {type(open_instance().run_storage).__name__} ({home or 'ephemeral'})")
            return 0
        failed = 0
        instance = open_instance()
        for key in args.partitions:
            ok, run_id, errors = execute(args.job, key, instance)
            print(f"{args.job}[{key}]: {'success' if ok else 'FAILED'} (run {run_id})")
            for line in errors[:3]:
                print(f"  {line.splitlines()[0] if line else ''}", file=sys.stderr)
            failed += not ok
        return 1 if failed else 0
    except ClusterUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
