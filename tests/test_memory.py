"""Memory bounded by design: a frame analyzer holds the same number of frames whatever the video's
length (``benchmark/memory.py`` measures the whole run's resident memory at 90 s to 20 minutes)."""

import dataclasses
import weakref

import pytest

from video_assets.analyzers import ANALYZERS
from video_assets.analyzers.contract import ContractError, check_contract
from video_assets.media.decode import decode_frames
from video_assets.media.frames import FrameBundle, VideoInfo

FRAME_ANALYZERS = [s for s in ANALYZERS if s.input == "video_frames"]


@dataclasses.dataclass
class CountingBundle(FrameBundle):
    """A bundle that counts the frames it handed out and that are still alive."""

    alive: int = 0
    peak: int = 0
    handed: int = 0

    def frames(self, plan, *more):
        for frame in super().frames(plan, *more):
            self.alive += 1
            self.handed += 1
            self.peak = max(self.peak, self.alive)
            weakref.finalize(frame, self._gone)
            yield frame

    def _gone(self) -> None:
        self.alive -= 1


def repeated(bundle: FrameBundle, times: int) -> CountingBundle:
    """The clip ``times`` over, as one video: the same stored frames at shifted indices and times
    (the clip's length is a whole number of every plan's period, so every plan finds its frames)."""
    n, dur = bundle.plan_frame_count, bundle.info.duration_s
    info = VideoInfo(**{**dataclasses.asdict(bundle.info), "duration_s": dur * times, "frame_count": n * times})
    return CountingBundle(
        info=info, plan_frame_count=n * times, codec=bundle.codec,
        source_index=[i + k * n for k in range(times) for i in bundle.source_index],
        pts_s=[t + k * dur for k in range(times) for t in bundle.pts_s],
        sizes=bundle.sizes * times, data=list(bundle.data) * times,
    )


@pytest.fixture(scope="module")
def clip(video):
    from video_assets import analyzers

    # 4 s at 30 fps: 120 frames, a whole number of every plan's period (15, 10 and 60 frames).
    return decode_frames(video("tips_countdown"), analyzers.sampling_plans()).trimmed(4.0)


@pytest.mark.parametrize("spec", FRAME_ANALYZERS, ids=[s.name for s in FRAME_ANALYZERS])
def test_a_frame_analyzer_holds_as_many_frames_for_a_long_video_as_for_a_short_one(spec, clip):
    from resources.faces import FaceModelsResource
    from resources.ocr import OcrResource
    from resources.qwen import QwenResource
    from resources.yolo import YoloResource

    models = {"qwen": lambda: QwenResource(optimized_model="random:tiny"), "ocr": OcrResource, "yolo": YoloResource,
              "faces": FaceModelsResource}
    model = models[spec.model]().load("optimized").model if spec.model else None
    config = spec.presets["optimized"]
    # A batch the preset declares (YOLO's 64 frames, Qwen2-VL's 8 segments) is held by design and
    # would hold the whole short clip: smaller here, so that holding more than a batch shows.
    small = {"object_detection": {"batch": 4}, "qwen2_vl_temporal": {"batch_segments": 1}, "faces": {"batch": 2}}.get(spec.name, {})
    config = dataclasses.replace(config, **small)
    peaks = {}
    for times in (1, 3):
        bundle = repeated(clip, times)
        spec.process(bundle, config, model)
        assert bundle.handed > 0
        peaks[times] = (bundle.peak, bundle.handed)
    (short_peak, short_handed), (long_peak, long_handed) = peaks[1], peaks[3]
    assert long_handed == 3 * short_handed
    # text_overlay looks ahead while a change settles (follow.py): at most follow_settle + 1 frames
    # ahead, follow_settle passed over, the one read and the one handed on; how many it reaches
    # depends on where chunks change, never on the length.
    bound = 2 * config.follow_settle + 4 if spec.name == "text_overlay" else short_peak
    assert long_peak <= max(short_peak, bound), f"{spec.name} held {short_peak} frames for 4 s and {long_peak} for 12 s"
    assert long_peak <= long_handed / 3


def test_a_frame_analyzer_cannot_declare_its_frames_whole():
    spec = next(s for s in ANALYZERS if s.name == "scene_cuts")
    whole = type("Whole", (type(spec),), {"whole_input": "I want every frame"})()
    with pytest.raises(ContractError, match="frames must stream"):
        check_contract(whole)
    speech = next(s for s in ANALYZERS if s.input == "audio_track")
    assert "audio" in speech.whole_input  # the one that holds its input says why
