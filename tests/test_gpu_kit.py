"""The GPU measurement kit does not rot between lent machines: its dry run (the same script, on
this CPU, with tiny random models) measures every analyzer it covers and the out-of-memory step,
and the wheels it would install are versions the project's own dependency ranges accept."""

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_kit_pins_versions_the_project_accepts():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    declared = {canonicalize_name(r.name): r for r in map(Requirement, tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])}
    pins = [ln.split("==") for ln in (ROOT / "benchmark" / "gpu" / "wheels.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    direct = [(name, pinned) for name, pinned in pins if canonicalize_name(name) in declared]
    assert {"ultralytics", "easyocr"} <= {canonicalize_name(n) for n, _ in direct}
    for name, pinned in direct:
        assert declared[canonicalize_name(name)].specifier.contains(pinned), (name, pinned, str(declared[canonicalize_name(name)]))
    assert all(version(name) for name, _ in pins)  # every pinned package is installed here (the dry run uses it)


@pytest.mark.slow
def test_the_dry_run_measures_every_analyzer_it_covers(corpus_dir, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "VIDEO_ASSETS_GPU_KIT": str(tmp_path / "kit"), "PYTHON": sys.executable}
    run = subprocess.run(["bash", "benchmark/gpu/run.sh", "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    log = (out / "gpu_log.txt").read_text() if (out / "gpu_log.txt").exists() else ""
    assert run.returncode == 0, run.stdout[-3000:] + log[-5000:]
    results = json.loads((out / "gpu_results.json").read_text())
    assert results["machine"]["device"] == "cpu"
    entries = results["analyzers"]
    assert set(entries) == {"object_detection", "qwen2_vl_temporal", "text_overlay[easyocr]", "scene_cuts"}
    for name, entry in entries.items():
        assert entry["baseline_s"] > 0 and entry["optimized_s"] > 0 and entry["reps"] == 1, name
    assert entries["object_detection"]["weights"] == "random-init" and entries["qwen2_vl_temporal"]["weights"] == "random-init"
    assert entries["text_overlay[easyocr]"]["weights"] == "random-init"  # the random CRAFT detector, labelled
    assert json.loads((out / "oom.json").read_text())["skipped"] == "no CUDA device"
    assert "| text_overlay[easyocr] |" in (out / "gpu_results.md").read_text()
