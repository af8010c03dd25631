"""video-assets: a Dagster code location over a corpus of short vertical videos.

One folder per layer; dependencies point one way, from the top of this list to the bottom
(``tests/test_contract.py::test_dependencies_point_one_way`` checks it):

- ``definitions.py``  the code location's entry (``Definitions.merge``), named in ``workspace.yaml``.
- ``defs/``           the Dagster layer: assets (``defs/assets/``), checks, jobs, schedules, sensors,
                      alerts, canary, partitions, history. The only layer that defines Dagster objects.
- ``cli/``            front ends for people: the ``video-assets`` CLI, the demo, terminal output.
- ``cluster/``        where runs execute: the executor choice (Ray or in-process) and the throwaway
                      dev cluster (Postgres + local Ray) for tests and benchmarks.
- ``analyzers/``      pure: the registry (``analyzers/__init__.py``: ``ANALYZERS``), the contract and
                      one package per analyzer.
- ``media/``          pure: decoding, stored frames and audio, sampling plans, atomic file I/O, the
                      corpus listing.
- ``insights/``       pure: the per-video profile, the spans and the search index over them.
- ``links/``          pure: what travels between videos (issue #52): sound and footage fingerprints,
                      their on-disk inverted index, matches and the sounds / reuploads / video_links
                      groups. Corpus-level by nature, so a layer of its own beside ``insights/``.
- ``report/``         pure: the corpus report's rendering (HTML, Parquet dataset).
- ``sample/``         pure: the sample corpus (clips as data, the renderer, ground truth).
- ``runtime/``        pure: settings from the environment and the out-of-memory fallback.

Pure layers import neither Dagster nor ``resources`` (the model resources at the repository's top
level) nor a Dagster layer above them. Where new code goes: a sensor or schedule in ``defs/``, a
media helper in ``media/``, a model family in ``resources/<family>.py``, an analyzer in
``analyzers/<name>/`` plus its line in ``ANALYZERS``.
"""

# The layers whose modules must stay plain Python (no Dagster, no resources, no defs/cli/cluster).
PURE_LAYERS = ("analyzers", "insights", "links", "media", "report", "sample", "runtime")
