"""The sample corpus, plain Python: ``clips`` (the clips as data, with their ground truth) and
``build`` (the deterministic renderer: ``python -m video_assets.sample.build DIR``)."""
