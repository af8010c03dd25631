"""Links, plain Python (no Dagster, no resources): what travels between the videos of a corpus.

Per video (depends on that video alone, so it is a partitioned asset's work):
  ``sound.fingerprint(samples)``   -> ``SoundFingerprint``  (landmarks of ``audio_track``, 16 kHz mono)
  ``footage.fingerprint(frames)``  -> ``FootageFingerprint`` (PDQ-style hashes of sampled frames)
Per corpus (an index in the project's storage, one lookup per new video, never a pass over the corpus):
  ``SoundIndex(folder)`` / ``FootageIndex(folder)``: ``query(video, fp)`` -> ``[Match]`` against
  everything added before, then ``add(video, fp)``; ``remove(video)`` when it leaves the corpus.
  ``groups.build(videos, matches, first_seen)`` -> the ``sounds``, ``reuploads`` and
  ``video_links`` tables (schemas ``SOUNDS_SCHEMA``, ``REUPLOADS_SCHEMA``, ``VIDEO_LINKS_SCHEMA``;
  matches as a table: ``matches_table``, ``MATCHES_SCHEMA``).
``synth`` makes the generated signals the tests and ``benchmark/links.py`` use.

Choices and the measurements behind them (tests/test_links.py signals, this machine):
- Sound: our own peak code, not ``audfprint2`` (its peak picking and pairing are Python loops
  per frame and per peak, its hash table is an in-memory pickle, and it has no speed handling) nor
  Chromaprint (whole-track identity: no offsets, no partial use; ``fpcalc`` is not installed here).
  Speed changes: peaks are hashed as speed-invariant triplets (Panako; see ``sound``), one lookup
  per hash. Before them: peak pairs asked at 28 speeds, p95 2.5 s against 1,000 videos (6.8 M
  postings hit per query); triplets: p95 136 ms against 10,000 (~165 k). Peaks are the onsets of
  steady partials (a voice-over's gliding harmonics are not). Under a real voice-over too few
  triplets survive to decide (the links clips: 0 of 10 pairs), so the triplets only name a few
  candidates (and the group of each one found, ``sound_index``) and each is verified peak by
  peak (``coincide``): 10 of 10 pairs, offsets within 0.01 s. Music sharing a key, tempo and drum
  kit lines up at every beat: a match must stand out of its own best offsets, not only chance.
- Footage: PDQ's algorithm in NumPy (``pdqhash`` is source-only on PyPI), inside the picture
  rectangle, with five 90 % crops stored per frame; see ``footage``. Lookup: 12 chunks of 21 bits
  (16 of 16 before: p95 2.4 s against 10,000 videos; now 38-58 ms); 25- and 32-bit chunks lost
  letterbox pairs on the test clips. A query's picture asks for every stored view, its crops for
  stored pictures only (without crop-to-crop pairs the test clips keep recall 1.0 either order).
- Index: sorted, memory-mapped ``.npy`` runs merged like a binary counter, found through a bucket
  table over scrambled keys; sound items stored inline in key order; see ``postings``. A sound
  query against 10,000 generated videos, candidates and verification: p50 38 ms, p95 44 ms
  (benchmark/results/links.md).

Measured on encoded files: the links clips (``sample/links``, docs/links.md; benchmark/links_sample.py,
tests/test_links_sample.py): re-uploads 10 of 10 pairs, no false re-upload pair across the sample
corpora, sound 10 of 10 pairs ("Vibe Ace" under real voice-overs), no false sound pair.

In the code location (``defs/assets/links.py``): the fingerprints are per-video assets stored as
typed tables (``fingerprints``); ``ledger`` keeps the indexes, which fingerprint each video was
indexed with and every match, and brings them up to date one video at a time.

Limits (measured; see benchmark/results/links.md):
- A margin: the voice-over clips' weakest true pair stands 4.94 above its own best offsets
  (``coincide.best``'s ``above_typical``), the test signals' same-genre decoys (one drum kit, scale
  and tempo, quantized) up to 4.7; the bar is 4.8 (``sound_index.MIN_ABOVE_TYPICAL``).
- Sound index size: 197 KB a video (197 GB at 1 M videos; generated videos of 28 peaks/s, the
  benchmark's voice-over): the triplets (15 per anchor) and each video's peaks for the
  verification. It was 78 KB with 10 triplets per anchor and no peaks, which found none of the
  links clips' shared sound. Smaller: log frequency in 16 bits, video ids in 16 bits in runs of
  fewer than 65,536 videos.
"""

from video_assets.links.footage import FootageFingerprint
from video_assets.links.groups import (MATCHES_SCHEMA, REUPLOADS_SCHEMA, SOUNDS_SCHEMA, VIDEO_LINKS_SCHEMA, build,
                                       matches_table)
from video_assets.links.match import FootageIndex, Match
from video_assets.links.sound_index import SoundIndex
from video_assets.links.sound import SoundFingerprint

__all__ = ["FootageFingerprint", "FootageIndex", "MATCHES_SCHEMA", "Match", "REUPLOADS_SCHEMA", "SOUNDS_SCHEMA",
           "SoundFingerprint", "SoundIndex", "VIDEO_LINKS_SCHEMA", "build", "matches_table"]
