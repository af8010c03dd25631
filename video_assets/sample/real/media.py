"""The recordings, photographs and footage in ``media/`` (their sources and licences: ``media/SOURCES.md``),
and what is known of them: where the faces are in the photographs, the song's annotated notes and lyrics."""

from __future__ import annotations

from pathlib import Path

MEDIA_DIR = Path(__file__).parent / "media"

# Each committed media file's licence (SPDX-style), checked against SOURCES.md by the tests.
LICENCES = {
    "librispeech_2412-153948-0000.flac": "CC-BY-4.0",
    "ljspeech_LJ002-0020.flac": "public domain",
    "ljspeech_LJ002-0035.flac": "public domain",
    "ami_ES2011a_headset0_40-46s.flac": "CC-BY-4.0",
    "jfk_inaugural_ask_not.flac": "public domain",
    "thorsten_1386ecbb98a8f46dd0b0eb75d68ee0d0.flac": "CC0-1.0",
    "thorsten_2b0d202fa8b36fa7b01322fa78225358.flac": "CC0-1.0",
    "thorsten_c7c110c6a5bcbc6145494cecbf9bd0ba.flac": "CC0-1.0",
    "thorsten_d2211c12c486ab34f1b85611d25953a3.flac": "CC0-1.0",
    "thorsten_e3b0d27c39d2a719d60f4ad335f04b15.flac": "CC0-1.0",
    "thorsten_eca9d4cc394847e6876b4ba43c046c5c.flac": "CC0-1.0",
    "thorsten_sample01-gt.flac": "CC0-1.0",
    "thorsten_sample02-gt.flac": "CC0-1.0",
    "thorsten_sample03-gt.flac": "CC0-1.0",
    "thorsten_sample04-gt.flac": "CC0-1.0",
    "vocadito_1.flac": "CC-BY-4.0",
    "vocadito_1_notesA1.csv": "CC-BY-4.0",
    "vocadito_1_lyrics.txt": "CC-BY-4.0",
    "kevin_macleod_vibe_ace_0-40s.opus": "CC-BY-3.0",
    "hungarian_dance_5_0-30s.opus": "public domain (PDM-1.0)",
    "obama_official_portrait_2012.jpg": "public domain",
    "biden_official_portrait_2013.jpg": "public domain",
    "imageio_cockatoo.mp4": "public domain (as stated by imageio)",
}

# Faces in the photographs, (x0, y0, x1, y1) in the committed file's pixels, eyebrows to chin and
# ear to ear (read off the photographs), with how each is seen.
PHOTO_FACES = {
    "obama_official_portrait_2012.jpg": (((340, 175, 640, 445), "frontal, even light"),),
    "biden_official_portrait_2013.jpg": (((318, 223, 598, 429), "frontal, looking slightly down, lit from the side"),),
}


def path(name: str) -> Path:
    return MEDIA_DIR / name


def sung_phrases(gap: float = 0.5) -> list[tuple[float, float]]:
    """The song's phrases in seconds into ``vocadito_1.flac``: its annotated notes (onset, pitch,
    duration; annotator A1) joined where less than ``gap`` s apart."""
    rows = [tuple(float(v) for v in line.split(",")) for line in path("vocadito_1_notesA1.csv").read_text().splitlines() if line.strip()]
    phrases: list[list[float]] = []
    for onset, _pitch, length in sorted(rows):
        if phrases and onset - phrases[-1][1] < gap:
            phrases[-1][1] = max(phrases[-1][1], onset + length)
        else:
            phrases.append([onset, onset + length])
    return [(round(a, 3), round(b, 3)) for a, b in phrases]


def lyrics_lines() -> list[str]:
    return [line.strip() for line in path("vocadito_1_lyrics.txt").read_text().splitlines() if line.strip()]
