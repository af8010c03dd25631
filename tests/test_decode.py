"""Decoding against the source: frames kept, timestamps, shapes, orientation, audio; bad input."""

import subprocess

import numpy as np
import pytest

from video_assets.media.container import MediaError
from video_assets.media.decode import decode_audio, decode_frames
from video_assets.media.frames import AudioTrack
from video_assets.media.framestore import bundle_bytes, open_bundle
from video_assets.media.sampling import SamplingPlan

PLANS = [
    SamplingPlan("full", every_s=0.5),
    SamplingPlan("small", every_n_frames=10, max_side=640),
]


def ffmpeg_frame(path: str, index: int) -> np.ndarray:
    """Reference frame from the ffmpeg CLI (which applies the display matrix itself), as RGB."""
    import cv2

    png = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, "-vf", f"select=eq(n\\,{index})",
         "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"],
        check=True, capture_output=True,
    ).stdout
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_frames_match_the_plan_and_the_source(video, ground_truth):
    path = video("city_ride")
    bundle = decode_frames(path, PLANS, codec="raw")
    truth = ground_truth["clips"]["city_ride"]
    assert bundle.info.frame_count == int(truth["duration"] * truth["fps"]) == 420
    assert (bundle.info.width, bundle.info.height, bundle.info.rotation) == (1080, 1920, 0)
    expected = sorted(set(range(0, 420, 15)) | set(range(0, 420, 10)))
    assert bundle.source_index == expected
    assert np.allclose(bundle.pts_s, np.array(expected) / 30.0, atol=1e-3)
    sizes = dict(zip(bundle.source_index, bundle.sizes))
    assert sizes[15] == (1080, 1920) and sizes[10] == (360, 640) and sizes[30] == (1080, 1920)
    # Pixel-exact against FFmpeg for a native-size frame (raw codec: no JPEG loss).
    i = bundle.source_index.index(45)
    ours = bundle.image(i)
    ref = ffmpeg_frame(path, 45)
    assert ours.shape == ref.shape == (1920, 1080, 3)
    assert np.abs(ours.astype(int) - ref.astype(int)).mean() < 1.0


def test_select_resizes_to_the_plan_and_round_trips(video):
    bundle = decode_frames(video("cafe_cat"), PLANS)  # jpeg, 25 fps
    again = open_bundle(bundle_bytes(bundle))
    frames = again.select(PLANS[1])
    assert [f.source_index for f in frames] == list(range(0, 300, 10))
    assert all(f.image.shape == (640, 360, 3) for f in frames)
    assert abs(frames[3].pts_s - 30 / 25.0) < 1e-3
    with pytest.raises(LookupError, match="re-materialize video_frames"):
        again.select(SamplingPlan("other", every_n_frames=7))


def test_a_frame_is_decoded_in_colour_only_when_asked_and_its_grey_image_comes_from_the_stored_jpeg(video, monkeypatch):
    """The caption follower asks every sample for a grey image and reads few: ``gray`` decodes the
    stored JPEG at a reduced scale, and the colour image is never decoded unless asked for."""
    import cv2

    from video_assets.media import frames as frames_module

    bundle = open_bundle(bundle_bytes(decode_frames(video("cafe_cat"), PLANS)))  # jpeg, as stored
    reference = [cv2.resize(cv2.cvtColor(f.image, cv2.COLOR_RGB2GRAY), (540, 960), interpolation=cv2.INTER_AREA)
                 for f in bundle.select(PLANS[0])]

    def refuse(*args, **kwargs):
        raise AssertionError("a colour decode")

    monkeypatch.setattr(frames_module, "decode_image", refuse)
    streamed = list(bundle.frames(PLANS[0]))
    assert [f.size for f in streamed] == [(1080, 1920)] * len(reference)
    greys = [f.gray((540, 960)) for f in streamed]  # no colour decode
    assert all(g.shape == (960, 540) for g in greys)
    assert max(float(np.abs(g.astype(int) - r.astype(int)).mean()) for g, r in zip(greys, reference)) < 1.0
    with pytest.raises(AssertionError, match="a colour decode"):
        streamed[0].image


def test_rotation_metadata_gives_upright_frames(bad_inputs):
    path = str(bad_inputs["rotated"])
    bundle = decode_frames(path, [SamplingPlan("full", every_s=0.5)], codec="raw")
    assert bundle.info.rotation == 90
    assert (bundle.info.width, bundle.info.height) == (1920, 1080)
    ours = bundle.image(0)
    ref = ffmpeg_frame(path, 0)
    assert ours.shape == ref.shape == (1080, 1920, 3)
    assert np.abs(ours.astype(int) - ref.astype(int)).mean() < 1.0


