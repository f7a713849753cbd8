#!/usr/bin/python3
"""Writes a trained family as spikeline files: safetensors weights and topology YAML.

As a library (models/train.py calls write_family). As a command, re-exports a saved checkpoint:
  /usr/bin/python3 models/export.py scnn --checkpoint build/models/fmnist_scnn.pt [--out DIR]
A checkpoint that does not match the family's architecture is refused with a message naming the
tensor (missing, unexpected, or of another shape); nothing is written then.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FRAC_BITS = 12  # calibrated: docs/models.md


# ---- safetensors (https://github.com/huggingface/safetensors: 8-byte LE header length, JSON
# header {name: {dtype, shape, data_offsets}}, then the raw little-endian data) -----------------

def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        if h["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name}: dtype {h['dtype']}, this reader takes F32")
        b, e = h["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(h["shape"]).copy()
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- topology YAML ------------------------------------------------------------------------------

def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    return str(v)


def _flow(d):
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in d.items()) + "}"


def family_tensors(fam):
    """{"op.role": float32 array} of the operators this family's own file holds."""
    out = {}
    for op in fam.graph.ops:
        if op.op_name in fam.frozen:
            continue
        for role, t in op.weights().items():
            out[f"{op.op_name}.{role}"] = t.detach().cpu().numpy().astype(np.float32)
    return out


def topology_yaml(fam, precision, weight_files, model=None, stages=None):
    """weight_files: [(id, path, sha256)]; the first is the family's own file. `model` and
    `stages` ([(name, ops)], placed on cpu) override the family's for a granularity variant."""
    name = model or fam.model
    name = name if precision == "fixed" else name + "-f32"
    lines = [f"# {fam.description}.",
             "# Trained on Fashion-MNIST by models/train.py; written by models/export.py. Do not edit:",
             "# re-run the trainer (docs/models.md).",
             "spikeline: 1",
             "model:",
             f"  name: {name}",
             "  version: 1",
             f"timesteps: {fam.timesteps}",
             "input:",
             f"  shape: {_scalar(fam.input_shape)}"
             + ("      # one image row per timestep: the client sends [T, 28]" if fam.sequence else ""),
             "  encoding: dense         # pixel intensities in [0, 1]",
             f"precision: {precision}"]
    if precision == "fixed":
        lines.append(f"frac_bits: {FRAC_BITS}")
    lines.append("weight_files:")
    for wid, path, digest in weight_files:
        lines += [f"  {wid}:", f"    path: {path}", f"    sha256: {digest}"]
    lines += ["", "operators:"]
    own = weight_files[0][0]
    base = weight_files[1][0] if len(weight_files) > 1 else own
    prev = "input"
    for op in fam.graph.ops:
        lines.append(f"  - name: {op.op_name}")
        lines.append(f"    kind: {op.kind}")
        params = op.params()
        if params:
            lines.append(f"    params: {_flow(params)}")
        weights = op.weights()
        if weights:
            lines.append("    weights:")
            file_id = base if op.op_name in fam.frozen else own
            for role in weights:
                lines.append(f"      {role}: {{file: {file_id}, tensor: {op.op_name}.{role}}}")
        if op.inputs and op.inputs != [prev]:
            lines.append(f"    inputs: {_scalar(op.inputs)}")
        prev = op.op_name
    lines += ["", "stages:"]
    cpu = {"backends": ["cpu"], "replicas": 1, "fallback": False}
    for stage, ops, place_fixed, place_f32 in fam.stages if stages is None else \
            [(n, o, cpu, cpu) for n, o in stages]:
        place = place_fixed if precision == "fixed" else place_f32
        standby = f", standby: {place['standby']}" if place.get("standby") else ""
        lines += [f"  - name: {stage}", f"    operators: {_scalar(ops)}",
                  f"    placement: {{backends: {_scalar(place['backends'])}, "
                  f"replicas: {place['replicas']}{standby}, "
                  f"fallback: {_scalar(place['fallback'])}}}"]
    return "\n".join(lines) + "\n"


def write_family(fam, root, out_dir=None):
    """Writes <file>.safetensors, <file>.yaml (fixed) and <file>_f32.yaml; returns their paths."""
    out_dir = out_dir or os.path.join(root, "topology/models")
    os.makedirs(out_dir, exist_ok=True)
    st = os.path.join(out_dir, fam.file + ".safetensors")
    write_safetensors(st, family_tensors(fam))
    files = [("main", os.path.basename(st), sha256(st))]
    if fam.base:
        base = os.path.join(out_dir, fam.base + ".safetensors")
        files.append(("base", os.path.basename(base), sha256(base)))
    written = [st]
    for precision, suffix in (("fixed", ""), ("float32", "_f32")):
        path = os.path.join(out_dir, fam.file + suffix + ".yaml")
        with open(path, "w") as f:
            f.write(topology_yaml(fam, precision, files))
        written.append(path)
    return [os.path.relpath(p, root) for p in written]


def write_variants(fam, root):
    """Writes the granularity variants of zoo.variants (fixed precision); returns their paths."""
    import zoo
    st = os.path.join(root, "topology/models", fam.file + ".safetensors")
    written = []
    for rel, model, groups in zoo.variants(fam):
        path = os.path.join(root, rel)
        weights = os.path.relpath(st, os.path.dirname(path))
        files = [("main", weights, sha256(st))]
        with open(path, "w") as f:
            f.write(topology_yaml(fam, "fixed", files, model=model, stages=groups))
        written.append(rel)
    return written


# ---- checkpoint -> files ------------------------------------------------------------------------

def check_checkpoint(fam, state):
    """Raises ValueError naming the first tensor where `state` does not fit the family."""
    want = fam.graph.state_dict()
    for name, t in want.items():
        if name not in state:
            raise ValueError(f"checkpoint does not match {fam.model}: tensor '{name}' is missing "
                             f"(expected shape {list(t.shape)})")
        if tuple(state[name].shape) != tuple(t.shape):
            raise ValueError(f"checkpoint does not match {fam.model}: tensor '{name}' has shape "
                             f"{list(state[name].shape)}, the architecture needs {list(t.shape)}")
    for name in state:
        if name not in want:
            raise ValueError(f"checkpoint does not match {fam.model}: unexpected tensor '{name}'")


def main():
    import torch
    import snn
    import zoo
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("family", choices=list(zoo.FAMILIES))
    ap.add_argument("--checkpoint", help="a state_dict saved by models/train.py")
    ap.add_argument("--variants", action="store_true",
                    help="only (re)write the granularity variants of the exported family")
    ap.add_argument("--out", default=None, help="default: topology/models")
    args = ap.parse_args()
    fam = zoo.FAMILIES[args.family]()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args.variants:
        for path in write_variants(fam, root):
            print("wrote", path)
        return 0
    if not args.checkpoint:
        ap.error("--checkpoint is required")
    for op in fam.graph.ops:  # checkpoints are saved after batch norm is folded
        if isinstance(op, snn.Conv2d):
            op.bn = None
    state = torch.load(args.checkpoint, map_location="cpu")
    try:
        check_checkpoint(fam, state)
    except ValueError as e:
        print(f"export: {args.checkpoint}: {e}", file=sys.stderr)
        return 1
    fam.graph.load_state_dict(state)
    snn.Op.quantize = True
    for path in write_family(fam, root, args.out):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
