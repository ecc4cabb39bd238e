"""PyTorch DDP reference for `dalle-train bench`: the same DalleBart `small` step in PyTorch.

DalleBart as docs/MODEL.md describes it for dalle-mini's defaults (normformer norms, GLU, no
biases in the projections, gelu, final norms) in dalle-train's `small` configuration (dropout 0),
trained with torch.optim.AdamW (lr 1e-4, decoupled weight decay 0.01 on every parameter, as
`dalle-train bench`) under DistributedDataParallel (gloo), one process per core with one thread
each. Prints the median step and decoder tokens/s, per process and in total, so that dalle-train
and PyTorch can be compared as a ratio measured on the same machine (deploy/README.md).

--check-against DIR (written by `dalle-train bench --export-step DIR`) first shows that both sides
run the same model: it loads dalle-train's initial parameters and batch, requires the same
parameter count, loss and gradient norm, and then times the steps on those parameters and that batch.
"""

import argparse
import json
import os
import struct
import sys
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn


class BiasNorm(nn.Module):
    """LayerNorm with a bias and no scale (the "b" norms of the normformer layout)."""

    def __init__(self, width):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(width))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), None, self.bias, 1e-5)


def full_norm(width):
    """LayerNorm with scale and bias (the "s+b" norms)."""
    return nn.LayerNorm(width, eps=1e-5)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width, bias=False)
        self.k = nn.Linear(width, width, bias=False)
        self.v = nn.Linear(width, width, bias=False)
        self.out = nn.Linear(width, width, bias=False)

    def split(self, x):
        b, t, d = x.shape
        return x.view(b, t, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, x, keys, mask=None, causal=False):
        q, k, v = self.split(self.q(x)), self.split(self.k(keys)), self.split(self.v(keys))
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        b, h, t, hd = o.shape
        return self.out(o.transpose(1, 2).reshape(b, t, h * hd))


