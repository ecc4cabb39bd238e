"""PyTorch DDP reference for `dalle-train bench`: the same DalleBart `small` step in PyTorch.

DalleBart as docs/MODEL.md describes it for dalle-mini's defaults (normformer norms, GLU, no
biases in the projections, gelu, dropout 0.1, final norms), trained with torch.optim.AdamW under
DistributedDataParallel (gloo), one process per core with one thread each, on random tokens.
Prints the median step and decoder tokens/s, per process and in total, so that dalle-train and
PyTorch can be compared as a ratio measured on the same machine (deploy/bench/README.md).
"""

import argparse
import os
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
                 text_length=64, image_length=256, dropout=0.1):
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
    model = nn.parallel.DistributedDataParallel(DalleBart())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    b, s, t, v = args.batch_size, 64, 256, 16384
    text = torch.randint(0, 50264, (b, s))
    text_mask = torch.ones(b, s, dtype=torch.long)
    for row in range(b):  # some padded rows, as real captions
        text_mask[row, max(2, s - (row * 7) % s):] = 0
    labels = torch.randint(0, v, (b, t))
    image_in = torch.cat([torch.full((b, 1), v), labels[:, :-1]], dim=1)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--batch-size", type=int, default=8, help="rows per process")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    mp.spawn(run, args=(args.processes, args), nprocs=args.processes)


if __name__ == "__main__":
    main()
