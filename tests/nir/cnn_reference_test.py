#!/usr/bin/python3
"""A CNN written as a NIR file with h5py, imported and run by spikeline, against NumPy.

The network: Input [2, 16, 16] events -> Conv2d(2->4, 3x3, padding 1) -> IF -> SumPool2d(2) ->
IF -> Flatten -> Affine(256 -> 10) -> IF -> Output. NIR's layout is written by hand following
docs/nir.md (the NIR reference library is not packaged for Debian). The reference forward pass is
the same equations in NumPy (float64): forward Euler IF v += dt * r * I with dt = 1, r = 1,
spike when v > v_threshold, reset to v_reset. Weights are multiples of 1/8 and inputs are 0/1,
so every sum is exact in float32 and in spikeline's fixed point: the output spike counts must be
identical, in float32 on the CPU and in fixed on the CPU and the emulated chip.

It also times `spikeline import-nir` on a ~300 KB file (a 280 x 280 Linear + LIF) and prints it.

Usage: cnn_reference_test.py PATH/TO/spikeline     (exit 77: h5py or numpy missing, skipped)
"""
import os
import subprocess
import sys
import tempfile
import time

try:
    import h5py
    import numpy as np
except ImportError as e:  # Debian's python3-h5py / python3-numpy (scripts/setup.sh installs them)
    print(f"skipped: {e}")
    sys.exit(77)

RNG = np.random.default_rng(7)
N, T, C, H, W = 16, 20, 2, 16, 16


def dyadic(shape, scale):
    """Random weights that are multiples of 1/8 in [-scale, scale]."""
    return (RNG.integers(-int(scale * 8), int(scale * 8) + 1, size=shape) / 8.0).astype(np.float32)


def write_node(group, name, type_, **params):
    n = group.create_group(name)
    n.create_dataset("type", data=type_)
    for k, v in params.items():
        n.create_dataset(k, data=v)


def write_graph(path, nodes, edges):
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.0")
        g = f.create_group("node")
        g.create_dataset("type", data="NIRGraph")
        g.create_dataset("edges", data=np.array(edges, dtype=object), dtype=h5py.string_dtype())
        nodes_group = g.create_group("nodes")
        for name, (type_, params) in nodes.items():
            write_node(nodes_group, name, type_, **params)


def if_params(n, threshold):
    return dict(r=np.ones(n), v_threshold=np.full(n, threshold), v_reset=np.zeros(n))


conv_w = dyadic((4, C, 3, 3), 1.0)
conv_b = dyadic((4,), 0.25)
fc_w = dyadic((10, 4 * 8 * 8), 0.5)
fc_b = dyadic((10,), 0.25)


def write_cnn(path):
    nodes = {
        "input": ("Input", dict(shape=np.array([C, H, W]))),
        "conv": ("Conv2d", dict(weight=conv_w, bias=conv_b, stride=np.array([1, 1]),
                                padding=np.array([1, 1]), dilation=np.array([1, 1]),
                                groups=1, input_shape=np.array([H, W]))),
        "if1": ("IF", if_params(4 * H * W, 1.0)),
        "pool": ("SumPool2d", dict(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                   padding=np.array([0, 0]))),
        "if2": ("IF", if_params(4 * 8 * 8, 0.5)),
        "flat": ("Flatten", dict(start_dim=0, end_dim=-1, input_type=np.array([4, 8, 8]))),
        "fc": ("Affine", dict(weight=fc_w, bias=fc_b)),
        "if3": ("IF", if_params(10, 1.0)),
        "output": ("Output", dict(shape=np.array([10]))),
    }
    chain = ["input", "conv", "if1", "pool", "if2", "flat", "fc", "if3", "output"]
    write_graph(path, nodes, [[a, b] for a, b in zip(chain, chain[1:])])


def conv2d(x, w, b):
    """PyTorch's Conv2d (cross-correlation), padding 1, stride 1, in float64."""
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((w.shape[0], H, W))
    for o in range(w.shape[0]):
        for c in range(C):
            for ky in range(3):
                for kx in range(3):
                    out[o] += w[o, c, ky, kx] * xp[c, ky:ky + H, kx:kx + W]
        out[o] += b[o]
    return out


def if_step(v, current, threshold):
    v = v + 1.0 * 1.0 * current  # dt * r * I
    s = v > threshold
    v = np.where(s, 0.0, v)
    return v, s.astype(np.float64)


def reference(x):
    counts = np.zeros((N, 10), dtype=np.int64)
    for n in range(N):
        v1, v2, v3 = np.zeros((4, H, W)), np.zeros((4, 8, 8)), np.zeros(10)
        for t in range(T):
            v1, s1 = if_step(v1, conv2d(x[n, t].astype(np.float64), conv_w.astype(np.float64),
                                        conv_b.astype(np.float64)), 1.0)
            pooled = s1.reshape(4, 8, 2, 8, 2).sum(axis=(2, 4))
            v2, s2 = if_step(v2, pooled, 0.5)
            current = fc_w.astype(np.float64) @ s2.reshape(-1) + fc_b.astype(np.float64)
            v3, s3 = if_step(v3, current, 1.0)
            counts[n] += s3.astype(np.int64)
    return counts


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(" ".join(cmd))
        print(r.stdout, r.stderr)
        sys.exit(1)
    return r.stdout


def main(spikeline):
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        write_cnn(f"{d}/cnn.nir")
        x = RNG.random((N, T, C, H, W)) < 0.08
        np.save(f"{d}/x.npy", x)
        want = reference(x)
        assert want.sum() > 0, "the reference network never spiked: the test would be vacuous"
        for precision, backend in [("float32", "cpu"), ("fixed", "cpu"), ("fixed", "chip")]:
            out = f"{d}/{precision}"
            run([spikeline, "import-nir", f"{d}/cnn.nir", "--dt", "1", "--precision", precision,
                 "--timesteps", str(T), "--out", out])
            run([spikeline, "run", f"{out}/cnn.yaml", "--input", f"{d}/x.npy", "--output",
                 f"{d}/y.npy", "--backend", backend, "--quiet"])
            y = np.load(f"{d}/y.npy")
            assert y.shape == (N, T, 10), y.shape
            got = y.sum(axis=1).astype(np.int64)
            same = np.array_equal(got, want)
            print(f"{precision} on {backend}: output spike counts "
                  f"{'identical to' if same else 'DIFFER from'} NumPy "
                  f"({int(want.sum())} spikes over {N} samples)")
            if not same:
                print("numpy:\n", want, "\nspikeline:\n", got)
                failures += 1

        # Import time of a ~300 KB file.
        big_w = RNG.standard_normal((280, 280)).astype(np.float32)
        nodes = {"input": ("Input", dict(shape=np.array([280]))),
                 "fc": ("Linear", dict(weight=big_w)),
                 "lif": ("LIF", dict(tau=np.full(280, 1e-3), r=np.ones(280),
                                     v_leak=np.zeros(280), v_threshold=np.ones(280))),
                 "output": ("Output", dict(shape=np.array([280])))}
        write_graph(f"{d}/big.nir", nodes, [["input", "fc"], ["fc", "lif"], ["lif", "output"]])
        size_kb = os.path.getsize(f"{d}/big.nir") / 1024
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            run([spikeline, "import-nir", f"{d}/big.nir", "--dt", "1e-4", "--out", f"{d}/big"])
            times.append(time.perf_counter() - t0)
        print(f"import-nir of a {size_kb:.0f} KB file: median {sorted(times)[2] * 1000:.0f} ms "
              f"wall (process start to validated files, 5 runs)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
