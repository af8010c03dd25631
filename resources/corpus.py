"""Where the videos are: the corpus root and how the sensor decides a file is ready."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from video_assets import corpus, settings


class VideoCorpus(dg.ConfigurableResource):
    """A folder or bucket of videos (``VIDEO_ASSETS_CORPUS``; any fsspec URL, e.g. ``s3://bucket/videos``)."""

    root: str = Field(default_factory=settings.corpus_root)
    settle_seconds: float = Field(
        default=10.0,
        description="a file untouched this long is taken as complete even on its first sighting",
    )

    def scan(self) -> list[corpus.VideoFile]:
        return corpus.scan(self.root)

    def find(self, key: str) -> corpus.VideoFile:
        return corpus.find(self.root, key)
