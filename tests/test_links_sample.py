"""links on the links clips (``video_assets/sample/links``, docs/links.md): files rendered from real
recordings, fingerprinted from the encoded H.264 + AAC, scored against their ground truth, with
the synthetic sample corpus in the index too (issue #52 item 5's targets: sound pairs recall >= 0.95,
precision 1.0, offsets within 0.2 s; re-upload pairs recall >= 0.95 and no false re-upload pair
across the whole sample corpus).

The clips are written once per session (about 3 minutes on 2 cores; VIDEO_ASSETS_TEST_LINKS_CLIPS:
a folder written before, reused when its truth is of this version)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@pytest.fixture(scope="session")
def links_clips(session_dir: Path) -> tuple[Path, dict]:
    from video_assets.sample.links.writer import ensure_corpus

    out = Path(os.environ.get("VIDEO_ASSETS_TEST_LINKS_CLIPS", session_dir / "links_clips"))
    return out, ensure_corpus(out)


@pytest.fixture(scope="session")
def scored(links_clips, corpus_dir, tmp_path_factory) -> dict:
    """Every links clip and every synthetic sample clip fingerprinted, indexed, matched and scored."""
    from benchmark.links_sample import fingerprints, match_all, score

    folder, truth = links_clips
    files = {n: folder / c["file"] for n, c in truth["clips"].items()}
    synthetic = json.loads((corpus_dir / "ground_truth.json").read_text())
    files |= {f"corpus/{n}": corpus_dir / c["file"] for n, c in synthetic["clips"].items()}
    snd, foot, _ = fingerprints(files)
    matches = match_all(snd, foot, tmp_path_factory.mktemp("links_index"))
    return score(truth, matches, sorted(files))


def test_truth_is_consistent(links_clips):
    """Every clip is 1080x1920 with sound, 10-20 s, made of committed media with a recorded
    licence; each voice recording is one clip's only; the groups name clips that exist."""
    from video_assets.sample.real.media import LICENCES
    from video_assets.links import sound

    folder, truth = links_clips
    voices = [v for c in truth["clips"].values() for v in c["voices"]]
    assert len(voices) == len(set(voices))
    for name, clip in truth["clips"].items():
        assert (folder / clip["file"]).stat().st_size > 0
        assert (clip["width"], clip["height"]) == (1080, 1920) and 10 <= clip["duration"] <= 20
        assert all(LICENCES[m] == lic for m, lic in clip["media"].items()), name
    uses = truth["sound"]["groups"][0]["uses"]
    assert 4 <= len(uses) <= 5 and {u["language"] for u in uses} == {"en", "de"}
    assert any(1.15 <= u["speed"] <= 1.25 for u in uses) and any(u["length_s"] == 6.0 for u in uses)
    assert any(u["under_voice_db"] == 10.0 for u in uses) and len(truth["sound"]["decoys"]) == 2
    edits = set(truth["footage"]["reupload_groups"][0]["edits"].values())
    assert edits == {"letterbox", "mirror", "crop + crf 35", "captions"}
    names = set(truth["clips"])
    assert all(set(g["videos"]) <= names for g in truth["footage"]["reupload_groups"] + truth["footage"]["shared_footage"])
    # The footage clips are silent: their sound matches nothing (their truth is footage only).
    from benchmark.links_sample import _audio

    assert len(sound.fingerprint(_audio(folder / truth["clips"]["bird_original"]["file"]))) == 0


def test_sound_pairs_found_are_true_at_their_offsets(scored):
    """What holds today: no false sound pair among the links clips (the decoys match nothing) and
    every pair found is at its offset (0.2 s) and speed (2 %)."""
    s = scored["sound"]
    assert s["false_pairs_links_clips"] == []
    assert all(e["offset_error_s"] <= 0.2 and e["speed_error"] <= 0.02 for e in s["pairs"]), s["pairs"]


def test_sound_pairs_recall_on_the_links_clips(scored):
    """Issue #52's sound targets on real music under real voice-overs ("Vibe Ace" 6-10 dB under
    speech, one use sped up 1.2x, one of 6 s): recall >= 0.95, precision 1.0 with the decoys and the
    synthetic corpus in the index, offsets within 0.2 s."""
    s = scored["sound"]
    assert s["precision"] == 1.0 and s["recall"] >= 0.95, s["missed"]
    assert s["max_offset_error_s"] <= 0.2, s["pairs"]


def test_reuploads_group_and_no_false_reupload_pair(scored):
    """Issue #52's footage targets: re-upload pairs recall >= 0.95 (letterbox, mirror, crop + CRF 35,
    new captions: all ten pairs), no false re-upload pair across the links clips and the whole
    synthetic corpus (whose clips pan over the same photographs), the five clips one group."""
    f = scored["footage"]
    assert f["reupload_recall"] >= 0.95, f["missed_reupload_pairs"]
    assert f["false_reupload_pairs"] == [], f["false_reupload_pairs"]
    assert f["reupload_groups"][0] == sorted(["bird_original", "bird_letterbox", "bird_mirror", "bird_crop_crf35", "bird_new_captions"])


def test_shared_photo_is_shared_footage_not_a_reupload(scored):
    f = scored["footage"]
    assert f["shared_footage_expected"][0] in f["shared_footage_found"], f["kinds"]
    assert f["shared_footage_expected"][0] not in f["false_reupload_pairs"]
