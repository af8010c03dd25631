"""The demo's links clips (issue #52): the sample clips made to share a sound, footage or a shot
(``video_assets.sample.links``), in the corpus folder's ``links/``, with their ground truth.

Why a part of their own: what the demo shows of them is what they share, so they are decoded and
fingerprinted (``demo_links_job``), not run through every analyzer, which would double the demo's
time for tables the synthetic clips already show. In the UI (``make dev``) the rest of
``corpus_job`` can be materialized for them like for any partition.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = "links"  # under the corpus root
JOB_NAME = "demo_links_job"


def ensure(corpus_root: str) -> dict:
    """The links clips' truth, writing the clips first when absent (about 3 minutes on 2 cores)."""
    from video_assets.sample.links.writer import ensure_corpus

    return ensure_corpus(Path(corpus_root) / FOLDER)


def keys(truth: dict) -> dict[str, str]:
    """Clip name -> its partition key (the corpus' own rule for a file in a subfolder)."""
    from video_assets.media.listing import partition_key

    return {name: partition_key(f"{FOLDER}/{clip['file']}") for name, clip in truth["clips"].items()}


def in_folder(corpus_root: str) -> set[str]:
    """The partition keys of the videos in the corpus' links folder."""
    from video_assets.media.listing import scan

    return {v.key for v in scan(corpus_root) if v.rel_path.startswith(f"{FOLDER}/")}


def with_job(defs):
    """``defs`` with ``demo_links_job``: both decoded inputs with their decode_gaps checks, and the two fingerprints."""
    import dagster as dg

    from video_assets.defs.jobs import FINGERPRINT_ASSETS, INPUTS, decode_gaps_check_keys
    from video_assets.defs.partitions import videos_partitions_def

    selection = dg.AssetSelection.assets(*INPUTS, *FINGERPRINT_ASSETS).without_checks() | dg.AssetSelection.checks(*decode_gaps_check_keys())
    job = dg.define_asset_job(JOB_NAME, selection=selection, partitions_def=videos_partitions_def,
                              description="The demo's links clips: decoded and fingerprinted.")
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))


def against_truth(sounds, groups, truth: dict, key_of: dict[str, str]) -> list[str]:
    """Lines saying, for each group of the truth, how much of it one found group holds, and every
    found group that mixes a links clip with a video outside its truth group (a false link).
    ``sounds``/``groups``: the ``sounds`` and ``reuploads`` tables."""
    name_of = {v: k for k, v in key_of.items()}
    found = {"sound": [set(v) for v in sounds["videos"]],
             "reupload": [set(v) for v, k in zip(groups["videos"], groups["kind"]) if k == "reupload"],
             "shared_footage": [set(v) for v, k in zip(groups["videos"], groups["kind"]) if k != "reupload"]}
    wanted = {"sound": [(g["sound"], {key_of[u["video"]] for u in g["uses"]}) for g in truth["sound"]["groups"]],
              "reupload": [(g["original"], {key_of[v] for v in g["videos"]}) for g in truth["footage"]["reupload_groups"]],
              "shared_footage": [(s["media"], {key_of[v] for v in s["videos"]}) for s in truth["footage"]["shared_footage"]]}
    lines = []
    for kind, truths in wanted.items():
        for label, want in truths:
            best = max(found[kind], key=lambda g: len(g & want), default=set())
            lines.append(f"  {kind.replace('_', ' ')} {label}: {len(best & want)} of {len(want)} videos found in one group")
        for group in found[kind]:
            mine = group & set(name_of)
            if mine and not any(group <= want for _, want in truths):
                lines.append(f"  false {kind.replace('_', ' ')} group: {', '.join(sorted(name_of.get(v, v) for v in group))}")
    return lines
