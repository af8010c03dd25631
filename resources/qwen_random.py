"""Random-init Qwen2-VL checkpoints, saved like real ones, for plumbing, parity of code paths and speed.

No Qwen2-VL weights exist offline. ``build`` writes a checkpoint folder (config, weights,
tokenizer with the Qwen2-VL special tokens and chat template, image processor, processor) that
the production loader opens with ``from_pretrained`` exactly as it opens ``Qwen/Qwen2-VL-7B-Instruct``:

* ``tiny``: a few layers of small width, for tests and the offline demo (seconds on a CPU);
* ``2b`` / ``7b``: the published Qwen2-VL-2B / 7B-Instruct shapes, for speed measurements whose
  compute matches the real models (compute does not depend on weight values).

The text tokenizer is a word-level vocabulary built with ``tokenizers``; only the special tokens
and the chat format match Qwen's. Outputs of these models are random words: never results.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|image_pad|>", "<|video_pad|>", "<|vision_pad|>",
]
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' %}"
    "<|vision_start|><|video_pad|><|vision_end|>{% elif content['type'] == 'text' %}{{ content['text'] }}"
    "{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
WORDS = (
    "a an the and or of in on at to with from by for is are was were be it this that these those there here "
    "person people man woman cat dog cup coffee table motorcycle rocket sky space suit helmet street road city "
    "red orange yellow green blue purple white black grey brown bright dark light left right top bottom center "
    "moves walks runs sits stands looks turns holds shows appears text caption says reads large small close up "
    "background foreground camera pans zooms scene frame video time second seconds first then next while slowly "
    "quickly smiling face eyes hand hands table wooden saucer spoon steam launch tower flag white outlined words"
).split()

SHAPES = {
    # Small enough for a CPU test; the real code paths (vision tower, merger, mrope, generate).
    "tiny": dict(
        text=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [2, 3, 3]},
                  max_position_embeddings=4096, rms_norm_eps=1e-6),
        vision=dict(depth=2, embed_dim=32, hidden_size=64, num_heads=2, mlp_ratio=2),
        vocab_size=None,
    ),
    # Qwen2-VL-2B-Instruct's published config.json.
    "2b": dict(
        text=dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                  rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [16, 24, 24]},
                  max_position_embeddings=32768, rms_norm_eps=1e-6),
        vision=dict(depth=32, embed_dim=1280, hidden_size=1536, num_heads=16, mlp_ratio=4),
        vocab_size=151936,
        tie_word_embeddings=True,
    ),
    # Qwen2-VL-7B-Instruct's published config.json.
    "7b": dict(
        text=dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4,
                  rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [16, 24, 24]},
                  max_position_embeddings=32768, rms_norm_eps=1e-6),
        vision=dict(depth=32, embed_dim=1280, hidden_size=3584, num_heads=16, mlp_ratio=4),
        vocab_size=152064,
        tie_word_embeddings=False,
    ),
}


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0}
    for word in dict.fromkeys(WORDS + [".", ",", ":", "?", "!", "'", "s", "t", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "describe", "detail",
                                       "what", "happens", "visual", "elements", "colors", "positions", "movements", "you", "helpful",
                                       "assistant", "system", "user", "briefly", "detailed", "describing", "segment", "video's", "s."]):
        vocab.setdefault(word, len(vocab))
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", eos_token="<|im_end|>", pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS, padding_side="left",
    )
    tok.chat_template = CHAT_TEMPLATE
    tok.image_token = "<|image_pad|>"
    tok.video_token = "<|video_pad|>"
    return tok


def build(shape: str, folder: Path, seed: int = 0) -> Path:
    """Write a random-init checkpoint of ``shape`` to ``folder`` (atomic: a temp folder renamed)."""
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    spec = SHAPES[shape]
    folder = Path(folder)
    if (folder / "config.json").exists():
        return folder
    tok = build_tokenizer()
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    vocab_size = spec["vocab_size"] or (len(tok) + 8)
    text = dict(spec["text"], vocab_size=vocab_size, bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                pad_token_id=ids["<|endoftext|>"])
    vision = dict(spec["vision"], patch_size=14, spatial_merge_size=2, temporal_patch_size=2, in_channels=3)
    config = Qwen2VLConfig(
        text_config=text, vision_config=vision, image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=spec.get("tie_word_embeddings", False),
    )
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()
    if shape != "tiny":
        model = model.to(torch.bfloat16)  # half the disk; loading casts to the preset's dtype
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    tmp = folder.with_name(f".{folder.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(tmp)
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(), tokenizer=tok, video_processor=Qwen2VLVideoProcessor(), chat_template=CHAT_TEMPLATE
    )
    processor.save_pretrained(tmp)
    (tmp / "random_init.json").write_text(json.dumps({"shape": shape, "seed": seed, "weights": "random-init"}))
    tmp.rename(folder)
    return folder


def is_random(path: str | Path) -> bool:
    return (Path(path) / "random_init.json").exists()
