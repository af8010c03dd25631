"""Session fixtures: the sample corpus is generated once, models load once, storage is per session.

Environment set here before any project import, so resources pick test defaults up:
random-init YOLO weights (no trained weights exist offline) with the small yolov8n architecture,
and a model cache and storage root inside the session's temp folder.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="video-assets-tests-"))
os.environ["VIDEO_ASSETS_STORAGE"] = str(_SESSION_DIR / "storage")
os.environ["VIDEO_ASSETS_MODEL_CACHE"] = os.environ.get("VIDEO_ASSETS_TEST_MODEL_CACHE", str(_SESSION_DIR / "model_cache"))
# VIDEO_ASSETS_TEST_CORPUS: a sample corpus written before (a developer's loop; CI writes its own).
os.environ["VIDEO_ASSETS_CORPUS"] = os.environ.get("VIDEO_ASSETS_TEST_CORPUS", str(_SESSION_DIR / "corpus"))
os.environ["VIDEO_ASSETS_YOLO_BASELINE"] = "random:yolov8n"
os.environ["VIDEO_ASSETS_YOLO_OPTIMIZED"] = "random:yolov8n"
os.environ.setdefault("VIDEO_ASSETS_DEVICE", "cpu")


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return _SESSION_DIR


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Kept after the run (screenshots, timelines, received alerts): VIDEO_ASSETS_TEST_ARTIFACTS,
    default test-artifacts/ in the repository (git-ignored)."""
    path = Path(os.environ.get("VIDEO_ASSETS_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def corpus_dir(session_dir: Path) -> Path:
    """The full deterministic sample corpus (about 20 s to write)."""
    from video_assets.sample.build import ensure_corpus

    out = Path(os.environ["VIDEO_ASSETS_CORPUS"])
    ensure_corpus(out)
    return out


@pytest.fixture(scope="session")
def ground_truth(corpus_dir: Path) -> dict:
    import json

    return json.loads((corpus_dir / "ground_truth.json").read_text())


@pytest.fixture(scope="session")
def video(corpus_dir: Path):
    """Path of a clip by name."""
    return lambda name: str(corpus_dir / f"{name}.mp4")


@pytest.fixture(scope="session")
def bad_inputs(corpus_dir: Path, session_dir: Path) -> dict[str, Path]:
    """Broken and odd files made from a sample clip at full size, each in its own folder so a corpus
    scan sees only it (the matrix of damage kinds at small size: ``damaged_inputs``)."""
    import subprocess

    root = session_dir / "bad"
    root.mkdir(exist_ok=True)
    src = (corpus_dir / "cafe_cat.mp4").read_bytes()
    files = {}

    def put(name: str, data: bytes) -> Path:
        folder = root / name
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.mp4"
        path.write_bytes(data)
        files[name] = path
        return path

    put("empty", b"")
    put("truncated", src[: len(src) // 3])
    put("text_file", b"this is not a video\n" * 50)
    # An unknown codec: the sample entry's fourcc rewritten, so FFmpeg finds no decoder.
    assert src.count(b"avc1") >= 1
    put("unsupported_codec", src.replace(b"avc1", b"zzzz").replace(b"avcC", b"zzzC"))
    rotated = root / "rotated"
    rotated.mkdir(exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(corpus_dir / "cafe_cat.mp4"),
         "-t", "2", "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated / "rotated.mp4")],
        check=True,
    )
    files["rotated"] = rotated / "rotated.mp4"
    return files


@pytest.fixture(scope="session")
def damaged_inputs(session_dir: Path) -> dict[str, Path]:
    """The damaged-input matrix of #51 (tests/damage_matrix.py: a few seconds to write, no sample
    corpus needed), all in one folder: file name -> path."""
    import damage_matrix

    return damage_matrix.build(session_dir / "damaged" / "corpus")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("VIDEO_ASSETS_KEEP_TEST_DIR") != "1":
        shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture
def materialize_analyzer(tmp_path):
    """Materialize an analyzer's optimized asset, its baseline twin and both checks for one partition
    (with the shared upstream assets), through Dagster's materialize(). Returns the result, the
    materializations' metadata by asset key, and the check evaluations by name."""
    import dagster as dg

    from resources.corpus import VideoCorpus
    from resources.ray_pool import ModelPools
    from resources.storage import VideoAssetsIOManager
    from video_assets.analyzers import by_name
    from video_assets.defs.assets import ingest
    from video_assets.defs.assets.analysis import analyzer_definitions
    from video_assets.defs.checks import CheckSettings

    alive = []  # results hold only a weak reference to their instance

    def run(name: str, resource, corpus_root, partition: str, check_settings=None, instance=None, raise_on_error=True):
        spec = by_name(name)
        instance = instance or dg.DagsterInstance.ephemeral()
        alive.append(instance)
        if partition not in instance.get_dynamic_partitions("videos"):
            instance.add_dynamic_partitions("videos", [partition])
        upstream = ingest.video_frames if spec.input == "video_frames" else ingest.audio_track
        defs = analyzer_definitions(spec, resource)
        resources = {
            "io_manager": VideoAssetsIOManager(root=str(tmp_path / "store")),
            "corpus": VideoCorpus(root=str(corpus_root)),
            "check_settings": check_settings or CheckSettings(),
            "model_pools": ModelPools(),
        } | ({spec.model: resource} if spec.model else {})
        result = dg.materialize([ingest.video_file, upstream, *defs.assets, *defs.asset_checks], instance=instance,
                                partition_key=partition, resources=resources, raise_on_error=raise_on_error)
        mats = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
        evaluations = {c.check_name: c for c in result.get_asset_check_evaluations()}
        return result, mats, evaluations

    return run


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium through Selenium, for the report's pages (file://, no network)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for tool in (CHROMIUM, CHROMEDRIVER):
        assert Path(tool).exists(), f"{tool} is missing: `make test` installs Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1300,1000",
                 "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
