"""The real-recordings corpus' vocabulary: recorded speech placed at known times, music and song
parts at a level relative to the speech, photographs and camera footage moving in known ways.
``clips`` lists the corpus in these terms; ``build`` renders it with the synthetic corpus' caption
drawing and writes the ground truth in the synthetic corpus' format (``sample/build.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from video_assets.sample.specs import Caption

SPEECH_DBFS = -20.0  # every speech recording is brought to this RMS over its speech
TRIM_SHARE = 0.05  # a sentence spans the 20 ms frames whose RMS passes this share of the peak


@dataclass(frozen=True)
class Speech:
    """A speech recording (``media/``) whose first sample is at ``at`` seconds in the clip.

    ``utterances``: the recording's exact transcripts, (text, start, end). No window: the whole
    recording is that sentence, its window found at build time where the 20 ms RMS first and last
    passes ``TRIM_SHARE`` of its peak (the studio recordings are quiet around the sentence). With a
    window (seconds into the recording: the source's own annotation, AMI's; or, for the address, where
    the sentence ends before the crowd, ``clips.JFK_WINDOW``): each text is that window.
    """

    file: str
    at: float
    utterances: tuple[tuple[str, float | None, float | None], ...]
    language: str
    speaker: str
    style: str = "read"  # read | spontaneous | speech (a public address)
    until: float | None = None  # the recording is cut here (seconds into it), faded over 50 ms
    speakers: tuple[str, ...] = ()  # one per utterance where they differ (else ``speaker``)


@dataclass(frozen=True)
class Sound:
    """Music under the speech, or a song: ``file`` from ``offset`` s, placed at [start, end).
    ``below_speech_db``: the part's RMS below the speech level every recording is brought to
    (``SPEECH_DBFS``; 10: ten dB down, 0: as loud as the speech).
    ``kind``: "bed" (instrumental), "a_cappella" (a voice alone: singing, no instruments)."""

    file: str
    start: float
    end: float
    kind: str = "bed"
    below_speech_db: float = 10.0
    offset: float = 0.0


@dataclass(frozen=True)
class Layer:
    """A photograph (``media/`` file or a scikit-image data name) or a video (``media/*.mp4``)
    drawn into a region of the frame (x0, y0, x1, y1 in pixels). ``zoom``: the photo's scale at the
    scene's start and end, 1.0 fitting its width to the region's; ``anchor``: the photo point (as
    fractions of its width and height) at the region's centre, at start and end. Both move
    linearly: a zoom and a pan. Videos are fitted to the region's width, centred, as they play."""

    source: str
    region: tuple[int, int, int, int] = (0, 0, 1080, 1920)
    zoom: tuple[float, float] = (1.0, 1.0)
    anchor: tuple[tuple[float, float], tuple[float, float]] = ((0.5, 0.5), (0.5, 0.5))
    offset: float = 0.0  # a video: where in it the scene starts (seconds)


@dataclass(frozen=True)
class RealScene:
    start: float
    end: float
    layers: tuple[Layer, ...]
    objects: tuple[str, ...] = ()  # COCO class names a good detector should find
    text: tuple[str, ...] = ()  # text printed on an object in the picture (scene text, not a caption)
    blurred_background: bool = True  # the first layer's photo, blurred and darkened, behind it (the TikTok look)


@dataclass(frozen=True)
class RealClip:
    name: str
    duration: float
    scenes: tuple[RealScene, ...]
    speech: tuple[Speech, ...] = ()
    sounds: tuple[Sound, ...] = ()
    captions: tuple[Caption, ...] = ()
    caption_language: str = "en"
    about: str = ""  # what the clip tests, for docs/real-recordings.md
    fps: int = 30