class GLU(nn.Module):
    def __init__(self, width, hidden, dropout):
        super().__init__()
        self.norm_in = BiasNorm(width)
        self.gate = nn.Linear(width, hidden, bias=False)
        self.linear = nn.Linear(width, hidden, bias=False)
        self.norm_mid = BiasNorm(hidden)
        self.down = nn.Linear(hidden, width, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = self.norm_in(x)
        z = self.norm_mid(F.gelu(self.gate(x)) * self.linear(x))
        return self.dropout(self.down(z))


class EncoderLayer(nn.Module):
    def __init__(self, width, heads, hidden, dropout):
        super().__init__()
        self.pre = BiasNorm(width)
        self.attention = Attention(width, heads)
        self.post = full_norm(width)
        self.glu = GLU(width, hidden, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, h, mask):
        x = self.pre(h)
        h = h + self.dropout(self.post(self.attention(x, x, mask=mask)))
        return h + self.glu(h)


class DecoderLayer(nn.Module):
    def __init__(self, width, heads, hidden, dropout):
        super().__init__()
        self.pre_self = BiasNorm(width)
        self.self_attention = Attention(width, heads)
        self.post_self = full_norm(width)
        self.pre_cross = BiasNorm(width)
        self.cross_attention = Attention(width, heads)
        self.post_cross = full_norm(width)
        self.glu = GLU(width, hidden, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, g, encoded, mask):
        x = self.pre_self(g)
        g = g + self.dropout(self.post_self(self.self_attention(x, x, causal=True)))
        x = self.pre_cross(g)
        g = g + self.dropout(self.post_cross(self.cross_attention(x, encoded, mask=mask)))
        return g + self.glu(g)


class DalleBart(nn.Module):
    def __init__(self, width=256, layers=4, heads=8, hidden=1024, text_vocab=50264, image_vocab=16384,
                 text_length=64, image_length=256, dropout=0.0):
        super().__init__()
        self.text_embed = nn.Embedding(text_vocab, width)
        self.text_positions = nn.Embedding(text_length, width)
        self.text_norm = full_norm(width)
        self.encoder = nn.ModuleList(EncoderLayer(width, heads, hidden, dropout) for _ in range(layers))
        self.encoder_final = BiasNorm(width)
        self.image_embed = nn.Embedding(image_vocab + 1, width)
        self.image_positions = nn.Embedding(image_length, width)
        self.image_norm = full_norm(width)
        self.decoder = nn.ModuleList(DecoderLayer(width, heads, hidden, dropout) for _ in range(layers))
        self.decoder_final = BiasNorm(width)
        self.lm_head = nn.Linear(width, image_vocab + 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        for parameter in self.parameters():
            if parameter.dim() > 1:
                nn.init.normal_(parameter, std=0.02)

    def forward(self, text, text_mask, image_in):
        positions = torch.arange(text.shape[1])
        h = self.dropout(self.text_norm(self.text_embed(text) + self.text_positions(positions)))
        mask = text_mask[:, None, None, :].bool()  # keys that are not padding
        for layer in self.encoder:
            h = layer(h, mask)
        encoded = self.encoder_final(h)
        positions = torch.arange(image_in.shape[1])
        g = self.dropout(self.image_norm(self.image_embed(image_in) + self.image_positions(positions)))
        for layer in self.decoder:
            g = layer(g, encoded, mask)
        return self.lm_head(self.decoder_final(g))


def run(rank, world, args):
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29533")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(args.threads)
    torch.manual_seed(rank)
    module = DalleBart(dropout=args.dropout)
    b, s, t, v = args.batch_size, 64, 256, 16384
    if args.check_against:
        load_flax_parameters(module, os.path.join(args.check_against, "model.safetensors"))
        text, text_mask, image_in, labels = load_batch(os.path.join(args.check_against, "batch.safetensors"))
        b = text.shape[0]
    else:
        text = torch.randint(0, 50264, (b, s))
        text_mask = torch.ones(b, s, dtype=torch.long)
        for row in range(b):  # some padded rows, as real captions
            text_mask[row, max(2, s - (row * 7) % s):] = 0
        labels = torch.randint(0, v, (b, t))
        image_in = torch.cat([torch.full((b, 1), v), labels[:, :-1]], dim=1)
    model = nn.parallel.DistributedDataParallel(module)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    times = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        logits = model(text, text_mask, image_in)
        loss = F.cross_entropy(logits.reshape(-1, v + 1), labels.reshape(-1))
        loss.backward()
        optimizer.step()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    tokens = b * t / median
    results = [None] * world
    dist.all_gather_object(results, (median, tokens, loss.item()))
    if rank == 0:
        parameters = sum(p.numel() for p in model.parameters())
        print(f"PyTorch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), DDP gloo, "
              f"{world} process(es) x {args.threads} thread(s), {parameters / 1e6:.1f}M params, batch {b}")
        for r, (m, k, l) in enumerate(results):
            print(f"rank {r}: median step {m:.3f} s, {k:.0f} decoder tokens/s, loss {l:.4f}")
        print(f"all {world} ranks: {sum(k for _, k, _ in results):.0f} decoder tokens/s, "
              f"slowest median step {max(m for m, _, _ in results):.3f} s")
    dist.destroy_process_group()


def read_safetensors(path):
    """name -> tensor for the F32 and I32 tensors of a safetensors file."""
    with open(path, "rb") as file:
        data = file.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    kinds = {"F32": torch.float32, "I32": torch.int32}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = bytearray(data[8 + length + start:8 + length + end])
        tensors[name] = torch.frombuffer(raw, dtype=kinds[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def flax_names(model):
    """Flax parameter name -> (this model's parameter, whether the Flax kernel is transposed)."""
    names = {}

    def norm(prefix, module):
        if isinstance(module, nn.LayerNorm):
            names[prefix + ".scale"] = (module.weight, False)
        names[prefix + ".bias"] = (module.bias, False)

    def attention(prefix, module):
        for flax, linear in (("q_proj", module.q), ("k_proj", module.k), ("v_proj", module.v),
                             ("out_proj", module.out)):
            names[f"{prefix}.{flax}.kernel"] = (linear.weight, True)

    def glu(prefix, module):
        norm(prefix + ".LayerNorm_0", module.norm_in)
        names[prefix + ".Dense_0.kernel"] = (module.gate.weight, True)
        names[prefix + ".Dense_1.kernel"] = (module.linear.weight, True)
        norm(prefix + ".LayerNorm_1", module.norm_mid)
        names[prefix + ".Dense_2.kernel"] = (module.down.weight, True)

    for codec, embed, positions, embed_norm, final in (
            ("encoder", model.text_embed, model.text_positions, model.text_norm, model.encoder_final),
            ("decoder", model.image_embed, model.image_positions, model.image_norm, model.decoder_final)):
        names[f"model.{codec}.embed_tokens.embedding"] = (embed.weight, False)
        names[f"model.{codec}.embed_positions.embedding"] = (positions.weight, False)
        norm(f"model.{codec}.layernorm_embedding", embed_norm)
        norm(f"model.{codec}.final_ln", final)
    for i, layer in enumerate(model.encoder):
        prefix = f"model.encoder.layers.FlaxBartEncoderLayer_{i}"
        norm(prefix + ".LayerNorm_0", layer.pre)
        attention(prefix + ".FlaxBartAttention_0", layer.attention)
        norm(prefix + ".LayerNorm_1", layer.post)
        glu(prefix + ".GLU_0", layer.glu)
    for i, layer in enumerate(model.decoder):
        prefix = f"model.decoder.layers.FlaxBartDecoderLayer_{i}"
        norm(prefix + ".LayerNorm_0", layer.pre_self)
        attention(prefix + ".FlaxBartAttention_0", layer.self_attention)
        norm(prefix + ".LayerNorm_1", layer.post_self)
        norm(prefix + ".LayerNorm_2", layer.pre_cross)
        attention(prefix + ".FlaxBartAttention_1", layer.cross_attention)
        norm(prefix + ".LayerNorm_3", layer.post_cross)
        glu(prefix + ".GLU_0", layer.glu)
    names["lm_head.kernel"] = (model.lm_head.weight, True)
    return names


def load_flax_parameters(model, path):
    """Copies every tensor of dalle-train's parameter file into the model; both sides must name
    exactly the same tensors, and the model must have no parameter the file lacks."""
    tensors = read_safetensors(path)
    names = flax_names(model)
    if set(names) != set(tensors):
        sys.exit(f"{path}: tensors differ from this model's: only in the file "
                 f"{sorted(set(tensors) - set(names))[:5]}, only here {sorted(set(names) - set(tensors))[:5]}")
    mapped = {id(parameter) for parameter, _ in names.values()}
    if len(mapped) != len(list(model.parameters())):
        sys.exit("the model has parameters that dalle-train's file does not name")
    with torch.no_grad():
        for name, (parameter, transposed) in names.items():
            value = tensors[name].t() if transposed else tensors[name]
            if tuple(value.shape) != tuple(parameter.shape):
                sys.exit(f"{path}: {name} has shape {list(value.shape)}, this model {list(parameter.shape)}")
            parameter.copy_(value)


def load_batch(path):
    """(text ids, text mask, decoder input ids, labels) as int64, from `bench --export-step`."""
    tensors = read_safetensors(path)
    return tuple(tensors[name].long() for name in ("input_ids", "attention_mask", "decoder_input_ids", "labels"))


def check_same_model(args):
    """Loss and gradient norm of dalle-train's first step, recomputed here on its parameters and
    batch; exits non-zero unless both agree within float32 rounding."""
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.check_against, "step.json")) as file:
        expected = json.load(file)
    model = DalleBart(dropout=args.dropout)
    load_flax_parameters(model, os.path.join(args.check_against, "model.safetensors"))
    text, text_mask, image_in, labels = load_batch(os.path.join(args.check_against, "batch.safetensors"))
    v = model.lm_head.out_features
    loss = F.cross_entropy(model(text, text_mask, image_in).reshape(-1, v), labels.reshape(-1))
    loss.backward()
    norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters())).item()
    parameters = sum(p.numel() for p in model.parameters())
    loss_error = abs(loss.item() - expected["loss"]) / abs(expected["loss"])
    norm_error = abs(norm - expected["gradient_norm"]) / expected["gradient_norm"]
    print(f"same model: {parameters} parameters (dalle-train {expected['parameters']}), dropout {args.dropout} "
          f"({expected['dropout']}), first-step loss {loss.item():.6f} ({expected['loss']:.6f}, relative "
          f"{loss_error:.1e}), gradient norm {norm:.6f} ({expected['gradient_norm']:.6f}, relative {norm_error:.1e})")
    if (parameters != expected["parameters"] or args.dropout != expected["dropout"] or loss_error > 1e-5
            or norm_error > 1e-4):
        sys.exit("the PyTorch model is not dalle-train's: the comparison would not be fair")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--batch-size", type=int, default=8, help="rows per process")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout rate (dalle-train's small: 0)")
    parser.add_argument("--check-against", metavar="DIR",
                        help="the directory of `dalle-train bench --export-step`: check, then time on it")
    args = parser.parse_args()
    if args.check_against:
        check_same_model(args)
    mp.spawn(run, args=(args.processes, args), nprocs=args.processes)


if __name__ == "__main__":
    main()
