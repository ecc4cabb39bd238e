"""The PyTorch VQGANs people use, timed on CPU: taming-transformers' Encoder + quant_conv +
VectorQuantizer (PyPI taming-transformers-rom1504) for encoding, min-dalle's VQGanDetokenizer
for decoding, both in vqgan_f16_16384's shape with seeded random weights. --export DIR writes
the same weights as a vqgan-jax model directory (config.json, flax_model.msgpack) so that
`dalle-train bench-vqgan --vqgan DIR` times identical weights."""
import argparse, json, os, time

import msgpack
import numpy as np
import torch
from min_dalle.models.vqgan_detokenizer import VQGanDetokenizer
from taming.modules.diffusionmodules.model import Encoder
from taming.modules.vqvae.quantize import VectorQuantizer

CONFIG = dict(resolution=256, ch=128, ch_mult=[1, 1, 2, 2, 4], num_res_blocks=2, attn_resolutions=[16],
              z_channels=256, embed_dim=256, n_embed=16384, in_channels=3, out_ch=3, dropout=0.0,
              double_z=False, resamp_with_conv=True, give_pre_end=False)


def build(seed):
    torch.manual_seed(seed)
    c = CONFIG
    encoder = Encoder(ch=c["ch"], out_ch=3, ch_mult=tuple(c["ch_mult"]), num_res_blocks=2,
                      attn_resolutions=c["attn_resolutions"], dropout=0.0, in_channels=3,
                      resolution=256, z_channels=256, double_z=False)
    quant_conv = torch.nn.Conv2d(256, 256, 1)
    quantize = VectorQuantizer(c["n_embed"], c["embed_dim"], beta=0.25)
    detokenizer = VQGanDetokenizer()
    detokenizer.embedding.weight.data.copy_(quantize.embedding.weight.data)
    for module in (encoder, quant_conv, quantize, detokenizer):
        module.eval()
    return encoder, quant_conv, quantize, detokenizer


def flax_leaf(tensor, kind):
    array = tensor.detach().numpy().astype(np.float32)
    if kind == "kernel":
        array = np.ascontiguousarray(array.transpose(2, 3, 1, 0))  # OIHW -> HWIO
    payload = msgpack.packb((list(array.shape), "float32", array.tobytes("C")), use_bin_type=True)
    return msgpack.ExtType(1, payload)


def export(directory, encoder, quant_conv, quantize, detokenizer):
    tree = {}

    def put(name, tensor, kind):
        node = tree
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = flax_leaf(tensor, kind)

    def module_tree(prefix, module):
        for name, tensor in module.state_dict().items():
            path = name.split(".")
            # down.0.block.1 -> down_0.block_1 (vqgan-jax names list items with an underscore)
            merged = []
            for part in path:
                if part.isdigit() and merged:
                    merged[-1] += "_" + part
                else:
                    merged.append(part)
            leaf = merged[-1]
            owner = ".".join(merged[:-1])
            is_norm = any(owner.endswith(n) for n in ("norm1", "norm2", "norm", "norm_out"))
            if leaf == "weight":
                kind = "scale" if is_norm else "kernel"
            else:
                kind = "bias"
            put(f"{prefix}.{owner}.{kind}" if owner else f"{prefix}.{kind}", tensor, kind)

    module_tree("encoder", encoder)
    module_tree("quant_conv", quant_conv)
    put("quantize.embedding.embedding", quantize.embedding.weight, "embedding")
    module_tree("post_quant_conv", detokenizer.post_quant_conv)
    module_tree("decoder", detokenizer.decoder)
    # min-dalle names the decoder's level lists "up_i.block_j", as vqgan-jax does.
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "flax_model.msgpack"), "wb") as f:
        f.write(msgpack.packb(tree, use_bin_type=True))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(CONFIG, f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    encoder, quant_conv, quantize, detokenizer = build(args.seed)
    if args.export:
        export(args.export, encoder, quant_conv, quantize, detokenizer)
        return
    pixels = torch.rand(1, 3, 256, 256) * 2 - 1
    result = {"threads": torch.get_num_threads(), "torch": torch.__version__}
    with torch.no_grad():
        def encode():
            z = quant_conv(encoder(pixels))
            return quantize(z)[2][2].view(-1)

        codes = encode()
        detokenizer.forward(False, codes.view(1, -1))
        for name, run in (("encode", encode), ("decode", lambda: detokenizer.forward(False, codes.view(1, -1)))):
            start = time.perf_counter()
            for _ in range(args.images):
                run()
            result[f"{name}_images_per_s"] = args.images / (time.perf_counter() - start)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