def test_audio_is_16k_mono_and_as_long_as_the_video(video):
    track = decode_audio(video("city_ride"))
    assert track.has_audio and track.sample_rate == 16000 and track.samples.dtype == np.float32
    assert abs(track.duration_s - 14.0) < 0.05
    assert 0.1 < np.abs(track.samples).max() <= 1.0
    again = AudioTrack.from_npz_bytes(track.to_npz_bytes())
    assert np.array_equal(again.samples, track.samples) and again.has_audio


def test_video_without_audio_gives_an_explicit_empty_track(video):
    track = decode_audio(video("quiet_coffee"))
    assert not track.has_audio and track.samples.size == 0 and track.video_duration_s == 10.0


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty", "file is empty"),
        ("truncated", "truncated|no decodable|not a readable"),
        ("text_file", "not a readable video file"),
        ("unsupported_codec", "unsupported video codec|no decodable|decoding failed"),
    ],
)
def test_bad_input_names_the_file_and_the_cause(bad_inputs, name, message):
    path = str(bad_inputs[name])
    with pytest.raises(MediaError, match=message) as err:
        decode_frames(path, PLANS)
    assert path in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="file not found"):
        decode_audio(str(tmp_path / "nope.mp4"))


@pytest.mark.parametrize("batch", [1, 7, 100_000])
def test_spooled_frames_stream_in_row_groups_and_equal_the_in_memory_ones(video, tmp_path, batch):
    """Decoding writes row groups of ``batch`` frames as it goes; reading them back gives the same
    frames, bytes and order as decoding in memory, whichever row group a frame sits in."""
    import pyarrow.parquet as pq

    from video_assets.media.framestore import open_bundle

    memory = decode_frames(video("cafe_cat"), PLANS)
    spool = tmp_path / "cafe_cat.frames.parquet"
    stored = decode_frames(video("cafe_cat"), PLANS, spool=str(spool), batch=batch)
    assert stored.spool == str(spool)
    groups = pq.ParquetFile(spool).metadata.num_row_groups
    assert groups == -(-len(memory) // batch)
    assert stored.info == memory.info and stored.source_index == memory.source_index and stored.pts_s == memory.pts_s
    assert stored.nbytes == memory.nbytes
    again = open_bundle(str(spool))
    for plan in PLANS:
        ours = [(f.source_index, f.pts_s, f.image.tobytes()) for f in again.frames(plan)]
        assert ours == [(f.source_index, f.pts_s, f.image.tobytes()) for f in memory.frames(plan)]


def test_a_failed_decode_leaves_no_spool_file(bad_inputs, tmp_path):
    spool = tmp_path / "bad.frames.parquet"
    with pytest.raises(MediaError):
        decode_frames(str(bad_inputs["truncated"]), PLANS, spool=str(spool))
    assert list(tmp_path.iterdir()) == []


def test_segments_stream_one_segment_at_a_time(video):
    plan = SamplingPlan("seg", segment_s=2.0, frames_per_segment=2, max_side=320)
    bundle = decode_frames(video("cafe_cat"), [plan])
    expected = plan.segments(bundle.plan_frame_count, bundle.info.fps)
    got = list(bundle.segments(plan))
    assert [(s, e, [f.source_index for f in fr]) for s, e, fr in got] == expected


def test_a_video_over_the_limits_fails_at_once_naming_the_setting(video, monkeypatch):
    from video_assets.media.container import VideoLimits

    with pytest.raises(MediaError, match=r"over the limit of 10 s \(VIDEO_ASSETS_MAX_DURATION_S"):
        decode_frames(video("city_ride"), PLANS, limits=VideoLimits(max_duration_s=10, max_frames=10**6))
    monkeypatch.setenv("VIDEO_ASSETS_MAX_FRAMES", "300")
    with pytest.raises(MediaError, match=r"420 frames, over the limit of 300 \(VIDEO_ASSETS_MAX_FRAMES"):
        decode_audio(video("city_ride"))
    monkeypatch.delenv("VIDEO_ASSETS_MAX_FRAMES")
    assert decode_audio(video("city_ride")).has_audio  # within the defaults
