"""The real-recordings corpus' clips, as data (``specs``). Speech is placed at known times and each
recording's exact transcript is its truth; caption chunks follow the words as they are said (word
times measured once on these recordings with faster-whisper base word timestamps, then written here
as numbers: a caption's window is what is drawn, so its truth is exact either way)."""

from __future__ import annotations

from video_assets.sample.real.media import lyrics_lines, sung_phrases
from video_assets.sample.real.scenes import Layer, RealClip, RealScene, Sound, Speech
from video_assets.sample.specs import Caption, chunks

OBAMA = "obama_official_portrait_2012.jpg"
BIDEN = "biden_official_portrait_2013.jpg"
FOOTAGE = "imageio_cockatoo.mp4"
TOP, BOTTOM = (0, 0, 1080, 960), (0, 960, 1080, 1920)

# Exact transcripts, as their sources give them.
LIBRI_2412 = ("librispeech_2412-153948-0000.flac",
              "IF THE READER WILL EXCUSE ME I WILL SAY NOTHING OF MY ANTECEDENTS NOR OF THE CIRCUMSTANCES WHICH LED ME "
              "TO LEAVE MY NATIVE COUNTRY THE NARRATIVE WOULD BE TEDIOUS TO HIM AND PAINFUL TO MYSELF")
LJ_0020 = ("ljspeech_LJ002-0020.flac", "IN EIGHTEEN THIRTEEN")
LJ_0035 = ("ljspeech_LJ002-0035.flac", "EIGHT THE PRESS YARD")
JFK = ("jfk_inaugural_ask_not.flac",
       "And so, my fellow Americans: ask not what your country can do for you, ask what you can do for your country.")
# The recording runs on into the crowd's noise: the sentence ends at 10.4 s (the level falls to the
# crowd's after "country"); it is cut at 10.6 s.
JFK_WINDOW, JFK_UNTIL = (0.32, 10.4), 10.6
THORSTEN = {
    "1386": ("thorsten_1386ecbb98a8f46dd0b0eb75d68ee0d0.flac", "Die Sitzungen bei der Vorsitzenden waren zu später Stunde meist feuchtfröhlich."),
    "2b0d": ("thorsten_2b0d202fa8b36fa7b01322fa78225358.flac", "Dort sieht es aus wie im Auenland, nur dass die Türen nicht rund sind."),
    "c7c1": ("thorsten_c7c110c6a5bcbc6145494cecbf9bd0ba.flac", "Das wichtigste Mittel im Umgang mit Menschen ist Desinfektionsmittel."),
    "d221": ("thorsten_d2211c12c486ab34f1b85611d25953a3.flac", "Die Ursache für den Ausfall haben wir bestimmt der Software zu verdanken."),
    "e3b0": ("thorsten_e3b0d27c39d2a719d60f4ad335f04b15.flac", "Dies war nur durch seine geografische Isolation vom Rest der Welt möglich."),
    "eca9": ("thorsten_eca9d4cc394847e6876b4ba43c046c5c.flac", "Der Kommentator nimmt das Headset ab und wendet sich einem Kollegen zu."),
    "gt1": ("thorsten_sample01-gt.flac", "Eure Schoko-Bonbons sind sagenhaft lecker!"),
    "gt2": ("thorsten_sample02-gt.flac", "Eure Tröte nervt."),
    "gt3": ("thorsten_sample03-gt.flac", "Europa und Asien zusammengenommen wird auch als Eurasien bezeichnet."),
    "gt4": ("thorsten_sample04-gt.flac", "Euer Plan hat ja toll geklappt."),
}
# AMI ES2011a, headset 0, 40-46 s: two participants introduce themselves (the corpus' own word-level
# annotation, seconds into the excerpt).
AMI = Speech("ami_ES2011a_headset0_40-46s.flac", 0.0, (("I'M ABIGAIL CLAFLIN", 1.46, 2.82), ("YOU CAN CALL ME ABBIE", 3.36, 4.36)),
             "en", "AMI ES2011a participants", "spontaneous",
             speakers=("AMI ES2011a participant 1 (Headset-1)", "AMI ES2011a participant 2 (Headset-2)"))


