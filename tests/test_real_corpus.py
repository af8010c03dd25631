"""The corpus of real recordings (video_assets/sample/real, docs/real-recordings.md): every media file
has its source and licence recorded, the clips' specs are consistent with the media, and one clip
builds into a vertical H.264 + AAC video whose ground truth agrees with it."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from video_assets.sample.real import recordings
from video_assets.sample.real.catalogue import REAL_CLIPS
from video_assets.sample.real.media import LICENCES, MEDIA_DIR, lyrics_lines, sung_phrases

ALLOWED = ("public domain", "CC0-1.0", "CC-BY-3.0", "CC-BY-4.0")
MEDIA_LIMIT = 15 * 1024 * 1024


def test_every_media_file_has_a_recorded_source_and_a_redistributable_licence():
    files = {p.name for p in MEDIA_DIR.iterdir() if p.name != "SOURCES.md"}
    assert files == set(LICENCES), "media/ and media.LICENCES list different files"
    sources = (MEDIA_DIR / "SOURCES.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", sources, re.M)}
    assert set(rows) == files, "every file needs its row in SOURCES.md"
    for name, licence in LICENCES.items():
        assert licence.startswith(ALLOWED), (name, licence)
        assert licence.split(" (")[0] in rows[name], (name, licence, "the SOURCES.md row names another licence")
    assert sum((MEDIA_DIR / f).stat().st_size for f in files) <= MEDIA_LIMIT
    for name in files:
        if name.endswith(".jpg"):
            assert (MEDIA_DIR / name).stat().st_size <= 300 * 1024, name


def test_the_clips_use_only_recorded_media_and_fit_their_length():
    assert 6 <= len(REAL_CLIPS) <= 9 and len({c.name for c in REAL_CLIPS}) == len(REAL_CLIPS)
    for clip in REAL_CLIPS:
        assert 10.0 <= clip.duration <= 40.0, clip.name
        assert clip.scenes[0].start == 0.0 and clip.scenes[-1].end == clip.duration, clip.name
        assert all(a.end == b.start for a, b in zip(clip.scenes, clip.scenes[1:])), clip.name
        for cap in clip.captions:
            assert 0.0 <= cap.start < cap.end <= clip.duration, (clip.name, cap.text)
        for part in clip.speech:
            assert part.file in LICENCES and (MEDIA_DIR / part.file).exists()
        for sound in clip.sounds:
            assert sound.file in LICENCES and 0.0 <= sound.start < sound.end <= clip.duration
        for scene in clip.scenes:
            for layer in scene.layers:
                assert layer.source in LICENCES or not layer.source.endswith((".jpg", ".mp4")), layer.source
        assert recordings.media_of(clip), clip.name


def test_the_song_s_lyrics_line_up_with_its_annotated_phrases():
    phrases = sung_phrases()
    assert len(phrases) == len(lyrics_lines()) == 10
    assert all(a < b <= c for (a, b), (c, _) in zip(phrases, phrases[1:]))


def test_faces_truth_counts_the_portraits_in_view():
    by_name = {c.name: c for c in REAL_CLIPS}
    counts = [f["count"] for f in recordings.faces_truth(by_name["real_faces_sizes"])]
    assert counts == [1, 1, 2, 0]
    shares = [face["height_share"] for f in recordings.faces_truth(by_name["real_faces_sizes"]) for face in f["faces"]]
    assert shares[0] > 0.3 and shares[1] < 0.13  # a third of the frame, then about a tenth


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("real_corpus")
    return out, recordings.write_corpus(out, ["real_spontaneous_duet"])


def test_a_real_clip_builds_with_consistent_ground_truth(built):
    out, truth = built
    assert truth["corpus"] == "real" and truth["version"] == recordings.VERSION
    assert json.loads((out / "ground_truth.json").read_text()) == truth
    clip = truth["clips"]["real_spontaneous_duet"]
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height,r_frame_rate:format=duration",
         "-of", "json", str(out / clip["file"])], check=True, capture_output=True, text=True).stdout)
    codecs = {s["codec_name"] for s in probe["streams"]}
    video = next(s for s in probe["streams"] if s["codec_name"] == "h264")
    assert codecs == {"h264", "aac"} and (video["width"], video["height"]) == (1080, 1920) and video["r_frame_rate"] == "30/1"
    assert abs(float(probe["format"]["duration"]) - clip["duration"]) < 0.1
    speech = clip["speech"]
    assert [u["style"] for u in speech["utterances"]] == ["spontaneous", "spontaneous", "read", "read"]
    assert len({u["speaker"] for u in speech["utterances"]}) == 3
    assert speech["word_count"] == sum(len(u["text"].split()) for u in speech["utterances"])
    for u in speech["utterances"]:
        assert 0.0 <= u["start"] < u["end"] <= clip["duration"]
    assert speech["utterances"][0]["start"] == pytest.approx(0.5 + 1.46)  # the AMI annotation, placed at 0.5 s
    assert [c["text"] for c in clip["captions"]] == ["I'M ABIGAIL", "CLAFLIN", "YOU CAN", "CALL ME", "ABBIE"]
    assert [line["text"] for line in clip["lines"]] == ["I'M ABIGAIL CLAFLIN", "YOU CAN CALL ME ABBIE"]
    assert clip["faces"][0]["count"] == 2
    assert {m["file"] for m in clip["media"]} == {"ami_ES2011a_headset0_40-46s.flac", "ljspeech_LJ002-0020.flac",
                                                  "ljspeech_LJ002-0035.flac", "obama_official_portrait_2012.jpg",
                                                  "biden_official_portrait_2013.jpg"}
