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


def test_object_detection_on_a_cpu_engine_holds_a_few_frames_not_the_gpu_batch(clip):
    """The optimized preset's batch is 64 frames for the GPU's sake; a CPU engine runs two at a
    time, so holding 64 decoded 1080x1920 frames there (400 MB) only raised the peak (#50)."""
    from resources.yolo import YoloResource
    from resources.yolo_engines import CPU_FRAMES

    spec = next(s for s in ANALYZERS if s.name == "object_detection")
    model = YoloResource().load("optimized").model
    config = spec.presets["optimized"]
    assert model.engine in ("openvino", "onnx") and model.max_frames == CPU_FRAMES < config.batch
    bundle = repeated(clip, 3)
    spec.process(bundle, config, model)
    assert bundle.handed > 2 * CPU_FRAMES
    # the engine's frames, the one being handed on, the one with the most boxes (the UI's preview)
    assert bundle.peak <= CPU_FRAMES + 2, f"held {bundle.peak} frames at once; the engine takes {CPU_FRAMES}"


FRAGMENTING = """
import sys, numpy as np
from video_assets.runtime import memory
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
if sys.argv[1] == "bounded":
    assert memory.bounded_heap()
warm = np.ones(6 << 20, np.uint8); del warm  # glibc raises its mmap threshold past a freed frame
big, small = [], []
for i in range(40):  # 40 frame-sized arrays, a small object kept between each two
    big.append(np.ones(6 << 20, np.uint8)); small.append(np.ones(1000, np.uint8))
before = rss(); del big
if sys.argv[2] == "release":
    memory.release_freed_memory()
print(before - rss())
"""


@pytest.mark.skipif(not __import__("platform").libc_ver()[0] == "glibc", reason="glibc's allocator")
@pytest.mark.parametrize("heap, release, freed", [("dynamic", "keep", False), ("dynamic", "release", True), ("bounded", "keep", True)])
def test_freed_frames_go_back_to_the_system(heap, release, freed):
    """What set the sample corpus's climb from video to video: 240 MB of freed frames stay resident
    under glibc's adaptive threshold; a fixed threshold or a trim between steps returns them."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FRAGMENTING, heap, release], capture_output=True, text=True, check=True)
    returned_mb = float(out.stdout.strip())
    assert (returned_mb > 200) == freed, f"{heap}/{release}: {returned_mb:.0f} MB of 240 returned"


def test_releases_memory_keeps_a_step_s_outputs_and_errors():
    from video_assets.runtime.memory import releases_memory

    @releases_memory
    def step(n):
        yield from range(n)
        if n == 2:
            raise ValueError("bad input")

    assert list(step(3)) == [0, 1, 2]
    with pytest.raises(ValueError, match="bad input"):
        list(step(2))
    assert releases_memory(lambda x: x + 1)(1) == 2


def test_a_frame_analyzer_cannot_declare_its_frames_whole():
    spec = next(s for s in ANALYZERS if s.name == "scene_cuts")
    whole = type("Whole", (type(spec),), {"whole_input": "I want every frame"})()
    with pytest.raises(ContractError, match="frames must stream"):
        check_contract(whole)
    speech = next(s for s in ANALYZERS if s.input == "audio_track")
    assert "audio" in speech.whole_input  # the one that holds its input says why


# -- peak memory against the video's length, every step -------------------------------------------
# Counting frames (above) cannot see what an analyzer holds per second of audio, or what a model
# runtime allocates natively (issue #50: speech_rate's peak grew 2.4 GB -> 5.9 GB from 90 s to 360 s
# while the frame counts stayed flat). Here every analyzer of the registry, and the corpus steps
# above them (profile, index, report), run on a short input and on the same input 4x over, in this
# process after a warm-up run; the step's peak resident memory (the kernel's high-water mark, reset
# before each run: native allocations included) and its peak of traced Python allocations
# (tracemalloc: numpy and Python objects, exact) must not grow with the length.
import gc
import tracemalloc

import numpy as np

MIB = 1024**2
TIMES = 4
_STATUS = "/proc/self/status"


def _resident() -> int:
    with open("/proc/self/statm") as fh:
        import os

        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _high_water() -> int:
    with open(_STATUS) as fh:
        line = next(ln for ln in fh if ln.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


@dataclasses.dataclass
class Peak:
    before: int  # resident bytes when the step started
    rss: int  # the step's resident high-water mark
    traced: int  # the step's peak of traced allocations (Python objects, numpy arrays)

    @property
    def extra(self) -> int:
        return max(0, self.rss - self.before)

    def __str__(self) -> str:
        return f"peak RSS {self.rss / MIB:.0f} MiB ({self.extra / MIB:+.0f} MiB in the step), traced {self.traced / MIB:.1f} MiB"


def measured(step):
    """Run ``step()``; its result and its Peak. Linux's clear_refs (5) resets the high-water mark,
    so the peak is this step's, not the process's so far."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _resident()
    tracemalloc.start()
    try:
        result = step()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, Peak(before, _high_water(), traced)