def libri(at: float) -> Speech:
    return Speech(LIBRI_2412[0], at, ((LIBRI_2412[1], None, None),), "en", "LibriSpeech reader 2412")


def lj(item: tuple[str, str], at: float) -> Speech:
    return Speech(item[0], at, ((item[1], None, None),), "en", "LJSpeech (Linda Johnson)")


def jfk(at: float) -> Speech:
    return Speech(JFK[0], at, ((JFK[1], *JFK_WINDOW),), "en", "John F. Kennedy", "speech", until=JFK_UNTIL)


def thorsten(key: str, at: float) -> Speech:
    return Speech(THORSTEN[key][0], at, ((THORSTEN[key][1], None, None),), "de", "Thorsten Müller")


def ami(at: float) -> Speech:
    return Speech(AMI.file, at, AMI.utterances, AMI.language, AMI.speaker, AMI.style, speakers=AMI.speakers)


def jfk_chunks(at: float, enter: str = "cut") -> tuple[Caption, ...]:
    """The address as auto-captions, each chunk from its first word's start (faster-whisper word
    times on this recording, + ``at``) to the next chunk's."""
    return (
        *chunks("jfk1", at + 0.32, (("AND SO", 0.5), ("MY FELLOW", 0.74), ("AMERICANS", 0.6)), enter=enter),
        *chunks("jfk2", at + 3.0, (("ASK NOT", 1.24), ("WHAT YOUR", 1.52), ("COUNTRY", 0.48), ("CAN DO", 0.58), ("FOR YOU", 0.58)), enter=enter),
        *chunks("jfk3", at + 7.74, (("ASK WHAT", 1.02), ("YOU CAN DO", 0.8), ("FOR YOUR", 0.38), ("COUNTRY", 0.5)), enter=enter),
    )


def photo(source: str, zoom=(1.0, 1.0), anchor=((0.5, 0.5), (0.5, 0.5)), region=(0, 0, 1080, 1920)) -> Layer:
    return Layer(source, region, zoom, anchor)


SONG_AT = 0.4

