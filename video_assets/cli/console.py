"""The terminal is for people: a progress bar per video, then results. Everything else (Dagster's
event log, library warnings and log lines) goes to a log file that the output names.

``quiet_to_file(path)`` sends Python logging and warnings to the file. Runs executed with
``progress_logger`` as their only Dagster logger write every event to that file and drive the
bar: one bar per video, one tick per finished asset step; the step running now is shown with its
elapsed time and, when the instance has an earlier materialization of the same asset, an estimate
(that asset's last realtime factor times this video's duration), since a baseline OCR step can
take minutes and a person wants to know it is moving.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from video_assets.defs.history import latest_metadata, one_line_cause

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Bar:
    """One video's bar, updated from Dagster's events and a one-second ticker."""

    def __init__(self, label: str, total: int, estimates: dict[str, float]):
        from tqdm import tqdm

        self.estimates = estimates
        self.started: dict[str, float] = {}
        self.failed: list[str] = []
        self._lock = threading.Lock()
        self.bar = tqdm(total=total, desc=label, unit="step", file=sys.stderr, dynamic_ncols=True,
                        bar_format="{desc} {bar:20} {n_fmt}/{total_fmt} steps [{elapsed}]{postfix}")
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self.refresh()

    def refresh(self) -> None:
        with self._lock:
            now = time.monotonic()
            running = []
            for step, t0 in self.started.items():
                text = f"{step} {now - t0:.0f} s"
                if step in self.estimates:
                    text += f" of ~{self.estimates[step]:.0f} s"
                running.append(text)
            self.bar.set_postfix_str(", ".join(running), refresh=True)

    def step_started(self, step: str) -> None:
        with self._lock:
            self.started[step] = time.monotonic()
        self.refresh()

    def step_ended(self, step: str, ok: bool) -> None:
        with self._lock:
            self.started.pop(step, None)
            if not ok:
                self.failed.append(step)
            self.bar.update(1)
        self.refresh()

    def close(self) -> None:
        self._stop.set()
        self._ticker.join()
        with self._lock:
            self.bar.set_postfix_str("failed: " + ", ".join(self.failed) if self.failed else "done", refresh=False)
            self.bar.close()


class _EventHandler(logging.Handler):
    """Receives every Dagster log record of a run: writes it to the log file, moves the bar."""

    bar: _Bar | None = None

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("video_assets.events").handle(record)  # -> the log file
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        bar = self.bar
        if event is None or bar is None or not event.step_key:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            bar.step_started(event.step_key)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            bar.step_ended(event.step_key, kind != "STEP_FAILURE")


_HANDLER = _EventHandler(level=logging.DEBUG)


def _run_logger(_init_context) -> logging.Logger:
    logger = logging.getLogger("video_assets.run")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)
    return logger


progress_logger = dg.LoggerDefinition(
    _run_logger, description="Every event to the log file (see video_assets.cli.console), step progress to the terminal."
)


# Dagster instantiates only the loggers named in run config (else its console logger).
RUN_CONFIG = {"loggers": {"progress": {}}}
# For a run of the implicit asset job (``materialize``), which has only Dagster's console logger.
SILENT_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class _RunLog(logging.FileHandler):
    """The log file of one CLI run. Closed, it drops records instead of reopening its file: the run
    is over, and its folder may be gone (a test's tmp_path), where a reopening FileHandler raised
    FileNotFoundError into whatever logged next in the process."""

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None and self._closed:
            return
        super().emit(record)


def quiet_to_file(path: Path) -> Path:
    """Python logging (libraries and Dagster's own) and warnings go to ``path``, nothing to the
    terminal. A process that runs the CLI again (tests, notebooks) logs to the newest file only."""
    import os

    os.environ.setdefault("YOLO_VERBOSE", "False")  # Ultralytics prints engine exports to stdout otherwise
    # transformers and huggingface_hub draw their own progress bars ("Loading weights") on stderr,
    # over ours: off (read when they are first imported, which is after this).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _RunLog(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _RunLog)]:  # an earlier run's file in this process
        root.removeHandler(old)
        old.close()
    for old in list(root.handlers):  # handlers printing to the terminal (a test runner's capture stays)
        if isinstance(old, logging.StreamHandler) and getattr(old, "stream", None) in (sys.stderr, sys.stdout):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    events = logging.getLogger("video_assets.events")
    events.setLevel(logging.DEBUG)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    for name in ("dagster", "py.warnings", "transformers", "ultralytics", "faster_whisper", "easyocr", "httpx"):
        lg = logging.getLogger(name)
        lg.handlers = []
        lg.propagate = True
    return path


def step_count(job: dg.JobDefinition) -> int:
    """Steps of one partition's run of ``job``: one per op (assets, multi-assets, checks)."""
    return len(job.graph.nodes)


def _benchmark_rtf() -> dict[str, float]:
    """asset key -> realtime factor from the committed benchmark (benchmark/results/results.json), for the
    analyzers measured with real weights (with random-init ones the demo's model differs)."""
    import json

    from video_assets.runtime import settings

    try:
        analyzers = json.loads((settings.PROJECT_DIR / "benchmark" / "results" / "results.json").read_text())["analyzers"]
    except (OSError, ValueError, KeyError):
        return {}
    out: dict[str, float] = {}
    for name, entry in analyzers.items():
        if entry.get("weights") == "real" and " " not in name:
            name = name.split("[")[0]  # "text_overlay[rapidocr]": one row per OCR engine; the slower one, to be safe
            out[name] = max(out.get(name, 0.0), float(entry["rtf_optimized"]))
            out[f"{name}_baseline"] = max(out.get(f"{name}_baseline", 0.0), float(entry["rtf_baseline"]))
    return out


def estimates_for(instance: dg.DagsterInstance, job: dg.JobDefinition, video_s: float) -> dict[str, float]:
    """step key -> seconds expected: the asset's latest realtime factor on this instance x video_s,
    or, for an asset this instance never ran, the committed benchmark's (another machine's: rough)."""
    out: dict[str, float] = {}
    if video_s <= 0:
        return out
    prior = _benchmark_rtf()
    for node in job.graph.nodes:
        value = (latest_metadata(instance, node.name) or {}).get("realtime_factor")
        rtf = value if isinstance(value, (int, float)) else prior.get(node.name)
        if rtf is not None:
            out[node.name] = float(rtf) * video_s
    return out


@contextmanager
def video_progress(label: str, job: dg.JobDefinition, instance: dg.DagsterInstance, video_s: float = 0.0):
    bar = _Bar(label, step_count(job), estimates_for(instance, job, video_s))
    _HANDLER.bar = bar
    try:
        yield bar
    finally:
        _HANDLER.bar = None
        bar.close()


def failure_lines(result) -> list[str]:
    """One line per distinct cause of a failed run (a Failure's description, without the class
    name and traceback), e.g. ``audio_track: /x.mp4: truncated ...``."""
    lines: list[str] = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        message = one_line_cause(event.step_failure_data.error)
        line = f"{event.step_key}: {message}"
        if message not in " ".join(lines):
            lines.append(line)
    return lines


def gap_lines(result) -> list[str]:
    """One line per decoded input that was decoded around damage (its decode_gaps check warned),
    e.g. ``video_frames: decoded around 1 damaged stretch(es): 1.43-2.00 s (0.57 s of 4.00 s)``."""
    from video_assets.defs.checks import DECODE_GAPS_CHECK

    return [f"{e.asset_key.to_user_string()}: {e.description}" for e in result.get_asset_check_evaluations()
            if e.check_name == DECODE_GAPS_CHECK and not e.passed]


def format_hits(hits) -> list[str]:
    """One line per hit: video, source, start-end, text, score (for people; the search is
    ``CorpusIndex.search``)."""
    rows = [[h.video, h.source, f"{h.start_s:.1f}-{h.end_s:.1f} s", h.text if len(h.text) <= 70 else h.text[:69] + "…", f"{h.score:.3f}"]
            for h in hits]
    header = ["video", "source", "time", "text", "score"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
