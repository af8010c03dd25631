"""The analyzer contract, the registry and the one direction of dependency; and the fifth analyzer
(scene_cuts, one folder and one registry line) through everything that derives from the registry:
assets, baseline twin, checks, the CLI, the corpus report and the benchmark."""

import ast
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from resources.ray_pool import ModelPools
from video_assets.analyzers import ANALYZERS, by_name, names
from video_assets.analyzers.base import AnalyzerResult, ParityReport, col, typed_table
from video_assets.analyzers.contract import Analyzer, ContractError, build_registry, check_contract

ROOT = Path(__file__).resolve().parents[1]


def test_every_registered_analyzer_meets_the_contract():
    assert names() == ["qwen2_vl_temporal", "text_overlay", "object_detection", "speech_rate", "scene_cuts", "faces", "audio_events"]
    for analyzer in ANALYZERS:
        assert check_contract(analyzer) is analyzer
        assert analyzer.main_key("baseline") == f"{analyzer.name}_baseline"
        assert analyzer.speed_check == f"{analyzer.name}_speed" and analyzer.parity_check == f"{analyzer.name}_parity"


@dataclass(frozen=True)
class _Config:
    preset: str
    factor: float

    def as_dict(self):
        return asdict(self)


class _Brightness(Analyzer):
    """A small real analyzer defined here: mean brightness of the frames the caption reader stores."""

    name = "brightness"
    description = "Mean luma of the sampled frames."
    input = "video_frames"
    tables = ("levels",)
    schemas = {"levels": pa.schema([col("timestamp_s", pa.float64(), "frame time"), col("luma", pa.float64(), "mean luma 0-255")])}
    presets = {"baseline": _Config("baseline", 1.0), "optimized": _Config("optimized", 1.0)}
    batch_fields = ()
    model = None
    uses_gpu = False
    speed_target_rtf = {"gpu": 1.0, "cpu": 1.0}
    parity_threshold = 0.99
    kinds = frozenset({"numpy"})

    def sampling_plans(self):
        return by_name("text_overlay").sampling_plans()[:1]

    def process(self, inputs, config, model):
        frames = inputs.select(self.sampling_plans()[0])
        rows = [{"timestamp_s": f.pts_s, "luma": float(f.image.mean()) * config.factor} for f in frames]
        return AnalyzerResult(tables={"levels": typed_table(rows, self.schemas["levels"])}, stats={"frames": len(rows)})

    def parity(self, baseline, optimized, models=None):
        same = baseline["levels"].equals(optimized["levels"])
        return ParityReport(1.0 if same else 0.0, {}, same)


def test_a_broken_analyzer_is_refused_naming_what_is_missing():
    class Broken(_Brightness):
        name = "broken"
        batch_fields = ("batch",)  # not a field of its presets
        speed_target_rtf = {"cpu": 1.0}  # no gpu target

    with pytest.raises(ContractError) as err:
        build_registry(Broken())
    message = str(err.value)
    assert "analyzer broken" in message and "batch fields ['batch']" in message and "speed_target_rtf" in message

    class NoSchemas(_Brightness):
        name = "no_schemas"
        schemas = {}

    with pytest.raises(ContractError, match="schemas .* do not match tables"):
        build_registry(NoSchemas())
    class DeclaresOnly(_Brightness):
        name = "declares_only"
        process = Analyzer.process  # neither its own process nor a core `run`
        parity = Analyzer.parity

    with pytest.raises(ContractError, match="neither `run`.*neither `compare`"):
        build_registry(DeclaresOnly())
    with pytest.raises(ContractError, match="registered twice"):
        build_registry(_Brightness(), _Brightness())
    with pytest.raises(ContractError, match="not an Analyzer"):
        build_registry(object())


