"""Peak resident memory of the whole in-process run, and of each asset's step, for the same content
at several lengths (as faster-whisper keeps ``benchmark/memory``).

    python -m benchmark.memory [--durations 90 360 1200] [--clips studio_talk+bilingual_walk tips_countdown]
                               [--corpus] [--only ANALYZER ...] [--against REV] [--reps 1] [--out benchmark/results]

Each input is a sample clip (or several joined with ``+``) concatenated with itself (ffmpeg concat,
stream copy) and cut to the duration: 1080x1920, 30 fps, so a longer video is more of the same and
any growth of the peak with length is the code's, not the content's. The default runs every path:
``studio_talk+bilingual_walk`` (speech in two languages for 3/4 of the time, captions, faces, a music
bed and a sung part) and ``tips_countdown`` (captions and scene text, no audio track). Every measurement is a fresh
process running ``video-assets analyze`` (every analyzer, optimized preset, what a person runs):
the whole run's peak is the process' ``ru_maxrss``; a step's peak is the largest RSS sampled
(every 20 ms) while Dagster reported that step running. ``--corpus`` adds the sample corpus folder
(wall time only matters there). ``--only`` runs those analyzers alone (``video-assets analyze --only``)
and writes ``memory-<analyzers>.{json,md}``, so one analyzer's growth is seen without the others' models. ``--against REV`` runs the same inputs on another commit (a git
worktree, this checkout's virtual environment) interleaved with this tree: the before/after table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
CACHE = PROJECT_DIR / ".bench_cache" / "memory"
GIB = 1024**3


# -- the child: one analyze run, measured from inside --------------------------------------------
def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _Steps(logging.Handler):
    """Dagster's run events (forwarded by the CLI's console to ``video_assets.events``): which steps
    run now; a sampler thread charges each sample to them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.running: set[str] = set()
        self.peak: dict[str, int] = {}
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if event is None or not event.step_key:
            return
        with self._guard:
            if event.event_type_value == "STEP_START":
                self.running.add(event.step_key)
                self.peak[event.step_key] = max(self.peak.get(event.step_key, 0), _rss())
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
                self.running.discard(event.step_key)

    def sample(self) -> None:
        rss = _rss()
        with self._guard:
            for step in self.running:
                self.peak[step] = max(self.peak.get(step, 0), rss)


def child(video: str, out: str, only: list[str]) -> int:
    steps = _Steps()
    logging.getLogger("video_assets.events").addHandler(steps)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.02):
            steps.sample()

    sampler = threading.Thread(target=loop, daemon=True)
    sampler.start()
    from video_assets.cli.main import main as cli

    t0 = time.perf_counter()
    code = cli(["analyze", video, "--out", out] + (["--only", *only] if only else []))
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    result = {"rc": code, "wall_s": round(wall, 1), "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
              "steps": steps.peak}
    print("MEMORY " + json.dumps(result), flush=True)
    return 0


# -- the parent: inputs, interleaved runs, the table ----------------------------------------------
DEFAULT_CLIPS = ["studio_talk+bilingual_walk", "tips_countdown"]


def make_input(clip: str, seconds: float) -> Path:
    """The sample clip (``a+b``: the clips one after the other) repeated and cut to ``seconds`` (cached)."""
    from video_assets.sample.build import ensure_corpus

    source = PROJECT_DIR / "data" / "sample_corpus"
    ensure_corpus(source)
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"{clip}_{int(seconds)}s.mp4"
    if target.exists():
        return target
    paths = [(source / f"{name}.mp4").resolve() for name in clip.split("+")]
    from video_assets.media.container import probe

    repeat = int(seconds // sum(probe(str(p)).duration_s for p in paths)) + 1
    listing = CACHE / f"{clip}.concat.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in paths) * repeat)
    tmp = target.with_suffix(".tmp.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-t", str(seconds), "-c", "copy", str(tmp)], check=True)
    tmp.rename(target)
    return target