REAL_CLIPS: tuple[RealClip, ...] = (
    RealClip(
        name="real_portraits_read",
        duration=28.5,
        about="English read speech by three speakers (LibriSpeech, LJSpeech, the 1961 inaugural address) under "
              "two-line captions; a frontal portrait zooming in, then a man looking slightly down, lit from the side.",
        scenes=(
            RealScene(0.0, 14.0, (photo(OBAMA, (1.3, 2.0), ((0.54, 0.30), (0.54, 0.27))),), ("person",)),
            RealScene(14.0, 28.5, (photo(BIDEN, (1.25, 1.6), ((0.57, 0.20), (0.57, 0.17))),), ("person",)),
        ),
        speech=(libri(0.2), lj(LJ_0020, 11.9), lj(LJ_0035, 14.0), jfk(16.4)),
        captions=(
            Caption("If the reader will excuse me,\nI will say nothing", 0.7, 3.1, 0.74, 60, ("two_line",)),
            Caption("of my antecedents,\nnor of the circumstances", 3.1, 5.6, 0.74, 60, ("two_line",)),
            Caption("which led me to leave\nmy native country.", 5.6, 8.2, 0.74, 60, ("two_line",)),
            Caption("The narrative would be\ntedious to him", 8.4, 9.9, 0.74, 60, ("two_line",)),
            Caption("and painful\nto myself.", 9.9, 11.4, 0.74, 60, ("two_line",)),
            Caption("In 1813", 11.9, 13.5, 0.74, 60),
            Caption("8. The press yard", 14.0, 15.6, 0.74, 60, ("busy_cut",)),
            Caption("And so, my fellow Americans:", 16.6, 18.8, 0.74, 60),
            Caption("ask not what your country\ncan do for you,", 19.3, 23.9, 0.74, 60, ("two_line",)),
            Caption("ask what you can do\nfor your country.", 24.1, 27.2, 0.74, 60, ("two_line",)),
        ),
    ),
    RealClip(
        name="real_music_bed",
        duration=28.0,
        about="English speech over an instrumental bed 10 dB below it, a 1.4 s sentence between two long ones; "
              "real camera footage (a cockatoo), then a zooming, panning photo under word-by-word chunks timed to the address.",
        scenes=(
            RealScene(0.0, 13.5, (Layer(FOOTAGE),), ("bird",)),
            RealScene(13.5, 28.0, (photo("coffee", (1.0, 1.6), ((0.4, 0.5), (0.6, 0.45))),), ("cup",)),
        ),
        speech=(libri(0.3), lj(LJ_0035, 12.0), jfk(14.2), lj(LJ_0020, 25.6)),
        sounds=(Sound("kevin_macleod_vibe_ace_0-40s.opus", 0.0, 28.0, "bed", 10.0),),
        captions=(
            Caption("Sound on", 0.5, 4.0, 0.2, 80, ("boxed",), style="box"),
            Caption("Morning visitor", 5.0, 12.5, 0.78, 80),
            *jfk_chunks(14.2),
        ),
    ),
    RealClip(
        name="real_spontaneous_duet",
        duration=12.0,
        about="Spontaneous speech (two meeting participants introduce themselves, AMI) then two short read "
              "sentences; a duet layout, two faces at once, with pop-in chunks timed to the talk on the seam.",
        scenes=(
            RealScene(0.0, 12.0, (photo(OBAMA, (1.2, 1.35), ((0.54, 0.33), (0.54, 0.31)), TOP),
                                  photo(BIDEN, (1.3, 1.45), ((0.57, 0.18), (0.57, 0.18)), BOTTOM)),
                      ("person",), blurred_background=False),
        ),
        speech=(ami(0.5), lj(LJ_0020, 7.0), lj(LJ_0035, 9.5)),
        captions=(
            *chunks("ami1", 1.96, (("I'M ABIGAIL", 0.62), ("CLAFLIN", 0.74)), enter="pop", extra=("pop_in",)),
            *chunks("ami2", 3.86, (("YOU CAN", 0.3), ("CALL ME", 0.3), ("ABBIE", 0.4)), enter="pop", extra=("pop_in",)),
        ),
    ),
    RealClip(
        name="real_german_zoom",
        duration=32.0,
        caption_language="de",
        about="German read speech (Thorsten, six sentences, the last 1.3 s long) under two-line outlined and "
              "boxed captions over photos that zoom and pan; the motorcycle's brand (YAMAHA) grows with the zoom (scene text).",
        scenes=(
            RealScene(0.0, 16.0, (photo("motorcycle", (1.0, 3.0), ((0.5, 0.5), (0.58, 0.41))),), ("motorcycle",), ("YAMAHA",)),
            RealScene(16.0, 32.0, (photo("coffee", (1.0, 1.8), ((0.5, 0.5), (0.45, 0.55))),), ("cup",)),
        ),
        speech=(thorsten("1386", 0.3), thorsten("2b0d", 6.8), thorsten("c7c1", 12.4), thorsten("d221", 17.9),
                thorsten("e3b0", 23.4), thorsten("gt2", 29.6)),
        captions=(
            Caption("Die Sitzungen bei\nder Vorsitzenden", 0.3, 2.5, 0.75, 60, ("two_line",)),
            Caption("waren zu später Stunde\nmeist feuchtfröhlich.", 2.5, 6.3, 0.75, 60, ("two_line",)),
            Caption("Dort sieht es aus\nwie im Auenland,", 6.8, 9.4, 0.75, 60, ("two_line", "boxed"), style="box"),
            Caption("nur dass die Türen\nnicht rund sind.", 9.5, 11.9, 0.75, 60, ("two_line", "boxed"), style="box"),
            Caption("Das wichtigste Mittel\nim Umgang mit Menschen", 12.4, 15.1, 0.75, 60, ("two_line",)),
            Caption("ist Desinfektionsmittel.", 15.1, 17.4, 0.75, 60, ("busy_cut",)),
            Caption("Die Ursache für den Ausfall\nhaben wir bestimmt", 17.9, 21.0, 0.75, 56, ("two_line", "boxed"), style="box"),
            Caption("der Software\nzu verdanken.", 21.0, 22.9, 0.75, 60, ("two_line", "boxed"), style="box"),
            Caption("Dies war nur durch seine\ngeografische Isolation", 23.4, 26.8, 0.75, 60, ("two_line",)),
            Caption("vom Rest der Welt\nmöglich.", 26.8, 29.0, 0.75, 60, ("two_line",)),
            Caption("Eure Tröte nervt.", 29.6, 31.5, 0.75, 60, ("boxed",), style="box"),
        ),
    ),
    RealClip(
        name="real_german_music",
        duration=17.5,
        caption_language="de",
        about="German read speech over a string orchestra 10 dB below it; a whole-figure portrait whose face is "
              "a tenth of the frame high; a karaoke line.",
        scenes=(
            RealScene(0.0, 17.5, (photo(BIDEN, (0.78, 0.86), ((0.5, 0.5), (0.5, 0.46))),), ("person",)),
        ),
        speech=(thorsten("gt1", 0.4), thorsten("gt3", 3.6), thorsten("gt4", 9.1), thorsten("eca9", 11.6)),
        sounds=(Sound("hungarian_dance_5_0-30s.opus", 0.0, 17.5, "bed", 10.0),),
        captions=(
            Caption("Eure Schoko-Bonbons\nsind sagenhaft lecker!", 0.4, 3.2, 0.8, 60, ("two_line",)),
            Caption("Europa und Asien\nzusammengenommen", 3.6, 6.0, 0.8, 60, ("two_line",)),
            Caption("wird auch als Eurasien\nbezeichnet.", 6.0, 8.7, 0.8, 60, ("two_line",)),
            Caption("Euer Plan hat ja toll geklappt.", 9.1, 11.1, 0.8, 50, ("karaoke",), style="karaoke"),
            Caption("Der Kommentator nimmt\ndas Headset ab", 11.6, 14.5, 0.8, 60, ("two_line",)),
            Caption("und wendet sich\neinem Kollegen zu.", 14.5, 17.0, 0.8, 60, ("two_line",)),
        ),
    ),
    RealClip(
        name="real_a_cappella",
        duration=33.8,
        caption_language="tl",
        about="A singer alone, a cappella: a Filipino children's song in Tagalog (Ako ay may lobo), no instruments, no speech; each lyric "
              "line captioned over its sung phrase; photos panning.",
        scenes=(
            RealScene(0.0, 17.0, (photo("chelsea", (1.0, 1.3), ((0.45, 0.5), (0.55, 0.5))),), ("cat",)),
            RealScene(17.0, 33.8, (photo("coffee", (1.2, 1.0), ((0.5, 0.45), (0.5, 0.55))),), ("cup",)),
        ),
        sounds=(Sound("vocadito_1.flac", SONG_AT, SONG_AT + 33.21, "a_cappella", 0.0),),
        captions=tuple(Caption(line, round(SONG_AT + a, 3), round(SONG_AT + b, 3), 0.78, 70, ("lowercase",))
                       for line, (a, b) in zip(lyrics_lines(), sung_phrases())),
    ),
    RealClip(
        name="real_faces_sizes",
        duration=20.0,
        about="Faces as people film them, over a music bed: a face a third of the frame high, a whole figure "
              "whose face is a tenth of it, two people at once, then camera footage with no face.",
        scenes=(
            RealScene(0.0, 5.0, (photo(OBAMA, (2.0, 2.1), ((0.54, 0.28), (0.54, 0.27))),), ("person",)),
            RealScene(5.0, 10.0, (photo(BIDEN, (0.78, 0.8), ((0.5, 0.5), (0.5, 0.49))),), ("person",)),
            RealScene(10.0, 15.0, (photo(OBAMA, (1.2, 1.3), ((0.54, 0.33), (0.54, 0.32)), TOP),
                                   photo(BIDEN, (1.3, 1.4), ((0.57, 0.18), (0.57, 0.18)), BOTTOM)),
                      ("person",), blurred_background=False),
            RealScene(15.0, 20.0, (Layer(FOOTAGE, offset=6.0),), ("bird",)),
        ),
        sounds=(Sound("kevin_macleod_vibe_ace_0-40s.opus", 0.0, 20.0, "bed", 0.0, offset=12.0),),
        captions=(
            Caption("Who wore it better?", 10.3, 14.7, 0.5, 72),
            Caption("Part 2", 15.5, 19.5, 0.2, 90, ("boxed",), style="box"),
        ),
    ),
)
