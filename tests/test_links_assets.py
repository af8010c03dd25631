"""The links layer through Dagster (issue #52): per-video fingerprint assets over the shared decoded
inputs, and corpus_links (sounds, reuploads, video_links) kept up to date from what changed.

A small corpus made from the sample corpus: ``studio_talk`` (music then a voice), its repost
(mirrored, re-encoded, the same sound from 1.5 s on) and ``cafe_cat`` (other footage, other sound).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@pytest.fixture(scope="module")
def linked(corpus_dir, tmp_path_factory):
    import os

    import dagster as dg

    from resources.corpus import VideoCorpus
    from resources.storage import VideoAssetsIOManager
    from video_assets.defs.assets import ingest
    from video_assets.defs.assets.links import corpus_links, footage_fingerprint, sound_fingerprint

    root = tmp_path_factory.mktemp("links_corpus")
    shutil.copy(corpus_dir / "studio_talk.mp4", root / "studio_talk.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", "1.5", "-i", str(corpus_dir / "studio_talk.mp4"),
                    "-vf", "hflip", "-c:v", "libx264", "-crf", "30", "-c:a", "aac", str(root / "studio_repost.mp4")], check=True)
    os.utime(root / "studio_talk.mp4", (1_000_000, 1_000_000))  # the original was there first
    store = tmp_path_factory.mktemp("links_store")
    resources = {"io_manager": VideoAssetsIOManager(root=str(store)), "corpus": VideoCorpus(root=str(root))}
    instance = dg.DagsterInstance.ephemeral()
    per_video = [ingest.video_file, ingest.video_frames, ingest.audio_track, sound_fingerprint, footage_fingerprint]

    def add(name: str) -> None:
        if name != "studio_repost" and name != "studio_talk":
            shutil.copy(corpus_dir / f"{name}.mp4", root / f"{name}.mp4")
        instance.add_dynamic_partitions("videos", [name])
        dg.materialize(per_video, instance=instance, partition_key=name, resources=resources,
                       selection=[a.key for a in per_video[1:]])

    def link() -> dict:
        result = dg.materialize([corpus_links], instance=instance, resources=resources)
        io = resources["io_manager"]
        tables = {k: io.load_partition(dg.AssetKey(k), None) for k in ("sounds", "reuploads", "video_links")}
        mats = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
        return tables | {"metadata": mats}

    return instance, add, link, store, resources, root


def test_fingerprints_then_groups_then_one_new_video_then_one_removed(linked, capsys, tmp_path, browser, artifacts):
    import dagster as dg

    from video_assets.links.ledger import Ledger

    instance, add, link, store, resources, root = linked
    for name in ("studio_talk", "studio_repost"):
        add(name)
    fp = instance.fetch_materializations(dg.AssetKey("footage_fingerprint"), limit=5).records
    assert {r.partition_key for r in fp} == {"studio_talk", "studio_repost"}
    assert all(r.asset_materialization.metadata["frames_hashed"].value >= 20 for r in fp)

    first = link()
    links = first["video_links"].set_index("video")
    # One sound, used by both; the repost is a re-upload of the original (mirrored, cut 1.5 s in).
    assert len(first["sounds"]) == 1 and sorted(first["sounds"].videos[0]) == ["studio_repost", "studio_talk"]
    assert links.loc["studio_talk", "sound_id"] == links.loc["studio_repost", "sound_id"] != ""
    assert links.sound_uses.tolist() == [2, 2]
    assert links.loc["studio_repost", "reupload_of"] == "studio_talk" and links.loc["studio_talk", "reupload_of"] == ""
    groups = first["reuploads"]
    assert groups.kind.tolist() == ["reupload"] and groups.first_video.tolist() == ["studio_talk"]
    sound = [m for m in Ledger(store / "links").matches() if m.kind == "sound"]
    assert len(sound) == 1 and abs(abs(sound[0].offset_s) - 1.5) <= 0.2 and abs(sound[0].speed - 1.0) < 0.02
    # The UI shows each group's size.
    assert first["metadata"]["sounds"]["sounds"].value == {first["sounds"].sound_id[0]: 2}
    assert first["metadata"]["reuploads"]["reupload_groups"].value == {groups.group_id[0]: 2}

    # The CLI: what shares a sound or footage with a video, from either side.
    from video_assets.cli.main import main

    assert main(["similar", "studio_talk", "--by", "sound", "--storage", str(store)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("studio_repost") and "speed 1.00x" in out[0]
    assert main(["similar", "studio_repost", "--by", "footage", "--storage", str(store)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("studio_talk") and "reupload mirrored" in out[0]
    assert main(["similar", "nobody", "--storage", str(store)]) == 2

    # The report: both tracks and the links on the repost's page, the groups on the corpus page,
    # the video_links columns in the profile and the dataset.
    from video_assets.defs.assets.corpus_report import build_report

    html_url, rows, _ = build_report(instance, resources["io_manager"], ["studio_repost", "studio_talk"], str(tmp_path / "report"),
                                     corpus_root=str(root))
    page = (tmp_path / "report" / "videos" / "studio_repost.html").read_text()
    assert 'data-track="same sound"' in page and 'data-track="same footage"' in page
    assert page.count('href="studio_talk.html#t=') == 2 and "re-upload, mirrored" in page
    corpus = (tmp_path / "report" / "report.html").read_text()
    assert f'data-sound="{first["sounds"].sound_id[0]}"' in corpus and f'data-group="{groups.group_id[0]}"' in corpus
    # In Chromium: the two tracks drawn where the repost shares them, and a linked video's link
    # opens its page with the player at the shared moment.
    browser.get((tmp_path / "report" / "videos" / "studio_repost.html").as_uri())
    drawn = browser.execute_script("return Array.from(document.querySelectorAll(\"[data-track='same sound'] .item\"))"
                                   ".map(e => [parseFloat(e.dataset.start), e.getBoundingClientRect().width])")
    assert len(drawn) == 1 and drawn[0][0] < 1.0 and drawn[0][1] > 100, drawn
    href = browser.execute_script("return document.querySelector(\"[data-link='sound'] a\").getAttribute('href')")
    page, at = href.split("#t=")[0], float(href.split("#t=")[1])
    browser.get((tmp_path / "report" / "videos" / page).as_uri() + f"#t={at}")
    # The page's clock and playhead follow once the seek is done (its 'seeked' handler runs first).
    seeked = browser.execute_script(
        "const v = document.querySelector('video'); return new Promise(r => { const done = () => r(v.currentTime);"
        " if (v.readyState >= 1 && v.currentTime > 0 && !v.seeking) done(); v.addEventListener('seeked', done);"
        " setTimeout(done, 5000); });")
    assert seeked == pytest.approx(at, abs=0.05) and at > 1.0, (href, seeked)
    assert browser.execute_script("return document.getElementById('clock').textContent") == f"{at:.1f} s"
    browser.save_screenshot(str(artifacts / "report_linked_video.png"))
    import pandas as pd

    profile = pd.read_parquet(tmp_path / "report" / "tables" / "video_profile.parquet").set_index("video")
    assert profile.loc["studio_repost", "reupload_of"] == "studio_talk" and profile.sound_uses.tolist() == [2, 2]
    assert rows["video_links"] == 2 and rows["sounds"] == 1

    # A new video: one lookup; the pair found before is kept as it was.
    before = Ledger(store / "links").matches()
    add("cafe_cat")
    second = link()
    assert second["metadata"]["sounds"]["added"].value == {"sound": ["cafe_cat"], "footage": ["cafe_cat"]}
    assert Ledger(store / "links").matches() == before
    assert second["video_links"].set_index("video").loc["cafe_cat"].tolist() == ["", 1, ""]

    # Nothing changed: nothing looked up again.
    third = link()
    assert third["metadata"]["sounds"]["added"].value == {"sound": [], "footage": []}

    # The repost leaves the corpus: no group names it.
    instance.delete_dynamic_partition("videos", "studio_repost")
    fourth = link()
    assert fourth["sounds"].empty and fourth["reuploads"].empty
    assert sorted(fourth["video_links"].video) == ["cafe_cat", "studio_talk"]
    assert (fourth["video_links"].reupload_of == "").all() and (fourth["video_links"].sound_id == "").all()
    assert all("studio_repost" not in (m.query, m.other) for m in Ledger(store / "links").matches())


def test_a_ledger_that_died_before_its_write_is_repaired(tmp_path):
    """A video the index holds but the ledger does not name (a sync killed between the two writes)
    is taken out and added once, so it is never found twice."""
    import numpy as np

    from video_assets.links import synth
    from video_assets.links.ledger import Ledger
    from video_assets.links.sound import fingerprint

    music = synth.music(20.0, seed=3)
    fps = {"a": fingerprint(music), "b": fingerprint(np.concatenate([music[16000 * 3:], np.zeros(16000, np.float32)]))}
    ledger = Ledger(tmp_path)
    ledger.index["sound"].add("b", fps["b"])  # the index has b, the ledger does not
    done = ledger.sync({"a", "b"}, {"sound": {"a": "1", "b": "2"}}, lambda kind, v: fps[v])
    assert done.added["sound"] == ["a", "b"]
    assert ledger.index["sound"].videos() == ["a", "b"]
    pairs = [(m.query, m.other) for m in ledger.matches()]
    assert pairs == [("b", "a")]


def test_fingerprints_are_the_same_alone_and_in_a_step(linked, tmp_path):
    """A fingerprint depends on its video alone: the tables a two-video step writes are the ones
    each video's own run wrote (the first test's store)."""
    import dagster as dg
    import pandas as pd

    from resources.corpus import VideoCorpus
    from resources.storage import VideoAssetsIOManager
    from video_assets.defs.assets import ingest
    from video_assets.defs.assets.links import footage_fingerprint, sound_fingerprint

    _, _, _, store, _, root = linked
    names = ["studio_repost", "studio_talk"]
    io = VideoAssetsIOManager(root=str(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("videos", names)
    assets = [ingest.video_file, ingest.video_frames, ingest.audio_track, sound_fingerprint, footage_fingerprint]
    result = dg.materialize(assets, selection=[a.key for a in assets[1:]], instance=instance,
                            resources={"io_manager": io, "corpus": VideoCorpus(root=str(root))},
                            tags={"dagster/asset_partition_range_start": names[0], "dagster/asset_partition_range_end": names[-1]})
    assert result.success
    alone = VideoAssetsIOManager(root=str(store))
    for key in ("sound_fingerprint", "footage_fingerprint"):
        for name in names:
            step, own = io.load_partition(dg.AssetKey(key), name), alone.load_partition(dg.AssetKey(key), name)
            assert len(own) > 0
            pd.testing.assert_frame_equal(step, own)
            assert step.attrs["arrow_schema"].metadata == own.attrs["arrow_schema"].metadata


def test_the_links_sensor_runs_once_per_change(linked):
    """links_sensor: a run when a fingerprint was materialized or the videos changed since the
    cursor, none for a tick that sees the same (the run key is the change)."""
    import dagster as dg

    from video_assets.defs.sensors import links_sensor

    instance = linked[0]
    first = links_sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(first, dg.RunRequest) and first.run_key
    again = links_sensor(dg.build_sensor_context(instance=instance, cursor=first.run_key))
    assert isinstance(again, dg.SkipReason)
    instance.add_dynamic_partitions("videos", ["not_yet_decoded"])
    changed = links_sensor(dg.build_sensor_context(instance=instance, cursor=first.run_key))
    assert isinstance(changed, dg.RunRequest) and changed.run_key != first.run_key
    instance.delete_dynamic_partition("videos", "not_yet_decoded")


def test_an_empty_fingerprint_is_stored_and_read_back():
    """A video without sound, or of flat frames only (colour bars), has an empty fingerprint: it is
    stored like any other (its duration kept) and matches nothing."""
    import numpy as np

    from resources.storage import dump, load
    from video_assets.links.fingerprints import digest, footage_of, footage_table, sound_of, sound_table
    from video_assets.links.footage import FootageFingerprint
    from video_assets.links.sound import fingerprint

    none = np.zeros((0, 32), np.uint8)
    foot = footage_of(load(dump(footage_table(FootageFingerprint(np.zeros(0, np.float32), np.zeros(0, np.uint8), none, none, 8.0, 16))),
                           ".parquet"))
    assert len(foot) == 0 and foot.hashes.shape == (0, 32) and (foot.duration_s, foot.frames) == (8.0, 16)
    table = sound_table(fingerprint(np.zeros(16000 * 3, np.float32)))
    snd = sound_of(load(dump(table), ".parquet"))
    assert len(snd) == 0 and snd.duration_s == 3.0 and len(digest(table)) == 16


def test_overlapping_spans_of_a_track_are_drawn_on_rows_of_their_own(browser, tmp_path, artifacts):
    """Four re-uploads of one whole clip on the "same footage" track: four bars a person can read
    (before, one bar over the other three), in Chromium; spans that do not overlap share a row."""
    from video_assets.analyzers.base import Track
    from video_assets.report.pages import PAGE_STYLE, track_html

    spans = [(0.0, 12.0, "bird_letterbox"), (0.0, 12.0, "bird_mirror"), (0.5, 11.5, "bird_crop_crf35"),
             (0.0, 12.0, "bird_new_captions"), (12.5, 14.0, "later, alone")]
    lane = track_html(Track("same footage", spans, color="#8172b2"), 14.0)
    page = tmp_path / "lane.html"
    page.write_text(f"<html><head><meta charset='utf-8'><style>{PAGE_STYLE}</style></head><body>"
                    f"<div style='width:800px'>{lane}</div></body></html>")
    browser.get(page.as_uri())
    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('.item')).map(e => { const r = e.getBoundingClientRect();"
        " return [e.textContent, r.left, r.top, r.right, r.bottom]; })")
    lane_box = browser.execute_script("const r = document.querySelector('.lane').getBoundingClientRect(); return [r.top, r.bottom];")
    browser.save_screenshot(str(artifacts / "report_overlapping_spans.png"))
    assert sorted(b[0] for b in boxes) == sorted(s[2] for s in spans)
    for a, b in itertools.combinations(boxes, 2):
        overlap = min(a[3], b[3]) - max(a[1], b[1]) > 1 and min(a[4], b[4]) - max(a[2], b[2]) > 1
        assert not overlap, (a, b)
    assert all(lane_box[0] <= b[2] and b[4] <= lane_box[1] for b in boxes), (boxes, lane_box)
    rows = {b[0]: round(b[2]) for b in boxes}
    assert len({rows[s[2]] for s in spans[:4]}) == 4 and rows["later, alone"] == rows["bird_letterbox"]
