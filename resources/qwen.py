"""Qwen2-VL behind one interface, so a serving engine (vLLM) can replace Hugging Face transformers.

``VisionLanguageBackend.describe`` takes a batch of independent segment requests (images and a
prompt each) and returns one output per request. ``TransformersBackend`` runs them as one
left-padded ``generate`` call under ``torch.inference_mode``. A vLLM backend would implement the
same method with ``LLM.generate`` and ``multi_modal_data``; nothing else changes.

Models (``VIDEO_ASSETS_QWEN_BASELINE``, ``VIDEO_ASSETS_QWEN_OPTIMIZED``): a hub id or a local
folder. Defaults: ``Qwen/Qwen2-VL-7B-Instruct`` for the baseline; for the optimized preset
``Qwen/Qwen2-VL-7B-Instruct-GPTQ-Int8`` on CUDA (loaded through transformers' own GPTQ support:
needs the ``gpu`` extra) and the same BF16 model on CPU, where GPTQ kernels do not run.
``random:tiny`` / ``random:2b`` / ``random:7b`` build random-init checkpoints of those shapes
(``resources/qwen_random.py``) into the model cache: plumbing and speed only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from resources import qwen_random
from resources.device import cpu_has_bf16, cpu_threads, model_cache_root, resolve_device
from resources.hub import resolve_hf
from resources.model_cache import RANDOM_PREFIX, MissingWeightsError, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from video_assets.analyzers.qwen2_vl_temporal.model import SegmentOutput, SegmentRequest, VisionLanguageBackend
from video_assets.runtime import settings


def flash_attention_available() -> bool:
    try:
        import flash_attn  # noqa: F401
        import torch

        return torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8
    except Exception:
        return False


class TransformersBackend:
    def __init__(self, path: str, model_id: str, device: str, dtype: str, attention: str):
        import torch
        from transformers import AutoProcessor, Qwen2VLForConditionalGeneration

        self.model_id, self.device, self.dtype, self.attention = model_id, device, dtype, attention
        self._torch = torch
        self.processor = AutoProcessor.from_pretrained(path)
        self.processor.tokenizer.padding_side = "left"
        self.model = Qwen2VLForConditionalGeneration.from_pretrained(
            path, dtype=getattr(torch, dtype), attn_implementation=attention
        ).to(device).eval()
        self.pad_id = self.processor.tokenizer.pad_token_id
        self.image_token_id = self.model.config.image_token_id
        eos = self.model.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])

    def describe(self, requests: list[SegmentRequest], min_pixels: int, max_pixels: int, max_new_tokens: int) -> list[SegmentOutput]:
        torch = self._torch
        texts = [
            self.processor.apply_chat_template(
                [{"role": "user", "content": [*({"type": "image"} for _ in r.images), {"type": "text", "text": r.prompt}]}],
                add_generation_prompt=True, tokenize=False,
            )
            for r in requests
        ]
        images = [img for r in requests for img in r.images]
        inputs = self.processor(
            text=texts, images=images, padding=True, return_tensors="pt",
            images_kwargs={"size": {"shortest_edge": min_pixels, "longest_edge": max_pixels}},
        ).to(self.device)
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=self.pad_id)
        prompt_len = inputs["input_ids"].shape[1]
        grids = [tuple(int(v) for v in g) for g in inputs["image_grid_thw"].tolist()]
        results, g = [], 0
        for i, r in enumerate(requests):
            ids = out[i, prompt_len:].tolist()
            n = next((k + 1 for k, t in enumerate(ids) if t in self.eos_ids), len(ids))
            mine = grids[g : g + len(r.images)]
            g += len(r.images)
            results.append(SegmentOutput(
                text=self.processor.tokenizer.decode(ids[:n], skip_special_tokens=True).strip(),
                prompt_tokens=int((inputs["attention_mask"][i] == 1).sum()),
                visual_tokens=int((inputs["input_ids"][i] == self.image_token_id).sum()),
                generated_tokens=n,
                image_grids=mine,
            ))
        return results


def resolve_model_path(spec: str, env_name: str, cache_root: str) -> tuple[str, str]:
    """A model spec -> (path or hub id to load, weights label)."""
    if spec.startswith(RANDOM_PREFIX):
        shape = spec[len(RANDOM_PREFIX):]
        if shape not in qwen_random.SHAPES:
            raise MissingWeightsError(f"{env_name}={spec!r}: unknown random shape; use one of {sorted(qwen_random.SHAPES)}")
        folder = Path(cache_root) / "qwen" / f"random-{shape}-seed0"
        qwen_random.build(shape, folder)
        return str(folder), "random-init"
    return resolve_hf(spec, env_name, _RANDOM_HINT), weights_label(spec)


_RANDOM_HINT = " (QwenResource.baseline_model / optimized_model); for plumbing without weights use random:tiny (never results)"


def weights_label(spec: str) -> str:
    random = spec.startswith(RANDOM_PREFIX) or (Path(spec).exists() and qwen_random.is_random(spec))
    return "random-init" if random else "real"


class QwenResource(AnalyzerModels):
    """Qwen2-VL per preset, loaded once per process, warmed up once."""

    baseline_model: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_QWEN_BASELINE", "Qwen/Qwen2-VL-7B-Instruct"))
    optimized_model: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_QWEN_OPTIMIZED", ""))
    cache_root: str = Field(default_factory=model_cache_root)

    def model_id(self, preset: str) -> str:
        if preset == "baseline":
            return self.baseline_model
        if self.optimized_model:
            return self.optimized_model
        return "Qwen/Qwen2-VL-7B-Instruct-GPTQ-Int8" if resolve_device(self.device) == "cuda" else self.baseline_model

    def weights_label(self) -> str:
        return "real" if all(weights_label(self.model_id(p)) == "real" for p in ("baseline", "optimized")) else "random-init"

    def settings_for(self, preset: str) -> tuple[str, str, str]:
        """(device, dtype, attention) for a preset on this machine."""
        device = resolve_device(self.device)
        if preset == "baseline":
            return device, "float16" if device == "cuda" else "float32", "eager"
        dtype = ("bfloat16" if cpu_has_bf16() else "float32") if device == "cpu" else "float16"
        attention = "flash_attention_2" if flash_attention_available() else "sdpa"
        return device, dtype, attention

    def backend(self, preset: str) -> VisionLanguageBackend:
        device, dtype, attention = self.settings_for(preset)
        env_name = "VIDEO_ASSETS_QWEN_BASELINE" if preset == "baseline" else "VIDEO_ASSETS_QWEN_OPTIMIZED"
        spec = self.model_id(preset)
        path, _ = resolve_model_path(spec, env_name, self.cache_root)
        if device == "cpu":
            import torch

            torch.set_num_threads(cpu_threads(self.cpu_threads))
        try:
            return TransformersBackend(path, spec, device, dtype, attention)
        except Exception as exc:
            kind = "local folder" if Path(path).exists() else "hub id (needs network or a local Hugging Face cache)"
            raise MissingWeightsError(
                f"cannot load Qwen2-VL {spec!r} ({kind}): {type(exc).__name__}: {exc}. Set {env_name} "
                "(QwenResource.baseline_model / optimized_model) to a local checkpoint folder; GPTQ checkpoints need the "
                "'gpu' extra on a CUDA machine; for plumbing without weights use random:tiny (never results)."
            ) from exc

    def text_encoder(self):
        """The parity check's sentence encoder, loaded once per process (``resources/text_encoder.py``)."""
        from resources.text_encoder import sentence_encoder

        return sentence_encoder()

    def preflight(self, preset: str) -> str:
        env_name = "VIDEO_ASSETS_QWEN_BASELINE" if preset == "baseline" else "VIDEO_ASSETS_QWEN_OPTIMIZED"
        spec = self.model_id(preset)
        if spec.startswith(RANDOM_PREFIX):
            if spec[len(RANDOM_PREFIX):] not in qwen_random.SHAPES:
                raise MissingWeightsError(f"{env_name}={spec!r}: unknown random shape; use one of {sorted(qwen_random.SHAPES)}")
            return f"{spec} (random-init, built on first use)"
        return resolve_hf(spec, env_name, _RANDOM_HINT)

    def load(self, preset: str) -> LoadedModels:
        device, dtype, attention = self.settings_for(preset)
        spec = self.model_id(preset)
        key = ("qwen2_vl", spec, device, dtype, attention, self.cache_root)
        loaded, new = get_or_load(key, lambda: _warm(self.backend(preset)))
        return LoadedModels(
            model=loaded.model, model_id=spec, device=device, weights=weights_label(spec),
            load_seconds=loaded.load_seconds if new else 0.0, loaded_now=new, detail=f"{dtype}, {attention} attention",
        )


def _warm(backend: TransformersBackend) -> TransformersBackend:
    """One tiny generate: the first call pays one-off costs (allocator, kernel selection)."""
    image = np.full((56, 56, 3), 128, np.uint8)
    backend.describe([SegmentRequest([image], "warm up")], 28 * 28, 56 * 56, 1)
    return backend
