"""The sample corpus' vocabulary: what a clip is made of (scenes, captions in their styles,
utterances) and the hard caption patterns. ``clips`` lists the corpus in these terms; ``build``
renders them and writes the ground truth from the same specs."""

from __future__ import annotations

from dataclasses import dataclass

from video_assets.sample.music import Music


@dataclass(frozen=True)
class Caption:
    """A burned-in caption: white text, black outline, shown in [start, end). A newline makes a
    caption of several lines (centred); its ground-truth text joins them with a space, in reading
    order. ``patterns`` name what makes it hard to read (see ``HARD_PATTERNS``)."""

    text: str
    start: float
    end: float
    center_y: float  # fraction of frame height
    size: int  # font size in px at 1080x1920
    patterns: tuple[str, ...] = ()
    # The styles of auto-captions and editing apps (``CAPTION_STYLES``): how it is drawn, how it comes on.
    style: str = "outline"
    enter: str = "cut"
    line: str = ""  # chunks with the same id form one sentence, in order (ground truth ``lines``)
    emoji: str = ""  # drawn after the words in colour; not part of the caption's text (the words are)


# What the caption_drill clip holds, one or more captions each (OCR accuracy is reported per pattern).
HARD_PATTERNS = {
    "digits_colon": "digits with a colon (a time)",
    "two_line": "a caption of two lines, one segment",
    "small_text": "small text (40 px high at 1920 px)",
    "one_word": "a one-word caption",
    "same_place_fast": "a caption replaced in the same place after 1-2 s",
    "busy_cut": "a caption over a busy background across a scene cut",
    "lowercase": "lowercase text",
    "numbered": "a numbered list changing every 2-3 s, alternating top and bottom",
    "countdown": "a countdown 3, 2, 1 in one place",
    "one_digit": "a price changing by one digit in the same place",
    "chunk": "an auto-caption chunk of 1-3 words shown 0.3-0.8 s, replaced in place by the next",
    "karaoke": "a static line whose current word is highlighted in another colour",
    "boxed": "black text on a coloured rounded box",
    "emoji": "a caption ending in colour emoji (the words are the caption)",
    "busy_pan": "outlined text over a fast-panning photo",
    "pop_in": "a chunk that pops in (grows from 70 % over 0.1 s)",
    "cross_fade": "a chunk that cross-fades with its neighbours (0.12 s)",
}

# How a caption is drawn: white with a black outline (most editors' default); black on a coloured
# rounded box; a line in white whose current word is yellow (karaoke), the highlight moving word by
# word over the caption's time. How it comes on: at once, popping in, or cross-fading.
CAPTION_STYLES = ("outline", "box", "karaoke")
CAPTION_ENTRANCES = ("cut", "pop", "fade")


# Faces in the photographs, as (x0, y0, x1, y1) in the photo's pixels (eyebrows to chin, ear to
# ear), so the ground truth knows when a face is on screen: one whose box is at least
# ``FACE_VISIBLE`` inside the frame for the whole scene. The other photos show no face.
PHOTO_FACES = {"astronaut": ((170, 60, 280, 180),), "camera": ((200, 115, 280, 200),)}
FACE_VISIBLE = 0.6


@dataclass(frozen=True)
class Scene:
    image: str  # scikit-image data name
    start: float
    end: float
    objects: tuple[str, ...]  # COCO class names a good detector should find
    crop: tuple[int, int, int, int] | None = None  # rows y0:y1, columns x0:x1 of the photo (a close-up)
    text: tuple[str, ...] = ()  # text printed in the photo itself (scene text, not a caption)
    pan: float = 1.0  # how far the photo travels across the scene (4: a fast, busy pan)


@dataclass(frozen=True)
class Utterance:
    text: str
    start: float  # where the synthesized audio begins in the clip
    voice: str | None = None  # espeak-ng -v for this utterance (a creator who switches language); None: the clip's


@dataclass(frozen=True)
class ClipSpec:
    name: str
    duration: float
    fps: int
    scenes: tuple[Scene, ...]
    captions: tuple[Caption, ...]
    utterances: tuple[Utterance, ...] = ()
    wpm: int = 160  # espeak-ng -s
    has_audio: bool = True
    voice: str = "en-us"  # espeak-ng -v; the speech's language is its first two letters
    caption_language: str = "en"
    music: tuple[Music, ...] = ()  # music beds and sung parts mixed under the speech (``music``)

    def voice_of(self, utt: Utterance) -> str:
        return utt.voice or self.voice

    def language_of(self, utt: Utterance) -> str:
        """An utterance's language: its voice's first two letters (``en-us`` -> ``en``)."""
        return self.voice_of(utt)[:2]


def chunks(line: str, start: float, timed: tuple[tuple[str, float], ...], center_y: float = 0.5, size: int = 110,
           enter: str = "cut", extra: tuple[str, ...] = ()) -> tuple[Caption, ...]:
    """One sentence as auto-captions: each (words, seconds shown) chunk replaces the previous one in
    the same place, back to back from ``start``."""
    out, t = [], start
    for words, seconds in timed:
        out.append(Caption(words, round(t, 3), round(t + seconds, 3), center_y, size, ("chunk", *extra), enter=enter, line=line))
        t += seconds
    return tuple(out)
