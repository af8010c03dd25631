"""Weights named by a hub id: local first, offline mode honoured, one short probe per process.

A machine without a network must fail in seconds, not after a download client's retries (minutes
per video for Qwen2-VL before this existed). So a hub id is resolved in this order:

1. a local folder or file of that name;
2. the local cache of the hub (``local_files_only``: no network);
3. if ``HF_HUB_OFFLINE`` (or ``VIDEO_ASSETS_OFFLINE``) is set: a MissingWeightsError at once;
4. one TCP connect to the hub's host with a short timeout (``VIDEO_ASSETS_HUB_PROBE_SECONDS``,
   default 3), remembered for the rest of the process: unreachable -> MissingWeightsError.

Only when the hub answers is the id handed to the library, which downloads it.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

from resources.model_cache import MissingWeightsError

_probes: dict[str, str | None] = {}  # host -> None when reachable, else why not
_lock = threading.Lock()

HF_ENDPOINT = "https://huggingface.co"
GITHUB_ENDPOINT = "https://github.com"


def offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "VIDEO_ASSETS_OFFLINE"))


def probe_seconds() -> float:
    return float(os.environ.get("VIDEO_ASSETS_HUB_PROBE_SECONDS", "3"))


def unreachable(url: str) -> str | None:
    """None when a TCP connection to the URL's host opens within the probe time, else the reason.
    One probe per host per process."""
    parsed = urlparse(url)
    host, port = parsed.hostname or url, parsed.port or (443 if parsed.scheme != "http" else 80)
    with _lock:
        if host in _probes:
            return _probes[host]
        outcome: list[str | None] = []

        def connect() -> None:
            try:
                with socket.create_connection((host, port), timeout=probe_seconds()):
                    outcome.append(None)
            except OSError as exc:
                outcome.append(f"{host}:{port} unreachable ({type(exc).__name__}: {exc or 'timed out'})")

        # In a thread, so a name lookup that hangs (it has no timeout of its own) cannot hold us.
        probe = threading.Thread(target=connect, daemon=True)
        probe.start()
        probe.join(probe_seconds())
        reason = outcome[0] if outcome else f"{host}:{port} unreachable (no answer in {probe_seconds():g} s)"
        _probes[host] = reason
        return reason


def hf_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "").strip() or HF_ENDPOINT


def require_online(what: str, url: str, setting: str, hint: str = "") -> None:
    """Raise a MissingWeightsError naming ``setting`` unless downloads from ``url`` can work."""
    if offline():
        raise MissingWeightsError(f"{what} is not on this machine and offline mode is set (HF_HUB_OFFLINE/VIDEO_ASSETS_OFFLINE). Set {setting} to a local path{hint}.")
    reason = unreachable(url)
    if reason:
        raise MissingWeightsError(f"{what} is not on this machine and the hub is not reachable: {reason}. Set {setting} to a local path{hint}.")


def resolve_hf(repo_id: str, setting: str, hint: str = "") -> str:
    """A Hugging Face repo id or local folder -> what from_pretrained should load (a local
    folder whenever one exists), or a MissingWeightsError in seconds naming ``setting``."""
    if Path(repo_id).exists():
        return repo_id
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(repo_id, local_files_only=True)
    except Exception:
        pass  # not in the local cache (or not a valid id): only the hub can have it
    require_online(f"model {repo_id!r}", hf_endpoint(), setting, hint)
    return repo_id
