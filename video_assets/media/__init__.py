"""Media, plain Python (no Dagster, no resources): ``decode`` (PyAV, validated once), ``frames``
(stored frames and audio and their formats), ``sampling`` (which frames each analyzer needs),
``files`` (atomic reads and writes on one storage root, local or fsspec) and ``listing`` (the
corpus: videos under a root, partition keys, content hashes, settle logic)."""
