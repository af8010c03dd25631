"""Small PNG plots for the UI and the report."""

import io


def wpm_plot(segments, duration: float) -> bytes:
    """A small PNG of words per minute over time (one bar per segment)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 1.8), dpi=80)
    for row in segments.itertuples():
        ax.bar(row.start_s, row.words_per_minute, width=max(row.end_s - row.start_s, 0.05), align="edge", color="#4c72b0")
    ax.set_xlim(0, max(duration, 1.0))
    ax.set_xlabel("s")
    ax.set_ylabel("wpm")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
