"""The corpus overview a person looks at rather than reads: distributions of the profile across
videos (words per minute, cuts per minute, caption share), the spoken languages, the hook
(when the first caption, word and cut come), and per video the share of time with a face, a
talking head and music."""

from __future__ import annotations

import io

import pandas as pd

from video_assets.insights.profile import HOOK_S


def overview_png(profiles: pd.DataFrame) -> bytes:
    """One PNG of six small panels; empty bytes when there is no profile."""
    if profiles is None or profiles.empty:
        return b""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 6, figsize=(18, 2.8), dpi=80)
    for ax, column, label in zip(axes[:3], ("articulation_wpm", "cuts_per_minute", "caption_share"),
                                 ("words per minute (speaking)", "cuts per minute", "share with a caption")):
        values = pd.to_numeric(profiles[column], errors="coerce").dropna()
        if len(values):
            ax.hist(values, bins=min(10, max(3, len(values))), color="#4c72b0")
        ax.set_title(label, fontsize=10)
        ax.set_ylabel("videos")
    languages = profiles["language"].fillna("no speech").value_counts()
    axes[3].bar(languages.index.astype(str), languages.values, color="#55a868")
    axes[3].set_title("spoken language", fontsize=10)
    hook = axes[4]
    for i, (column, color, name) in enumerate((("first_caption_s", "#4c72b0", "caption"), ("first_word_s", "#55a868", "word"),
                                               ("first_cut_s", "#c44e52", "cut"))):
        times = pd.to_numeric(profiles[column], errors="coerce")
        hook.scatter(times, range(len(profiles)), s=18, color=color, label=f"first {name}", marker="o^s"[i])
    hook.axvline(HOOK_S, color="#888", linestyle="--", linewidth=1)
    hook.set_yticks(range(len(profiles)))
    hook.set_yticklabels(profiles["video"], fontsize=7)
    hook.set_xlabel("s")
    hook.set_title(f"the hook (first {HOOK_S:.0f} s dashed)", fontsize=10)
    hook.legend(fontsize=7, loc="lower right")
    sound = axes[5]
    y = range(len(profiles))
    for column, color, name, offset in (("face_share", "#8172b2", "face", -0.2), ("talking_head_share", "#64b5cd", "talking head", 0.0),
                                        ("music_share", "#c44e52", "music", 0.2)):
        values = pd.to_numeric(profiles.get(column, pd.Series([None] * len(profiles))), errors="coerce").fillna(0.0)
        sound.barh([i + offset for i in y], values, height=0.2, color=color, label=name)
    sound.set_yticks(list(y))
    sound.set_yticklabels(profiles["video"], fontsize=7)
    sound.set_xlim(0, 1)
    sound.set_title("time with a face, talking, music", fontsize=10)
    sound.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
