"""Corpus groups from matches: ``sounds``, ``reuploads`` and ``video_links``, with their schemas.

Groups are connected components of the match graph over the videos present now (a match that
names a removed video is dropped, so nothing points at it). Ids and "first" come from the videos'
order (``first_seen``, then name), never from the order matches were found, so the same corpus gives
the same tables whichever video was added first."""

from __future__ import annotations

import hashlib
from typing import Iterable, Mapping

import pandas as pd
import pyarrow as pa

from video_assets.links.match import Match

MATCHES_SCHEMA = pa.schema([
    ("kind", pa.string()), ("query", pa.string()), ("other", pa.string()),
    ("query_start_s", pa.float64()), ("query_end_s", pa.float64()),
    ("other_start_s", pa.float64()), ("other_end_s", pa.float64()),
    ("offset_s", pa.float64()), ("speed", pa.float64()), ("score", pa.float64()), ("mirrored", pa.bool_()),
])
SOUNDS_SCHEMA = pa.schema([
    ("sound_id", pa.string()), ("videos", pa.list_(pa.string())), ("uses", pa.int32()),
    ("first_video", pa.string()),
    ("starts_s", pa.list_(pa.float64())),  # where each video starts using it, in its own time
    ("ends_s", pa.list_(pa.float64())),
    ("sound_at_s", pa.list_(pa.float64())),  # where in the first video's sound each use starts
    ("speeds", pa.list_(pa.float64())),  # each video's speed relative to the first video
])
REUPLOADS_SCHEMA = pa.schema([
    ("group_id", pa.string()), ("kind", pa.string()), ("videos", pa.list_(pa.string())),
    ("first_video", pa.string()), ("shares", pa.list_(pa.float64())),  # share of each video's footage matched
])
VIDEO_LINKS_SCHEMA = pa.schema([
    ("video", pa.string()), ("sound_id", pa.string()), ("sound_uses", pa.int32()), ("reupload_of", pa.string()),
])


def matches_table(matches: Iterable[Match]) -> pd.DataFrame:
    rows = [m.__dict__ for m in matches]
    return pd.DataFrame(rows, columns=MATCHES_SCHEMA.names).astype({"mirrored": bool}) if rows else \
        MATCHES_SCHEMA.empty_table().to_pandas()


def _order(videos: Iterable[str], first_seen: Mapping[str, float] | None) -> dict[str, tuple]:
    fs = first_seen or {}
    return {v: (fs.get(v, 0.0), v) for v in videos}


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    parent = {v: v for v in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for v in nodes:
        groups.setdefault(find(v), []).append(v)
    return [g for g in groups.values() if len(g) > 1]


def _id(prefix: str, video: str) -> str:
    return f"{prefix}-{hashlib.sha1(video.encode()).hexdigest()[:10]}"


def _best_edges(matches: Iterable[Match], kinds: tuple[str, ...], present: set[str]) -> dict[tuple[str, str], Match]:
    """One match per unordered pair (the higher score; equal: the one queried from the smaller name)."""
    best: dict[tuple[str, str], Match] = {}
    for m in matches:
        if m.kind not in kinds or m.query not in present or m.other not in present or m.query == m.other:
            continue
        key = tuple(sorted((m.query, m.other)))
        old = best.get(key)
        if old is None or (m.score, m.query == key[0]) > (old.score, old.query == key[0]):
            best[key] = m
    return best


def build(videos: Iterable[str], matches: Iterable[Match], first_seen: Mapping[str, float] | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(sounds, reuploads, video_links) of the videos present now, from all matches found so far."""
    videos = sorted(set(videos))
    present = set(videos)
    order = _order(videos, first_seen)
    matches = list(matches)
    snd = _best_edges(matches, ("sound",), present)
    sound_rows, sound_of = [], {}
    for group in sorted(_components(videos, list(snd)), key=lambda g: min(order[v] for v in g)):
        group = sorted(group, key=order.get)
        root = group[0]
        # Where each video is in the root's sound: walk the match graph out from the root.
        pos = {root: (0.0, 1.0)}  # video -> (offset, speed): t_root = offset + speed * t_video
        frontier = [root]
        while frontier:
            a = frontier.pop()
            for (x, y), m in snd.items():
                for b in (x, y):
                    if b == a or b in pos or a not in (x, y):
                        continue
                    # m: t_other = off + sp * t_query
                    if m.other == a:
                        off, sp = m.offset_s, m.speed
                    else:
                        off, sp = -m.offset_s / m.speed, 1.0 / m.speed
                    oa, sa = pos[a]
                    pos[b] = (oa + sa * off, sa * sp)
                    frontier.append(b)
        starts, ends = [], []
        for v in group:
            own = [m for (x, y), m in snd.items() if v in (x, y)]
            starts.append(min((m.query_start_s if m.query == v else m.other_start_s) for m in own))
            ends.append(max((m.query_end_s if m.query == v else m.other_end_s) for m in own))
        sid = _id("sound", root)
        for v in group:
            sound_of[v] = (sid, len(group))
        sound_rows.append({"sound_id": sid, "videos": group, "uses": len(group), "first_video": root,
                           "starts_s": starts, "ends_s": ends,
                           "sound_at_s": [round(pos[v][0] + pos[v][1] * s, 3) for v, s in zip(group, starts)],
                           "speeds": [round(1.0 / pos[v][1], 4) for v in group]})
    foot = _best_edges(matches, ("reupload", "shared_footage"), present)
    re_edges = [k for k, m in foot.items() if m.kind == "reupload"]
    rows, reupload_of = [], {}
    grouped = {}
    for group in sorted(_components(videos, re_edges), key=lambda g: min(order[v] for v in g)):
        group = sorted(group, key=order.get)
        shares = [max((m.score for k, m in foot.items() if v in k and m.kind == "reupload"), default=0.0) for v in group]
        rows.append({"group_id": _id("reupload", group[0]), "kind": "reupload", "videos": group, "first_video": group[0], "shares": shares})
        for v in group:
            grouped[v] = group[0]
            if v != group[0]:
                reupload_of[v] = group[0]
    for (a, b), m in sorted(foot.items(), key=lambda kv: (min(order[kv[0][0]], order[kv[0][1]]), kv[0])):
        if m.kind != "shared_footage" or grouped.get(a, a) == grouped.get(b, b):
            continue
        pair = sorted((a, b), key=order.get)
        rows.append({"group_id": _id("shared", "|".join(pair)), "kind": "shared_footage", "videos": pair,
                     "first_video": pair[0], "shares": [m.score, m.score]})
    links = [{"video": v, "sound_id": sound_of.get(v, ("", 1))[0], "sound_uses": sound_of.get(v, ("", 1))[1],
              "reupload_of": reupload_of.get(v, "")} for v in videos]
    return (pd.DataFrame(sound_rows, columns=SOUNDS_SCHEMA.names), pd.DataFrame(rows, columns=REUPLOADS_SCHEMA.names),
            pd.DataFrame(links, columns=VIDEO_LINKS_SCHEMA.names).astype({"sound_uses": "int32"}))
