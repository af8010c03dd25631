"""A throwaway cluster on one machine, for the tests and ``make bench-scale``: PostgreSQL 15 in a
temp folder on a free port (Debian's ``postgresql`` package, ``initdb`` + ``pg_ctl``) and a local
Ray with a logical GPU (``ray.init(num_cpus=2, num_gpus=1)``) and its dashboard (the Jobs API the
Ray executor submits steps to). Not for production: see ``deploy/``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from video_assets.runtime.settings import PROJECT_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise FileNotFoundError(f"{name} not found: install Debian's postgresql package (make test does)")
    return found


@contextmanager
def postgres() -> Iterator[dict[str, str]]:
    """A running Postgres; yields the ``VIDEO_ASSETS_PG_*`` settings of ``deploy/dagster.yaml``.

    initdb refuses to run as root: as root the server runs as the ``postgres`` user the Debian
    package creates, in a folder handed to it.
    """
    folder = Path(tempfile.mkdtemp(prefix="va-pg-"))
    data, port = folder / "data", free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)  # noqa: E731
    run(_pg_bin("initdb"), "-D", str(data), "-U", "dagster", "--auth=trust", "-E", "UTF8")
    run(_pg_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60",
        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start")
    try:
        run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "dagster", "dagster")
        yield {"VIDEO_ASSETS_PG_HOST": "127.0.0.1", "VIDEO_ASSETS_PG_PORT": str(port), "VIDEO_ASSETS_PG_USER": "dagster",
               "VIDEO_ASSETS_PG_PASSWORD": "", "VIDEO_ASSETS_PG_DB": "dagster"}
    finally:
        subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(settings: dict[str, str], name: str) -> None:
    subprocess.run([_pg_bin("createdb"), "-h", settings["VIDEO_ASSETS_PG_HOST"], "-p", settings["VIDEO_ASSETS_PG_PORT"],
                    "-U", settings["VIDEO_ASSETS_PG_USER"], name], check=True, capture_output=True)


def postgres_home(folder: Path, settings: dict[str, str], gpu_limit: int = 1) -> Path:
    """A DAGSTER_HOME holding ``deploy/dagster.yaml`` (the file users deploy, not a copy of it).

    ``gpu_limit``: each ``gpu/<asset>`` pool's limit, the pool actors per model (see docs/cluster.md).
    The password may be empty here (trust auth); dagster's ``{env: ...}`` rejects an empty variable,
    so the settings are exported and an empty password is dropped from the copy's config.
    """
    folder.mkdir(parents=True, exist_ok=True)
    text = (PROJECT_DIR / "deploy" / "dagster.yaml").read_text()
    if not settings.get("VIDEO_ASSETS_PG_PASSWORD"):
        text = "\n".join(line for line in text.splitlines() if "VIDEO_ASSETS_PG_PASSWORD" not in line) + "\n"
    text = text.replace("default_limit: 1", f"default_limit: {gpu_limit}")
    (folder / "dagster.yaml").write_text(text)
    return folder


# Ray's settings on every node, here as in deploy/ray-cluster.yaml. Every run is a Ray job whose
# driver is the run process, and Ray starts idle workers for each job's first driver by default:
# processes that import Ray and then wait for tasks a run never submits (its steps send to the
# pools' actors). ``python -m benchmark.ray_services`` measures what they cost.
NODE_ENV = {"RAY_prestart_worker_first_driver": "0"}


@dataclass(frozen=True)
class LocalRay:
    dashboard: str  # what VIDEO_ASSETS_RAY_ADDRESS names
    gcs: str  # what ray.init(address=...) takes, for a driver that inspects the pools


@contextmanager
def local_ray(num_cpus: int = 2, num_gpus: int = 1, keep_logs: Path | None = None,
              node_env: dict[str, str] | None = None) -> Iterator[LocalRay]:
    """A local Ray cluster with a logical GPU. ``keep_logs``: a folder the jobs' driver logs (a run's
    own output, where a run worker that died says why) are copied to before the cluster goes.
    ``node_env``: Ray's settings for its nodes (default ``NODE_ENV``, the deployed cluster's).

    Started with ``ray start --head`` in its own processes, so the steps' Ray jobs and the pool
    actors outlive any one driver, as on a real cluster. Token authentication is off for it (Ray
    turns it on by itself when ``~/.ray/auth_token`` exists, and then clients without the token fail).
    """
    os.environ["RAY_AUTH_MODE"] = "disabled"
    ray_bin = str(Path(os.sys.executable).parent / "ray")
    temp = tempfile.mkdtemp(prefix="va-ray-")
    dash, gcs = free_port(), free_port()
    # Each node runs steps as `dagster api execute_step` (dagster-ray's entrypoint): the project's
    # environment must be first on the nodes' PATH.
    env = {**{k: v for k, v in os.environ.items() if k not in NODE_ENV}, **(NODE_ENV if node_env is None else node_env),
           "RAY_USAGE_STATS_ENABLED": "0", "PATH": f"{Path(os.sys.executable).parent}:{os.environ.get('PATH', '')}"}
    subprocess.run([ray_bin, "start", "--head", f"--port={gcs}", f"--num-cpus={num_cpus}", f"--num-gpus={num_gpus}",
                    "--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}",
                    f"--temp-dir={temp}", "--disable-usage-stats"], check=True, capture_output=True, env=env)
    address = f"http://127.0.0.1:{dash}"
    try:
        from video_assets.cluster.executor import check_ray

        deadline = time.time() + 60
        while True:
            try:
                check_ray(address, timeout_s=2)
                break
            except RuntimeError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        yield LocalRay(address, f"127.0.0.1:{gcs}")
    finally:
        subprocess.run([ray_bin, "stop", "--force"], capture_output=True, env=env)
        if keep_logs is not None:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for log in glob.glob(f"{temp}/session_*/logs/job-driver-*.log"):
                shutil.copy(log, keep_logs)
        shutil.rmtree(temp, ignore_errors=True)