def assert_flat(name: str, short: Peak, long: Peak, held_bytes: int = 0) -> None:
    """The longer input's peaks within the shorter's plus a margin: a quarter of what the short run
    added (allocator noise, caches filled once) and 48 MiB of RSS / 8 MiB traced; ``held_bytes``:
    what the step may hold for the longer input by declaration (``whole_input``: the audio track's
    samples and a few copies of them), never more."""
    rss_allowed = short.rss + max(48 * MIB, short.extra // 4) + held_bytes
    traced_allowed = short.traced + max(8 * MIB, short.traced // 4) + held_bytes
    print(f"{name}: 1x {short}; {TIMES}x {long}; allowed {rss_allowed / MIB:.0f} MiB resident, {traced_allowed / MIB:.1f} MiB traced")
    assert long.rss <= rss_allowed, (f"{name}: resident peak grows with the video's length: {TIMES}x input {long}, "
                                     f"1x input {short} (allowed {rss_allowed / MIB:.0f} MiB)")
    assert long.traced <= traced_allowed, (f"{name}: Python/numpy peak grows with the video's length: {TIMES}x input {long}, "
                                           f"1x input {short} (allowed {traced_allowed / MIB:.1f} MiB)")


def _audio_times(audio, times: int):
    return dataclasses.replace(audio, samples=np.tile(audio.samples, times), video_duration_s=audio.video_duration_s * times)


@pytest.fixture(scope="module")
def growth(video, monkeypatch_module):
    """name -> (short result, short Peak, long result, long Peak, held_bytes), run on first use.
    Frames: studio_talk's first 4 s (a face, a caption); audio: studio_talk then bilingual_walk
    (37 s: speech in two languages, a music bed, singing)."""
    from video_assets import analyzers
    from video_assets.analyzers import ANALYZERS
    from video_assets.definitions import default_resources
    from video_assets.media.decode import decode_audio

    monkeypatch_module.setenv("VIDEO_ASSETS_QWEN_OPTIMIZED", "random:tiny")
    frames = decode_frames(video("studio_talk"), analyzers.sampling_plans()).trimmed(4.0)
    parts = [decode_audio(video(name)) for name in ("studio_talk", "bilingual_walk")]
    audio = dataclasses.replace(parts[0], samples=np.concatenate([p.samples for p in parts]),
                                video_duration_s=sum(p.video_duration_s for p in parts))
    resources = default_resources()
    done: dict = {}

    def run(name: str):
        if name in done:
            return done[name]
        spec = next(s for s in ANALYZERS if s.name == name)
        model = resources[spec.model].load("optimized").model if spec.model else None
        # A batch is held by design, bounded by its preset field (object_detection's 64 frames,
        # speech_rate's windows): one here, so that a full batch fits the short input and holding
        # more than a batch shows.
        config = dataclasses.replace(spec.presets["optimized"], **{field: 1 for field in spec.batch_fields})
        if spec.input == "audio_track":
            make, held = (lambda times: _audio_times(audio, times)), 4 * (TIMES - 1) * audio.samples.nbytes
        else:
            make, held = (lambda times: repeated(frames, times)), 0
        spec.process(make(1), config, model)  # warm-up: lazy initialisation is not growth
        once, over = make(1), make(TIMES)
        short, short_peak = measured(lambda: spec.process(once, config, model))
        long, long_peak = measured(lambda: spec.process(over, config, model))
        done[name] = (short, short_peak, long, long_peak, held)
        return done[name]

    run.seconds = max(audio.video_duration_s, frames.info.duration_s)  # the short input's length
    return run


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.parametrize("name", [s.name for s in ANALYZERS])
def test_no_analyzer_s_peak_memory_grows_with_the_video_s_length(name, growth):
    short, short_peak, long, long_peak, held = growth(name)
    assert sum(len(t) for t in long.tables.values()) >= sum(len(t) for t in short.tables.values())
    assert_flat(name, short_peak, long_peak, held)


def _corpus_inputs(growth, which: int):
    """analyzer -> tables of the short (which=0) or long (which=2) run, and the video's facts."""
    from video_assets.insights.profile import VideoFacts

    tables = {s.name: growth(s.name)[which].tables for s in ANALYZERS}
    seconds = growth.seconds * (TIMES if which else 1)
    facts = VideoFacts(duration_s=seconds, width=1080, height=1920, fps=30.0, frame_count=int(seconds * 30), has_audio=True)
    return tables, facts


@pytest.mark.parametrize("step", ["video_profile", "corpus_index", "corpus_report"])
def test_no_corpus_step_s_peak_memory_grows_with_the_video_s_length(step, growth, tmp_path):
    from resources.corpus_index import CorpusIndexResource
    from video_assets.insights.profile import build_profile, object_frames
    from video_assets.insights.spans import spans_of
    from video_assets.report.pages import video_page

    weights = {s.name: "real" for s in ANALYZERS}
    store = CorpusIndexResource(uri=str(tmp_path / "index")).open() if step == "corpus_index" else None

    def run(tables, facts, key):
        if step == "video_profile":
            return build_profile(key, facts, tables, weights, object_frames(facts.frame_count))
        if step == "corpus_index":
            return store.replace_videos({key: spans_of(key, tables)})
        return video_page(key, facts.duration_s, None, tables, weights, ANALYZERS)

    short_tables, short_facts = _corpus_inputs(growth, 0)
    long_tables, long_facts = _corpus_inputs(growth, 2)
    run(short_tables, short_facts, "warm_up")
    short, short_peak = measured(lambda: run(short_tables, short_facts, "short"))
    long, long_peak = measured(lambda: run(long_tables, long_facts, "long"))
    assert long is not None and short is not None
    assert_flat(step, short_peak, long_peak)