def run_child(tree: Path, video: Path, log: Path, only: list[str]) -> dict:
    out = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    env = {**os.environ, "PYTHONPATH": str(tree), "VIDEO_ASSETS_YOLO_OPTIMIZED": os.environ.get("VIDEO_ASSETS_YOLO_OPTIMIZED", "random:yolov8l"),
           "VIDEO_ASSETS_QWEN_OPTIMIZED": os.environ.get("VIDEO_ASSETS_QWEN_OPTIMIZED", "random:tiny")}
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(video), str(out), *only], cwd=tree, env=env,
                              capture_output=True, text=True)
        with log.open("a") as fh:
            fh.write(f"== {tree} {video}\n{proc.stdout}\n{proc.stderr}\n")
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("MEMORY ")), None)
        if line is None:
            return {"rc": proc.returncode, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
        return json.loads(line[len("MEMORY "):])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def worktree(rev: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"video-assets-{rev[:12]}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=PROJECT_DIR, check=True, capture_output=True)
    data = path / "data"
    if not data.exists():  # the sample corpus and model cache of this checkout (generated, git-ignored)
        data.symlink_to(PROJECT_DIR / "data")
    return path


def _gb(n: float) -> str:
    return f"{n / GIB:.2f} GB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", type=float, nargs="*", default=[90, 360, 1200])
    parser.add_argument("--clips", nargs="*", default=DEFAULT_CLIPS,
                        help="sample clips, each repeated to every duration (a+b: two clips joined, then repeated)")
    parser.add_argument("--long-clips", nargs="*", default=None,
                        help="the clips that run at durations above --against-up-to (default: every clip; a 20-minute run takes ~50 min here)")
    parser.add_argument("--corpus", action="store_true", help="also the sample corpus folder (13 clips)")
    parser.add_argument("--against", help="a git revision to compare with (interleaved, same inputs)")
    parser.add_argument("--against-up-to", type=float, default=360,
                        help="inputs up to this many seconds (and the corpus) run on --against too; longer ones would not fit its memory")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--out", default=str(PROJECT_DIR / "benchmark" / "results"))
    parser.add_argument("--only", nargs="*", default=[], help="these analyzers alone (video-assets analyze --only)")
    parser.add_argument("--child", nargs="+", metavar="VIDEO OUT [ANALYZER ...]", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child[0], args.child[1], args.child[2:])

    durations = sorted(args.durations)
    inputs = [(f"{clip} {int(d)} s", make_input(clip, d), d) for d in durations if d <= args.against_up_to for clip in args.clips]
    if args.corpus:
        inputs.append(("sample corpus", PROJECT_DIR / "data" / "sample_corpus", None))
    long_clips = args.clips if args.long_clips is None else args.long_clips
    inputs += [(f"{clip} {int(d)} s", make_input(clip, d), d) for d in durations if d > args.against_up_to for clip in long_clips]  # the longest last
    trees = {"this tree": PROJECT_DIR}
    if args.against:
        sha = subprocess.run(["git", "rev-parse", args.against], cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout.strip()
        trees = {f"{args.against} ({sha[:7]})": worktree(sha), **trees}
    from benchmark.__main__ import commit, machine

    log = CACHE / "memory.log"  # every child's output (progress bars, errors): for people, not committed
    log.parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    log.write_text("")
    runs: dict[str, dict[str, list[dict]]] = {label: {t: [] for t in trees} for label, _, _ in inputs}
    for rep in range(args.reps):
        for label, video, seconds in inputs:
            for tree_label, tree in trees.items():  # interleaved: same input, one tree after the other
                if tree != PROJECT_DIR and seconds is not None and seconds > args.against_up_to:
                    continue
                print(f"[{rep + 1}/{args.reps}] {label} on {tree_label} ...", file=sys.stderr, flush=True)
                result = run_child(tree, video, log, args.only)
                runs[label][tree_label].append(result)
                print(f"    {result.get('wall_s', '-')} s wall, peak {_gb(result['peak_rss']) if 'peak_rss' in result else result}", file=sys.stderr, flush=True)
    summary = {}
    for label, _, seconds in inputs:
        summary[label] = {}
        for tree_label in trees:
            if not runs[label][tree_label]:
                continue
            ok = [r for r in runs[label][tree_label] if "peak_rss" in r and r["rc"] == 0]
            entry: dict = {"runs": runs[label][tree_label]}
            if ok:
                steps = sorted({s for r in ok for s in r["steps"]})
                entry |= {"wall_s": statistics.median(r["wall_s"] for r in ok), "peak_rss": statistics.median(r["peak_rss"] for r in ok),
                          "steps": {s: statistics.median(r["steps"].get(s, 0) for r in ok) for s in steps}}
            summary[label][tree_label] = entry
    record = {"machine": machine() | {"platform": platform.platform(), "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / GIB, 1)},
              "commit": commit(), "clips": args.clips, "only": args.only, "reps": args.reps, "command": "python -m benchmark.memory " + " ".join(argv or sys.argv[1:]),
              "results": summary}
    stem = "memory" + "".join(f"-{name}" for name in args.only)
    Path(args.out, f"{stem}.json").write_text(json.dumps(record, indent=1) + "\n")
    md = markdown(record)
    Path(args.out, f"{stem}.md").write_text(md)
    print(md)
    return 0


def markdown(record: dict) -> str:
    m = record["machine"]
    only = record.get("only") or []
    lines = [f"# Peak memory: `video-assets analyze`, {'only ' + ', '.join(only) if only else 'every analyzer'}, optimized preset", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['device']}; commit {record['commit']}; "
             f"clips {', '.join(f'`{c}`' for c in record.get('clips', [record.get('clip')]))} repeated; {record['reps']} run(s) each, medians. Command: `{record['command']}`.", "",
             "| input | code | wall | peak RSS (whole run) |", "|---|---|---|---|"]
    for label, trees in record["results"].items():
        for tree, e in trees.items():
            peak = _gb(e["peak_rss"]) if "peak_rss" in e else "failed: " + str(e["runs"][-1].get("error", e["runs"][-1].get("rc")))
            wall = f"{e['wall_s']:.1f} s" if "wall_s" in e else "-"
            lines.append(f"| {label} | {tree} | {wall} | {peak} |")
    steps = sorted({s for trees in record["results"].values() for e in trees.values() for s in e.get("steps", {})})
    if steps:
        cols = [(label, tree) for label, trees in record["results"].items() for tree in trees]
        lines += ["", "Peak RSS while each step ran (GB; the process' memory then, models of earlier steps included):", "",
                  "| step | " + " | ".join(f"{l} ({t})" for l, t in cols) + " |", "|---|" + "---|" * len(cols)]
        for s in steps:
            vals = [record["results"][l][t].get("steps", {}).get(s) for l, t in cols]
            lines.append(f"| {s} | " + " | ".join(f"{v / GIB:.2f}" if v else "-" for v in vals) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
