"""A sample corpus of real recordings beside the synthetic one (``build``: the clips; ``media/SOURCES.md``: where each file comes from)."""
