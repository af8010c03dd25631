"""The contract every analyzer meets, written down and checked when the registry is built.

In the spirit of NeMo Curator's ``ProcessingStage``: an analyzer *declares* what it reads (one
shared input asset), what it writes (named tables with fixed pyarrow schemas), which model family
it needs (a resource key; the model is loaded once per process by ``resources/<family>.py``, the
analyzer's ``setup``), which config fields are batch sizes (halved on out-of-memory), whether it
wants the GPU pool, and its speed targets; it *does* ``process`` (one video, one preset, the loaded
model) and ``parity`` (optimized against baseline, with its own measure). Everything else (assets,
baseline twins, checks, jobs, CLI, demo table, report, benchmark, UI test) is derived from this.

Cores are plain Python: nothing here imports Dagster or ``resources``. An analyzer defines the
model interface it needs (a ``Protocol`` in its ``model.py``); the resource implements it.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import fields, is_dataclass
from typing import Any, Callable, ClassVar, Mapping

import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import AnalyzerResult, CheckOutcome, ParityReport, Track
from video_assets.media.sampling import SamplingPlan

INPUTS = ("video_frames", "audio_track")
PRESET_NAMES = ("baseline", "optimized")
PROFILES = ("gpu", "cpu")


class ContractError(TypeError):
    """An analyzer does not meet the contract; the message names the analyzer and what is missing."""


class Analyzer(ABC):
    """One analyzer: declarations (class attributes) and what it does: ``process`` and ``parity``
    (by default the core functions it declares as ``run`` and ``compare``; override for more).

    Optional hooks have working defaults: ``sampling_plans`` (frame readers), ``metadata`` (what a
    person sees in the UI beyond rows and timing), ``evaluate`` (accuracy against the sample
    corpus' ground truth), ``report_section`` (its part of the HTML corpus report), ``tracks`` (its
    rows of a video's timeline) and
    ``bench_extra`` (what the benchmark reports beyond time and parity)."""

    name: ClassVar[str]
    description: ClassVar[str]
    input: ClassVar[str]  # one of INPUTS
    tables: ClassVar[tuple[str, ...]]  # main table first
    schemas: ClassVar[Mapping[str, pa.Schema]]  # one per table
    presets: ClassVar[Mapping[str, Any]]  # "baseline" (the original, slow), "optimized": frozen dataclasses
    batch_fields: ClassVar[tuple[str, ...]]  # config fields halved on out-of-memory
    model: ClassVar[str | None]  # resource key of the model family (None: no model)
    uses_gpu: ClassVar[bool]  # runs in the "gpu" pool
    speed_target_rtf: ClassVar[Mapping[str, float]]  # profile ("gpu", "cpu") -> realtime factor
    parity_threshold: ClassVar[float]  # minimum parity score (CheckSettings may override)
    kinds: ClassVar[frozenset[str]]  # Dagster kinds shown on the asset graph
    report_title: ClassVar[str] = ""  # heading of its report section (default: the name)
    # How a core receives its input. ``video_frames`` streams: ``inputs.frames(plan)`` and
    # ``inputs.segments(plan)`` yield one frame (one segment) at a time, decoded from one stored
    # row group at a time, and a core keeps across frames only what its algorithm needs (the
    # previous frame's luma, the last caption places, a detector batch), so its memory does not
    # grow with the video's length. A core that needs its whole input at once says so and why
    # here (``check_contract`` refuses it for frames, whose whole is gigabytes).
    whole_input: ClassVar[str] = ""
    # Model-resource settings the benchmark measures side by side for the optimized preset, against
    # the same baseline runs: one row per variant, named "<name>[<variant>]" (e.g. OCR engines).
    bench_variants: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    run: ClassVar[Callable[[Any, Any, Any], AnalyzerResult]]  # the core: (inputs, config, model) -> result
    compare: ClassVar[Callable[[dict, dict], ParityReport]]  # the parity measure: (baseline, optimized) tables
    plan: ClassVar[Callable[[Any], SamplingPlan] | None] = None  # frame readers: config -> the frames it reads
    # Checks of each video's tables evaluated in the optimized step, beside speed: check name -> what
    # it checks (``result_check`` judges one video). E.g. speech_rate_coverage.
    result_checks: ClassVar[Mapping[str, str]] = {}

    def process(self, inputs: Any, config: Any, model: Any) -> AnalyzerResult:
        """One video (a FrameBundle, read as a stream, or an AudioTrack), one preset, the preset's
        loaded model. The tables depend on these alone: never on other videos, time, order or how
        the frames were batched in storage."""
        return type(self).run(inputs, config, model)

    def parity(self, baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame], models: Any = None) -> ParityReport:
        """Optimized tables against the baseline's for one video. ``models``: the analyzer's model
        resource, for a measure that needs a model of its own (loaded through the model cache)."""
        return type(self).compare(baseline, optimized)

    # Optional hooks ---------------------------------------------------------------------------

    def sampling_plans(self) -> list[SamplingPlan]:
        """The frames each preset reads (``video_frames`` decodes their union once)."""
        plan = type(self).plan
        return [plan(config) for config in self.presets.values()] if plan is not None else []

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        """Extra metadata for the main table of one video: plain values; ``bytes`` are PNG images."""
        return {}

    def evaluate(self, tables: dict[str, pd.DataFrame], truth: dict, seconds: float) -> dict[str, float] | None:
        """Accuracy against one clip's ground truth (``video_assets.sample``), the clip read up to ``seconds``;
        None where the corpus has no truth for this analyzer."""
        return None

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        """HTML for one video in the corpus report (tables keyed by table name)."""
        from video_assets.analyzers.markup import html_table

        main = tables.get(self.tables[0])
        return html_table(main, list(main.columns) if main is not None else [])

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        """Its rows of a video's timeline in the report (captions, speech, cuts, ...): what a
        person follows under the playing video. None by default."""
        return []

    def bench_extra(self, outputs: dict, inputs: dict, truth: dict, loaded: dict, models: Any = None) -> dict:
        """Extra benchmark entries from both presets' outputs (``outputs[preset][clip]``); ``loaded``:
        each preset's loaded models; ``models``: the model resource."""
        return {}

    def result_check(self, name: str, tables: dict[str, pd.DataFrame]) -> CheckOutcome:
        """One of ``result_checks`` on one video's tables (the optimized preset's)."""
        raise NotImplementedError(f"{self.name} declares the check {name!r} but no result_check")

    # Derived names (one home) -------------------------------------------------------------------

    def asset_key(self, table: str, preset: str) -> str:
        """``<name>`` / ``<name>_<table>`` for the optimized preset, with ``_baseline`` for its twin."""
        base = self.name if table == self.tables[0] else f"{self.name}_{table}"
        return base if preset == "optimized" else f"{base}_baseline"

    def main_key(self, preset: str = "optimized") -> str:
        return self.asset_key(self.tables[0], preset)

    @property
    def speed_check(self) -> str:
        return f"{self.name}_speed"

    @property
    def parity_check(self) -> str:
        return f"{self.name}_parity"


def check_contract(analyzer: Any) -> Analyzer:
    """Raise ContractError naming every part of the contract ``analyzer`` misses."""
    label = getattr(analyzer, "name", None) or type(analyzer).__name__
    problems: list[str] = []
    if not isinstance(analyzer, Analyzer):
        raise ContractError(f"analyzer {label}: is a {type(analyzer).__name__}, not an Analyzer (video_assets.analyzers.contract)")
    for attr in ("name", "description", "input", "tables", "schemas", "presets", "batch_fields", "model",
                 "uses_gpu", "speed_target_rtf", "parity_threshold", "kinds"):
        if not hasattr(analyzer, attr):
            problems.append(f"missing `{attr}`")
    cls = type(analyzer)
    if cls.process is Analyzer.process and not callable(getattr(cls, "run", None)):
        problems.append("neither `run` (the core function) nor a `process` method")
    if cls.parity is Analyzer.parity and not callable(getattr(cls, "compare", None)):
        problems.append("neither `compare` (the parity function) nor a `parity` method")
    if problems:
        raise ContractError(f"analyzer {label}: " + "; ".join(problems))
    if not analyzer.name.isidentifier():
        problems.append(f"name {analyzer.name!r} is not an identifier")
    if analyzer.input not in INPUTS:
        problems.append(f"input {analyzer.input!r} is not one of {INPUTS}")
    if not analyzer.tables:
        problems.append("declares no tables")
    if set(analyzer.schemas) != set(analyzer.tables):
        problems.append(f"schemas {sorted(analyzer.schemas)} do not match tables {list(analyzer.tables)}")
    for table, schema in analyzer.schemas.items():
        if not isinstance(schema, pa.Schema):
            problems.append(f"schema of {table!r} is not a pyarrow.Schema")
    if set(analyzer.presets) != set(PRESET_NAMES):
        problems.append(f"presets {sorted(analyzer.presets)} are not exactly {list(PRESET_NAMES)}")
    for preset, config in analyzer.presets.items():
        if not is_dataclass(config) or not hasattr(config, "as_dict"):
            problems.append(f"preset {preset!r} is not a dataclass with as_dict()")
            continue
        names = {f.name for f in fields(config)}
        missing = [b for b in analyzer.batch_fields if b not in names]
        if missing:
            problems.append(f"batch fields {missing} are not fields of preset {preset!r}")
    if set(analyzer.speed_target_rtf) != set(PROFILES):
        problems.append(f"speed_target_rtf needs exactly {list(PROFILES)}, has {sorted(analyzer.speed_target_rtf)}")
    if not 0.0 < float(analyzer.parity_threshold) <= 1.0:
        problems.append(f"parity_threshold {analyzer.parity_threshold} is not in (0, 1]")
    if analyzer.input == "video_frames" and not analyzer.sampling_plans():
        problems.append("reads video_frames but declares no sampling plans")
    if analyzer.input == "video_frames" and analyzer.whole_input:
        problems.append("reads video_frames whole (whole_input): frames must stream (inputs.frames / inputs.segments)")
    if problems:
        raise ContractError(f"analyzer {label}: " + "; ".join(problems))
    return analyzer


def build_registry(*analyzers: Any) -> tuple[Analyzer, ...]:
    """Check each analyzer against the contract and that names and asset keys are unique."""
    checked = tuple(check_contract(a) for a in analyzers)
    names = [a.name for a in checked]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ContractError(f"analyzers registered twice: {dupes}")
    keys = [a.asset_key(t, p) for a in checked for t in a.tables for p in PRESET_NAMES]
    clash = sorted({k for k in keys if keys.count(k) > 1})
    if clash:
        raise ContractError(f"asset keys made by two analyzers: {clash}")
    return checked