def test_the_factory_takes_an_analyzer_defined_elsewhere(tmp_path, corpus_dir):
    """One class meeting the contract is enough for assets, a twin and checks that run."""
    from resources.corpus import VideoCorpus
    from resources.storage import VideoAssetsIOManager
    from video_assets.defs.assets import ingest
    from video_assets.defs.assets.analysis import analyzer_definitions
    from video_assets.defs.checks import CheckSettings

    [brightness] = build_registry(_Brightness())
    defs = analyzer_definitions(brightness)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", ["quiet_coffee"])
    resources = {"io_manager": VideoAssetsIOManager(root=str(tmp_path)), "corpus": VideoCorpus(root=str(corpus_dir)),
                 "check_settings": CheckSettings(), "model_pools": ModelPools()}
    result = dg.materialize([ingest.video_file, ingest.video_frames, *defs.assets, *defs.asset_checks], instance=instance,
                            partition_key="quiet_coffee", resources=resources)
    assert result.success
    mats = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert mats["brightness"]["rows"].value == mats["brightness"]["frames"].value > 10
    assert "weights" not in mats["brightness"]  # no model, so no weights to label
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["brightness_parity"].passed and checks["brightness_speed"].passed


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_dependencies_point_one_way():
    """Pure layers (analyzers, media, report, sample, runtime) import neither Dagster nor resources nor
    a layer above them; checks never import assets; resources never import the Dagster layer."""
    from video_assets import PURE_LAYERS

    upward = ("dagster", "dagster_ray", "resources", "video_assets.defs", "video_assets.definitions", "video_assets.cli",
              "video_assets.cluster")
    pure = [p for layer in PURE_LAYERS for p in sorted((ROOT / "video_assets" / layer).rglob("*.py"))]
    assert len(pure) > 30 and {p.relative_to(ROOT / "video_assets").parts[0] for p in pure} == set(PURE_LAYERS)
    for path in pure:
        bad = sorted(m for m in _imports(path) if m.startswith(upward))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
    assert not [m for m in _imports(ROOT / "video_assets" / "defs" / "checks.py") if m.startswith("video_assets.defs.assets")]
    for path in sorted((ROOT / "resources").rglob("*.py")):
        bad = sorted(m for m in _imports(path) if m.startswith(("video_assets.defs", "video_assets.cli", "video_assets.definitions")))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
    # Nothing new at the package root but the entry: every other module lives in its layer's folder.
    assert sorted(p.name for p in (ROOT / "video_assets").glob("*.py")) == ["__init__.py", "definitions.py"]
    # And at run time: importing every pure layer loads neither Dagster nor a resource module.
    code = ("import sys, importlib, pkgutil, video_assets\n"
            "for layer in video_assets.PURE_LAYERS:\n"
            "    pkg = importlib.import_module('video_assets.' + layer)\n"
            "    for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'):\n"
            "        importlib.import_module(m.name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'resources')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    assert out == "[]"


def _module_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, lazy imports inside functions included (a circle
    through a function-level import is still a circle in the design). ``from pkg import sub`` is
    an import of ``pkg.sub`` alone."""
    mods = {}
    for base in ("video_assets", "resources"):
        for path in (ROOT / base).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            mods[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = path

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module for a in node.names]
            else:
                continue
            deps |= {t for t in map(known, targets) if t and t != name}
        graph[name] = deps
    return graph


def _circles(graph: dict[str, set[str]]) -> list[str]:
    """The modules that reach themselves."""
    circles = []
    for start in sorted(graph):
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node == start:
                circles.append(start)
                break
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
    return circles


def test_no_import_circles():
    """No module reaches itself through the project's imports (a helper two layers share lives
    below both: the HTML pieces in analyzers/markup.py, hits' formatting in cli/console.py, the
    frames file in media/framestore.py, which imports media/frames.py and not the other way)."""
    graph = _module_graph()
    assert len(graph) > 80
    assert _circles(graph) == []
    # The check can fail: one lazy import back up makes a circle of both modules.
    graph["video_assets.media.frames"].add("video_assets.media.framestore")
    assert _circles(graph) == ["video_assets.media.frames", "video_assets.media.framestore"]


def test_one_name_per_concept():
    """No two modules share a name across layers (the per-analyzer packages repeat their concerns:
    presets, schemas, core, parity ... by design); the Dagster wrapper of a pure module says so."""
    owners: dict[str, set[str]] = {}
    for path in list((ROOT / "video_assets").rglob("*.py")) + list((ROOT / "resources").glob("*.py")):
        rel = path.relative_to(ROOT)
        if path.name == "__init__.py" or rel.parts[:2] == ("video_assets", "analyzers") and len(rel.parts) > 3:
            continue
        owners.setdefault(path.stem, set()).add(str(rel))
    assert {name: sorted(p) for name, p in owners.items() if len(p) > 1} == {}


def test_no_module_is_over_300_lines():
    long = [str(p.relative_to(ROOT)) for d in ("video_assets", "resources") for p in (ROOT / d).rglob("*.py")
            if len(p.read_text().splitlines()) > 300]
    assert long == []


def test_scene_cuts_finds_the_sample_corpus_cuts(corpus_dir, ground_truth):
    """The fifth analyzer is real: both presets find every cut of the sample corpus and nothing else."""
    from video_assets.analyzers import sampling_plans
    from video_assets.media.decode import decode_frames

    scene_cuts = by_name("scene_cuts")
    for clip in ("caption_drill", "rocket_story"):
        bundle = decode_frames(str(corpus_dir / f"{clip}.mp4"), sampling_plans())
        tables = {p: scene_cuts.process(bundle, scene_cuts.presets[p], None).tables for p in ("baseline", "optimized")}
        for preset, t in tables.items():
            accuracy = scene_cuts.evaluate(t, ground_truth["clips"][clip], bundle.info.duration_s)
            assert accuracy == {"recall": 1.0, "precision": 1.0, "f1": 1.0}, (clip, preset, t["cuts"])
        assert scene_cuts.parity(tables["baseline"], tables["optimized"]).passed
        # Parity can fail: an optimized table that misses a cut scores below the threshold.
        fewer = {"cuts": tables["optimized"]["cuts"].iloc[:-1]}
        assert not scene_cuts.parity(tables["baseline"], fewer).passed


def test_scene_cuts_in_the_code_location_cli_report_and_benchmark(corpus_dir, tmp_path, monkeypatch, capsys):
    from video_assets.cli import main
    from video_assets.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"scene_cuts", "scene_cuts_baseline"} <= keys
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert {"scene_cuts_speed", "scene_cuts_parity"} <= checks
    from video_assets.defs.jobs import corpus_selection

    assert dg.AssetKey("scene_cuts") in corpus_selection.resolve(defs.resolve_asset_graph())

    monkeypatch.setenv("VIDEO_ASSETS_STORAGE", str(tmp_path / "unused"))
    monkeypatch.setenv("VIDEO_ASSETS_CORPUS", str(tmp_path / "unused"))
    assert main.main(["analyze", str(corpus_dir / "rocket_story.mp4"), "--only", "scene_cuts", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("rocket_story"))
    assert row.split()[-1] == "1"  # one cut, real rows (no random-init star)
    page = (tmp_path / "out" / "report" / "report.html").read_text()
    assert "scene_cuts_speed" in page
    video_page = (tmp_path / "out" / "report" / "videos" / "rocket_story.html").read_text()
    assert "<h3>Cuts</h3>" in video_page and 'data-track="cuts"' in video_page and 'data-start="5.500"' in video_page
    cuts = pd.read_parquet(tmp_path / "out" / "report" / "tables" / "scene_cuts.parquet")
    assert cuts.video.tolist() == ["rocket_story"] and cuts.time_s.tolist() == [5.5]

    out = tmp_path / "bench"
    subprocess.run([sys.executable, "-m", "benchmark", "--analyzers", "scene_cuts", "--reps", "1", "--clips", "rocket_story",
                    "--corpus", str(corpus_dir), "--out", str(out)], check=True, capture_output=True, cwd=ROOT)
    entry = json.loads((out / "results.json").read_text())["analyzers"]["scene_cuts"]
    assert entry["parity"] == 1.0 and entry["weights"] == "no model"
    assert entry["accuracy"]["optimized"]["f1"] == 1.0 and entry["speedup"] > 0
    assert "| scene_cuts |" in (out / "results.md").read_text()


def test_cpu_speed_targets_come_from_the_committed_measurements():
    """Each analyzer's CPU target is 1.5x the realtime factor its presets cite from
    benchmark/results/ (the row and the file are named where the target is set): a tenfold
    slowdown can never pass, and a new measurement that moves the number moves the target."""
    import importlib
    import json
    from pathlib import Path

    from video_assets.analyzers import ANALYZERS
    from video_assets.analyzers.base import CPU_TARGET_HEADROOM

    results = Path(__file__).resolve().parents[1] / "benchmark" / "results"
    for analyzer in ANALYZERS:
        presets = importlib.import_module(f"video_assets.analyzers.{analyzer.name}.presets")
        file, row = presets.MEASURED_ROW
        committed = json.loads((results / file).read_text())["analyzers"][row]["rtf_optimized"]
        assert presets.MEASURED_CPU_RTF == committed, (analyzer.name, row)
        assert analyzer.speed_target_rtf["cpu"] == round(CPU_TARGET_HEADROOM * committed, 4)
        assert analyzer.speed_target_rtf["cpu"] < 10 * committed
