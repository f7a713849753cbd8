#!/usr/bin/python3
"""Trains a model family on Fashion-MNIST and exports it for spikeline.

Usage (Debian's interpreter, python3-torch, python3-numpy; data from dataset-fashion-mnist):
  /usr/bin/python3 models/train.py scnn [--epochs N] [--threads 2]
  /usr/bin/python3 models/train.py all
Writes topology/models/<file>.yaml (fixed) and <file>_f32.yaml (float32), <file>.safetensors,
and tests/models/data/<file>_reference.json (the float32 reference on the first 256 test images).
Seeded (torch.manual_seed(0)); the last epoch trains with weights on the HAL's int8 grid (QAT).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
import fmnist  # noqa: E402
import snn  # noqa: E402
import zoo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE_COUNT = 256


def to_input(fam, images):
    """uint8 [B, 28, 28] -> the model input: [B, 1, 28, 28] or, for a sequence, [T, B, 28]."""
    x = torch.from_numpy(images).float() / 255.0
    if fam.sequence:
        return x.reshape(x.shape[0], fam.timesteps, -1).transpose(0, 1).contiguous()
    return x.reshape(x.shape[0], *fam.input_shape)


def labels_for(fam, labels):
    y = torch.from_numpy(labels.astype(np.int64))
    return torch.tensor(fam.label_map)[y] if fam.label_map else y


def evaluate(fam, images, labels, batch=500):
    fam.graph.eval()
    correct, outs = 0, []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            out = fam.graph(to_input(fam, images[i:i + batch]))
            outs.append(out)
            correct += int((out.argmax(1) == labels_for(fam, labels[i:i + batch])).sum())
    return correct / len(images), torch.cat(outs)


def train(fam, data, epochs, log):
    images, labels = data["train"]
    params = [p for n, p in fam.graph.named_parameters()
              if not any(n.startswith(f"ops.{i}.") for i, op in enumerate(fam.graph.ops)
                         if op.op_name in fam.frozen)]
    opt = torch.optim.Adam(params, lr=fam.lr)
    steps_per_epoch = min(fam.samples, len(images)) // 128
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, fam.lr, total_steps=epochs * steps_per_epoch)
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        if epoch == epochs - 1 or snn.Op.quantize:
            fold_all(fam)  # batch norm folded before the QAT epoch, as the HAL folds it
            snn.Op.quantize = True
        fam.graph.train()
        for op in fam.graph.ops:
            if op.op_name in fam.frozen:
                op.eval()
        order = rng.permutation(len(images))
        t0, total = time.time(), 0.0
        for s in range(steps_per_epoch):
            idx = order[s * 128:(s + 1) * 128]
            out = fam.graph(to_input(fam, images[idx]))
            loss = F.cross_entropy(out, labels_for(fam, labels[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
        log(f"epoch {epoch + 1}/{epochs}{' (QAT)' if snn.Op.quantize else ''}: "
            f"loss {total / steps_per_epoch:.4f} in {time.time() - t0:.0f} s")


def fold_all(fam):
    for op in fam.graph.ops:
        if isinstance(op, snn.Conv2d):
            op.fold_bn()


def copy_weights(fam, source, ops, freeze):
    """Copies operators' weights from `source`'s exported safetensors (and freezes them)."""
    tensors = export.read_safetensors(os.path.join(ROOT, "topology/models", source + ".safetensors"))
    fold_all(fam)
    for op in fam.graph.ops:
        if op.op_name not in ops:
            continue
        for role, t in op.weights().items():
            t.data.copy_(torch.from_numpy(tensors[f"{op.op_name}.{role}"]))
        if freeze:
            op.requires_grad_(False)


def load_base(fam):
    copy_weights(fam, fam.base, fam.frozen, freeze=True)


def checkpoint_path(fam):
    return os.path.join(ROOT, "build/models", fam.file + ".pt")


def run_family(name, args, data):
    torch.manual_seed(0)
    snn.Op.quantize = False
    fam = zoo.FAMILIES[name]()
    log = lambda m: print(f"[{fam.model}] {m}", flush=True)  # noqa: E731
    if fam.base:
        load_base(fam)
    if fam.init_from:
        copy_weights(fam, fam.init_from, fam.init_ops, freeze=False)
        log(f"initialised {', '.join(fam.init_ops)} from {fam.init_from}")
    if args.resume:  # fine-tune a saved (folded) checkpoint; every epoch on the int8 grid
        fold_all(fam)
        fam.graph.load_state_dict(torch.load(checkpoint_path(fam), map_location="cpu"))
        snn.Op.quantize = True
        log(f"resumed from {os.path.relpath(checkpoint_path(fam), ROOT)}")
    if args.samples:
        fam.samples = args.samples
    if args.lr:
        fam.lr = args.lr
    t0 = time.time()
    train(fam, data, args.epochs or fam.epochs, log)
    fold_all(fam)
    snn.Op.quantize = True  # export and evaluate exactly the grid-aligned weights
    images, labels = data["test"]
    acc, outs = evaluate(fam, images, labels)
    log(f"trained in {time.time() - t0:.0f} s; float32 test accuracy {acc * 100:.2f}%")
    files = export.write_family(fam, ROOT)
    if name in zoo.GRANULARITY:
        files += export.write_variants(fam, ROOT)
    ckpt = checkpoint_path(fam)
    os.makedirs(os.path.dirname(ckpt), exist_ok=True)
    torch.save(fam.graph.state_dict(), ckpt)  # for models/export.py --checkpoint; not committed
    ref = {"model": fam.model + "-f32", "file": fam.file + "_f32.yaml",
           "source": "models/train.py (PyTorch forward of the exported float32 weights)",
           "test_accuracy": acc, "label_map": fam.label_map,
           "indices": list(range(REFERENCE_COUNT)),
           "predictions": outs[:REFERENCE_COUNT].argmax(1).tolist(),
           "readout": [[float(v) for v in row] for row in outs[:REFERENCE_COUNT]]}
    path = os.path.join(ROOT, "tests/models/data", fam.file + "_reference.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(ref, f, indent=1)
    log("wrote " + ", ".join(files + [os.path.relpath(path, ROOT)]))
    return acc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("family", help="all, or families separated by commas: " + ", ".join(zoo.FAMILIES))
    ap.add_argument("--epochs", type=int, default=0, help="default: the family's")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true",
                    help="fine-tune build/models/<file>.pt instead of starting from scratch")
    ap.add_argument("--samples", type=int, default=0, help="training images per epoch")
    ap.add_argument("--lr", type=float, default=0.0, help="peak learning rate")
    ap.add_argument("--data", default=fmnist.DEFAULT_DIR)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = {"train": fmnist.load(args.data, "train"), "test": fmnist.load(args.data, "t10k")}
    names = list(zoo.FAMILIES) if args.family == "all" else args.family.split(",")
    for n in names:
        run_family(n, args, data)


if __name__ == "__main__":
    main()
