"""Where the videos are: the corpus root and how the sensor decides a file is ready."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from video_assets.media import listing
from video_assets.runtime import settings


class VideoCorpus(dg.ConfigurableResource):
    """A folder or bucket of videos (``VIDEO_ASSETS_CORPUS``; any fsspec URL, e.g. ``s3://bucket/videos``)."""

    root: str = Field(default_factory=settings.corpus_root)
    settle_seconds: float = Field(
        default_factory=lambda: float(settings.env("VIDEO_ASSETS_SETTLE_SECONDS", "120")),
        description="a file must stay unchanged this long before it becomes a partition (VIDEO_ASSETS_SETTLE_SECONDS); "
        "long enough for uploads that pause between chunks",
    )
    incomplete_grace_seconds: float = Field(
        default_factory=lambda: float(settings.env("VIDEO_ASSETS_INCOMPLETE_GRACE_SECONDS", "600")),
        description="a settled file that fails the completeness probe waits this long for its missing bytes; after "
        "that it becomes a partition whose run fails with the cause (VIDEO_ASSETS_INCOMPLETE_GRACE_SECONDS)",
    )

    def scan(self) -> list[listing.VideoFile]:
        return listing.scan(self.root)

    def find(self, key: str) -> listing.VideoFile:
        return listing.find(self.root, key)
