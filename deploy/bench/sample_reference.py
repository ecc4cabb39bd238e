#!/usr/bin/env python3
"""Times image-token generation of the reference implementations on a random `small`-shape model.

    sample_reference.py jax [--batch-size 8] [--rounds 1]        dalle-mini's DalleBart.generate
    sample_reference.py min-dalle [--batch-size 8] [--rounds 1]  min-dalle's PyTorch decoder loop

Both generate image_length = 256 tokens per image with condition scale 10 and top-k 50 (what
`dalle-train sample --benchmark` does), from one fixed caption repeated over the batch, and print
one line `<name>: ... tokens/s ... s per image`. The model is dalle-train's `small` preset
(Sources/Trainer/Config/DalleBartConfig+Presets.swift): d_model 256, 4 + 4 layers, 8 heads,
FFN 1024 (GLU), 64 text tokens, 16384 image codes (+1 special id), random weights.
Used by deploy/bench/compare-sampling.sh; nothing here is part of dalle-train.
"""

import argparse
import os
import time

SMALL = dict(d_model=256, layers=4, heads=8, ffn=1024, text_vocab=50264, text_length=64,
             image_vocab=16384, image_length=256)
# "a small red circle at the top left on a blue background" as `dalle-train tokenize` gives it.
CAPTION = [0, 102, 650, 1275, 7922, 23, 5, 299, 314, 15, 10, 2440, 3618, 2]


def padded(ids, length, pad=1):
    return ids + [pad] * (length - len(ids)), [1] * len(ids) + [0] * (length - len(ids))


def timed(function):
    """(wall seconds, CPU seconds of the whole process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def report(name, batch, times, extra=""):
    """One line in the format of `dalle-train sample --benchmark` (medians over the rounds)."""
    wall = sorted(t[0] for t in times)[len(times) // 2]
    cpu = sorted(t[1] for t in times)[len(times) // 2]
    tokens = batch * SMALL["image_length"]
    print(f"{name}: batch {batch}, condition scale 10, top-k 50: median {wall:.3f} s per batch, "
          f"{tokens / wall:.1f} image tokens/s, {wall / batch:.3f} s per image; "
          f"CPU {cpu:.3f} s per batch, {tokens / cpu:.1f} image tokens per CPU second{extra}",
          flush=True)


def run_jax(batch, rounds):
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.experimental
    import jax.numpy as jnp
    import numpy as np

    jax.experimental.PartitionSpec = jax.sharding.PartitionSpec  # dalle-mini 0.1.5 on jax 0.4.13
    from dalle_mini.model import DalleBart, DalleBartConfig

    s = SMALL
    config = DalleBartConfig(
        encoder_vocab_size=s["text_vocab"], image_vocab_size=s["image_vocab"],
        image_length=s["image_length"], max_text_length=s["text_length"], d_model=s["d_model"],
        encoder_layers=s["layers"], decoder_layers=s["layers"],
        encoder_attention_heads=s["heads"], decoder_attention_heads=s["heads"],
        encoder_ffn_dim=s["ffn"], decoder_ffn_dim=s["ffn"], dropout=0.0)
    model = DalleBart(config, seed=0, dtype=jnp.float32)
    ids, mask = padded(CAPTION, s["text_length"])
    empty_ids, empty_mask = padded([0, 2], s["text_length"])
    rows = lambda row: jnp.asarray(np.array([row] * batch, dtype=np.int32))

    @jax.jit
    def generate(params, key, input_ids, attention_mask, uncond_ids, uncond_mask):
        return model.generate(
            input_ids=input_ids, attention_mask=attention_mask, prng_key=key, params=params,
            do_sample=True, top_k=50, condition_scale=10.0, input_ids_uncond=uncond_ids,
            attention_mask_uncond=uncond_mask).sequences

    arguments = (rows(ids), rows(mask), rows(empty_ids), rows(empty_mask))
    keys = iter(range(rounds + 1))

    def once():
        sequences = generate(model.params, jax.random.PRNGKey(next(keys)), *arguments)
        assert sequences.block_until_ready().shape == (batch, s["image_length"] + 1)

    first = timed(once)  # compiles
    times = [timed(once) for _ in range(rounds)]
    report(f"dalle-mini (jax {jax.__version__})", batch, times,
           f"; first call (compile + run) {first[0]:.1f} s, CPU {first[1]:.1f} s")


def run_min_dalle(batch, rounds):
    import torch
    from min_dalle.models.dalle_bart_decoder import DalleBartDecoder
    from min_dalle.models.dalle_bart_encoder import DalleBartEncoder

    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    s = SMALL
    encoder = DalleBartEncoder(
        layer_count=s["layers"], embed_count=s["d_model"], attention_head_count=s["heads"],
        text_vocab_count=s["text_vocab"], text_token_count=s["text_length"],
        glu_embed_count=s["ffn"], device="cpu").eval()
    decoder = DalleBartDecoder(
        image_vocab_count=s["image_vocab"], embed_count=s["d_model"],
        attention_head_count=s["heads"], glu_embed_count=s["ffn"], layer_count=s["layers"],
        device="cpu").eval()
    for module in (encoder, decoder):  # nn defaults; scale to dalle-mini's N(0, 0.02) init
        for parameter in module.parameters():
            if parameter.dim() > 1:
                torch.nn.init.normal_(parameter, std=0.02)
    ids, _ = padded(CAPTION, s["text_length"])
    empty_ids, _ = padded([0, 2], s["text_length"])
    # min-dalle's own MinDalle.generate_raw_image_stream: the encoder runs on the empty and the
    # real caption, the decoder on batch unconditional rows, then batch conditional rows.
    text = torch.tensor([empty_ids, ids], dtype=torch.long)
    settings = torch.tensor([1.0, 50, 10.0], dtype=torch.float32)  # temperature, top-k, scale
    token_indices = torch.arange(s["image_length"])

    def generate():
        encoder_state = encoder.forward(text)
        expanded = [0] * batch + [1] * batch
        encoder_state = encoder_state[expanded]
        attention_mask = text[expanded].not_equal(1)[:, None, None, :]
        attention_state = torch.zeros(
            size=(s["layers"], batch * 4, s["image_length"], s["d_model"]))
        image_tokens = torch.full((batch, s["image_length"] + 1), s["image_vocab"] - 1,
                                  dtype=torch.long)
        for i in range(s["image_length"]):
            image_tokens[:, i + 1], attention_state = decoder.sample_tokens(
                settings=settings, attention_mask=attention_mask, encoder_state=encoder_state,
                attention_state=attention_state, prev_tokens=image_tokens[:, [i]],
                token_index=token_indices[[i]])
        return image_tokens

    generate()  # warm-up
    times = [timed(generate) for _ in range(rounds)]
    report(f"min-dalle (torch {torch.__version__}, {torch.get_num_threads()} thread)", batch, times)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("implementation", choices=["jax", "min-dalle"])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    arguments = parser.parse_args()
    {"jax": run_jax, "min-dalle": run_min_dalle}[arguments.implementation](
        arguments.batch_size, arguments.rounds)
