"""What the demo prints when it is done, read back from the instance and storage: a row per
video (rows, realtime factor, speed and parity check of each analyzer), the corpus profile, and
one search a person would try."""

from __future__ import annotations


def check_status(result_events: dict, asset: str, check: str, partition: str) -> str:
    evaluation = result_events.get((asset, check, partition))
    if evaluation is None:
        return "-"
    if evaluation.passed:
        return "pass"
    return evaluation.severity.value.lower()


def results_table(instance, partitions: list[str], check_events: dict) -> str:
    from video_assets.analyzers import ANALYZERS
    from video_assets.defs.history import latest_metadata

    def latest(key: str, partition: str) -> dict:
        return latest_metadata(instance, key, partition) or {}

    header = ["video", "s", "frames kept", "audio"]
    for spec in ANALYZERS:
        header += [f"{spec.name} rows", "RTF", "speed", "parity"]
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    weights = set()
    for key in partitions:
        frames = latest("video_frames", key)
        audio = latest("audio_track", key)
        row = [key, str(frames.get("duration_s", "-")), str(frames.get("frames_kept", "-")), "yes" if audio.get("has_audio") else "no"]
        for spec in ANALYZERS:
            main = spec.main_key("optimized")
            md = latest(main, key)
            if md.get("weights") and md["weights"] != "real":
                weights.add(f"{spec.name}: weights {md['weights']}")
            per = (md.get("per_partition") or {}).get(key, {})  # a step over several videos says each one's
            rows = per.get("rows", md.get("rows", "-"))
            rtf = per.get("realtime_factor", md.get("realtime_factor", "-"))
            star = "*" if md.get("weights", "real") != "real" else ""
            parity = check_status(check_events, main, spec.parity_check, key)
            row += [f"{rows}{star}", str(rtf), check_status(check_events, main, spec.speed_check, key),
                    parity + (star if parity != "-" else "")]
        lines.append(" | ".join(row))
    notes = [f"* {w}: plumbing and speed only, not results, and its parity is not meaningful (no trained weights offline)" for w in sorted(weights)]
    return "\n".join(lines + [""] + notes)


# What the demo ends with: the corpus profile, and one search a person would try.
OVERVIEW_COLUMNS = ["video", "languages", "articulation_wpm", "caption_share", "cuts_per_minute", "face_share", "music_share",
                    "first_caption_s", "first_word_s", "first_cut_s"]
EXAMPLE_SEARCH = "Köln"


def corpus_overview(resources: dict, partitions: list[str]) -> str:
    """The profile table of the videos that have one, and the example search's hits."""
    import dagster as dg
    import pandas as pd

    from video_assets.cli.console import format_hits

    rows = []
    for key in partitions:
        try:
            rows.append(resources["io_manager"].load_partition(dg.AssetKey("video_profile"), key))
        except FileNotFoundError:
            continue
    lines = ["", "Corpus profile (video_profile; columns from random-init weights are left empty):"]
    if rows:
        profile = pd.concat(rows, ignore_index=True)[OVERVIEW_COLUMNS]
        # null (no speech, no caption) as "-", not "None" or "nan"; numbers with two decimals
        shown = profile.apply(lambda col: col.map(lambda v: "-" if v is None or (isinstance(v, float) and v != v)
                                                  else f"{v:.2f}" if isinstance(v, float) else v))
        lines.append(shown.to_string(index=False))
    else:
        lines.append("  (no profile materialized)")
    lines += ["", "Shared sounds and footage (links_job; video-assets similar VIDEO --by sound|footage):"]
    tables = _link_groups(resources)
    if tables is None:
        lines.append("  (links_job has not run)")
    else:
        sounds, groups = tables
        lines += [f"  sound {r.sound_id}: {', '.join(r.videos)}" for r in sounds.itertuples()]
        reuploads = groups[groups.kind == "reupload"] if len(groups) else groups
        lines += [f"  re-upload: {', '.join(r.videos)} (first: {r.first_video})" for r in reuploads.itertuples()]
        shared = len(groups) - len(reuploads)
        if shared:  # pairs that share a shot: listed on the corpus page, counted here
            lines.append(f"  {shared} pair(s) of videos share a shot (shared footage; the report's corpus page lists them)")
        if sounds.empty and groups.empty:
            lines.append("  none shared")
    index = resources["index"].model_copy(update={"semantic": False}).open()
    lines += ["", f"Search (video-assets search {EXAMPLE_SEARCH!r}):"]
    hits = index.search(EXAMPLE_SEARCH, limit=3)
    lines += ["  " + ln for ln in format_hits(hits)] if hits else ["  no hits"]
    return "\n".join(lines)


def _link_groups(resources: dict):
    """(``sounds``, ``reuploads``) as ``links_job`` last wrote them; None before its first run."""
    import dagster as dg

    try:
        return tuple(resources["io_manager"].load_partition(dg.AssetKey(name), None) for name in ("sounds", "reuploads"))
    except FileNotFoundError:
        return None


def links_against_truth(resources: dict, truth: dict, key_of: dict[str, str]) -> list[str]:
    """The links clips' groups of the ground truth against what ``links_job`` found (demo_links.py)."""
    from video_assets.cli.demo_links import against_truth

    tables = _link_groups(resources)
    return ["  (links_job has not run)"] if tables is None else against_truth(*tables, truth, key_of)
