"""The one-file CLI runs the same assets in-process and prints a summary."""

import subprocess
import sys

import pyarrow.parquet as pq

from video_assets.cli import main


def test_help_explains_every_command():
    out = subprocess.run([sys.executable, "-m", "video_assets.cli.main", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("analyze", "sample-corpus", "demo"):
        assert command in out
    sub = subprocess.run([sys.executable, "-m", "video_assets.cli.main", "analyze", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--preset" in sub and "--only" in sub and "--out" in sub


def test_analyze_one_file(corpus_dir, tmp_path, monkeypatch, capsys):
    # The CLI points the storage and corpus variables at its own folders; keep that to this test.
    monkeypatch.setenv("VIDEO_ASSETS_STORAGE", str(tmp_path / "unused"))
    monkeypatch.setenv("VIDEO_ASSETS_CORPUS", str(tmp_path / "unused"))
    code = main.main(["analyze", str(corpus_dir / "rocket_story.mp4"), "--only", "speech_rate", "--out", str(tmp_path / "out")])
    assert code == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "rocket_story" in printed and "speech_rate rows" in printed
    assert "links: 0 shared sound(s), 0 re-upload group(s)" in printed  # one video shares nothing
    # The terminal gets progress and results; Dagster's event log goes to the file it names.
    log = tmp_path / "out" / "video-assets.log"
    assert f"log: {log}" in printed
    assert "DEBUG" not in captured.out + captured.err and "STEP_SUCCESS" in log.read_text()
    table = pq.read_table(tmp_path / "out" / "storage" / "speech_rate_summary" / "rocket_story.parquet").to_pandas()
    assert table.total_words.iloc[0] > 10


def test_analyze_reports_bad_input(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VIDEO_ASSETS_STORAGE", str(tmp_path / "unused"))
    monkeypatch.setenv("VIDEO_ASSETS_CORPUS", str(tmp_path / "unused"))
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    code = main.main(["analyze", str(bad), "--only", "speech_rate", "--out", str(tmp_path / "out")])
    assert code == 1
    assert "not a readable video file" in capsys.readouterr().err


def test_report_has_every_video_and_the_dataset(corpus_dir, tmp_path, monkeypatch):
    import re

    monkeypatch.setenv("VIDEO_ASSETS_STORAGE", str(tmp_path / "unused"))
    monkeypatch.setenv("VIDEO_ASSETS_CORPUS", str(tmp_path / "unused"))
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("rocket_story", "quiet_coffee"):
        (folder / f"{name}.mp4").symlink_to(corpus_dir / f"{name}.mp4")
    assert main.main(["analyze", str(folder), "--only", "speech_rate", "--out", str(tmp_path / "out")]) == 0
    report = tmp_path / "out" / "report"
    page = (report / "report.html").read_text()
    assert 'href="videos/rocket_story.html"' in page and 'href="videos/quiet_coffee.html"' in page
    assert re.search(r"speech_rate_speed</th>", page)
    for name in ("rocket_story", "quiet_coffee"):  # a page per video, the video copied beside it
        video_page = (report / "videos" / f"{name}.html").read_text()
        assert f'src="{name}.mp4"' in video_page and (report / "videos" / f"{name}.mp4").stat().st_size == (folder / f"{name}.mp4").stat().st_size
        assert video_page.count("data:image/jpeg;base64,") == 1  # its contact sheet
    rocket = (report / "videos" / "rocket_story.html").read_text()
    assert rocket.count("data:image/png;base64,") >= 1 and 'data-track="speech"' in rocket  # a words-per-minute plot, the speech track
    summary = pq.read_table(tmp_path / "out" / "report" / "tables" / "speech_rate_summary.parquet").to_pandas()
    assert sorted(summary.video) == ["quiet_coffee", "rocket_story"]
    assert summary.set_index("video").loc["quiet_coffee", "has_audio"] == False  # noqa: E712


def test_missing_weights_are_named_once_before_the_first_video_and_the_rest_runs(corpus_dir, tmp_path, monkeypatch, capsys):
    """No weights and no network: each analyzer that cannot run is named once, with the variable
    to set, before any video; the others run; nothing waits on a hub."""
    monkeypatch.setenv("VIDEO_ASSETS_STORAGE", str(tmp_path / "unused"))
    monkeypatch.setenv("VIDEO_ASSETS_CORPUS", str(tmp_path / "unused"))
    monkeypatch.setenv("VIDEO_ASSETS_OFFLINE", "1")
    monkeypatch.setenv("VIDEO_ASSETS_QWEN_OPTIMIZED", "Qwen/Qwen2-VL-7B-Instruct")
    monkeypatch.setenv("VIDEO_ASSETS_YOLO_OPTIMIZED", "yolov8l.pt")
    code = main.main(["analyze", str(corpus_dir / "rocket_story.mp4"), "--only", "qwen2_vl_temporal", "object_detection",
                     "speech_rate", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1
    lines = captured.err.splitlines()
    qwen = [line for line in lines if line.startswith("qwen2_vl_temporal cannot run")]
    yolo = [line for line in lines if line.startswith("object_detection cannot run")]
    assert len(qwen) == 1 and "VIDEO_ASSETS_QWEN_OPTIMIZED" in qwen[0]
    assert len(yolo) == 1 and "VIDEO_ASSETS_YOLO_OPTIMIZED" in yolo[0]
    assert "--only speech_rate" in captured.err
    assert "FAILED" not in captured.err and "Traceback" not in captured.err  # never tried, so never failed per video
    assert pq.read_table(tmp_path / "out" / "storage" / "speech_rate_summary" / "rocket_story.parquet").num_rows == 1


def test_baseline_preset_writes_the_report_dataset(corpus_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEO_ASSETS_STORAGE", str(tmp_path / "unused"))
    monkeypatch.setenv("VIDEO_ASSETS_CORPUS", str(tmp_path / "unused"))
    assert main.main(["analyze", str(corpus_dir / "quiet_coffee.mp4"), "--preset", "baseline", "--only", "speech_rate",
                     "--out", str(tmp_path / "out")]) == 0
    summary = pq.read_table(tmp_path / "out" / "report" / "tables" / "speech_rate_summary.parquet").to_pandas()
    assert summary.video.tolist() == ["quiet_coffee"] and summary.preset.tolist() == ["baseline"]
    assert "(baseline preset)" in (tmp_path / "out" / "report" / "report.html").read_text()


def test_a_long_step_gets_an_estimate_even_on_a_new_instance():
    """The canary's baseline OCR takes minutes: with no history the bar estimates it from the
    committed benchmark's realtime factor (measured with real EasyOCR weights)."""
    import dagster as dg

    from video_assets.cli import console
    from video_assets.definitions import defs

    job = defs.resolve_job_def("canary_parity_job")
    estimates = console.estimates_for(dg.DagsterInstance.ephemeral(), job, 10.0)
    assert estimates["text_overlay_baseline"] > estimates.get("speech_rate_baseline", 0) > 0
    assert "qwen2_vl_temporal_baseline" not in estimates  # benchmarked with random-init weights: no prior


def test_the_demo_leaves_the_slow_baselines_parity_to_make_demo_parity():
    from video_assets.analyzers import names
    from video_assets.cli.demo import FAST_BASELINE_RTF, baseline_rtf, parity_split

    measured = baseline_rtf()
    fast, slow = parity_split("fast")
    assert {a.name for a in slow} == {n for n, rtf in measured.items() if rtf > FAST_BASELINE_RTF} == {"text_overlay", "qwen2_vl_temporal"}
    assert sorted(a.name for a in fast + slow) == sorted(names())
    assert [a.name for a in parity_split("full")[0]] == names() and parity_split("none")[0] == []
    # Random-init weights (the demo's YOLO): a parity that means nothing is left out too.
    assert "object_detection" in {a.name for a in parity_split("fast", {"object_detection"})[1]}


def test_the_demo_runs_contiguous_ranges_of_videos():
    from video_assets.cli.demo import contiguous_runs

    assert contiguous_runs(list("abcdefg"), list("gfedcba"), 32) == [list("abcdefg")]
    assert contiguous_runs(list("abcdefg"), list("abcefg"), 2) == [["a", "b"], ["c"], ["e", "f"], ["g"]]


def test_the_demo_scores_the_links_clips_groups_against_their_truth():
    import pandas as pd

    from video_assets.cli.demo_links import against_truth, keys
    from video_assets.sample.links.uses import CLIPS, footage_truth, sound_truth

    truth = {"clips": {c.name: {"file": f"{c.name}.mp4"} for c in CLIPS}, "sound": sound_truth(), "footage": footage_truth()}
    key = keys(truth)
    assert key["bird_mirror"] != "bird_mirror" and key["bird_mirror"].startswith("links_bird_mirror-")  # a key of links/bird_mirror.mp4
    birds = [key[v] for v in truth["footage"]["reupload_groups"][0]["videos"]]
    uses = [key[u["video"]] for u in truth["sound"]["groups"][0]["uses"]]
    photos = [key[v] for v in truth["footage"]["shared_footage"][0]["videos"]]
    sounds = pd.DataFrame({"videos": [uses[:2], [key["decoy_bed"], "rocket_story"]]})
    groups = pd.DataFrame({"videos": [birds[:4], photos, [birds[4], key["decoy_strings"]]],
                           "kind": ["reupload", "shared_footage", "reupload"]})
    lines = against_truth(sounds, groups, truth, key)
    assert f"  sound kevin_macleod_vibe_ace_0-40s.opus: 2 of {len(uses)} videos found in one group" in lines
    assert "  reupload bird_original: 4 of 5 videos found in one group" in lines
    assert "  shared footage obama_official_portrait_2012.jpg: 2 of 2 videos found in one group" in lines
    assert "  false sound group: decoy_bed, rocket_story" in lines
    assert f"  false reupload group: {', '.join(sorted([truth['footage']['reupload_groups'][0]['videos'][4], 'decoy_strings']))}" in lines
    assert len(lines) == 5, lines
