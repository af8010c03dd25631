"""What the three sample corpora (synthetic, real recordings, links clips) share about their folder:
the ground truth written atomically beside the clips, a folder rebuilt when its truth is of another
version or names other clips, and the command line that writes one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable, Iterable

TRUTH = "ground_truth.json"


def write_truth(out_dir: Path, truth: dict) -> dict:
    """``truth`` as ``out_dir/ground_truth.json`` (letters kept, not escaped), replaced atomically:
    a reader sees the old truth or the new one, never half of it."""
    tmp = Path(out_dir) / f"{TRUTH}.tmp"
    tmp.write_text(json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False))
    tmp.replace(Path(out_dir) / TRUTH)
    return truth


def ensure(out_dir: Path, version: str, names: Iterable[str], write: Callable[[Path], dict], files: Iterable[str] = ()) -> dict:
    """The truth in ``out_dir``, written first (``write(out_dir)``) when it is missing, of another
    ``version``, names other clips than ``names`` or lacks one of ``files``."""
    out_dir = Path(out_dir)
    path = out_dir / TRUTH
    truth = json.loads(path.read_text()) if path.exists() else {}
    if truth.get("version") != version or set(truth.get("clips", ())) != set(names) or \
            not all((out_dir / f).exists() for f in files):
        truth = write(out_dir)
    return truth


def main(argv: list[str] | None, description: str, write: Callable[[Path, list[str] | None], dict], line: Callable[[dict], str]) -> int:
    """``DIR [--only NAME ...]``: write the corpus, print a line per clip and where the truth is."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--only", nargs="*", help="clip names to write (default: all)")
    args = parser.parse_args(argv)
    truth = write(args.out_dir, args.only)
    for clip in truth["clips"].values():
        print(line(clip))
    print(f"ground truth: {args.out_dir / TRUTH}")
    return 0
