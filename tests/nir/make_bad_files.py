#!/usr/bin/python3
"""Writes the malformed NIR fixtures of tests/nir/data/bad_*.nir (committed; re-run to refresh).

Each file is a small valid HDF5 file in the NIR layout (see docs/nir.md) with exactly one thing
wrong, named by the file. Needs Debian's python3-h5py and python3-numpy:
    /usr/bin/python3 tests/nir/make_bad_files.py tests/nir/data
"""
import sys

import h5py
import numpy as np


def node(g, name, type_, **params):
    n = g.create_group(name)
    n.create_dataset("type", data=type_)
    for k, v in params.items():
        n.create_dataset(k, data=v)
    return n


def graph(path, nodes, edges, version="1.0.0"):
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data=version)
        g = f.create_group("node")
        g.create_dataset("type", data="NIRGraph")
        g.create_dataset("edges", data=np.array(edges, dtype=object), dtype=h5py.string_dtype())
        ns = g.create_group("nodes")
        for name, (type_, params) in nodes.items():
            node(ns, name, type_, **params)


def lif(n, tau=1e-3):
    return ("LIF", dict(tau=np.full(n, tau), r=np.ones(n), v_leak=np.zeros(n),
                        v_threshold=np.ones(n), v_reset=np.zeros(n)))


def chain(out_dir, name, middle, edges=None, version="1.0.0"):
    nodes = {"input": ("Input", dict(shape=np.array([3]))),
             "output": ("Output", dict(shape=np.array([4])))}
    nodes.update(middle)
    if edges is None:
        edges = [["input", "fc"], ["fc", "lif"], ["lif", "output"]]
    graph(f"{out_dir}/{name}.nir", nodes, edges, version)


def main(out_dir):
    w = np.ones((4, 3), dtype=np.float32)
    chain(out_dir, "bad_edge_missing", {"fc": ("Linear", dict(weight=w)), "lif": lif(4)},
          [["input", "fc"], ["fc", "lif9"], ["lif", "output"]])
    chain(out_dir, "bad_weight_chain",
          {"fc": ("Linear", dict(weight=np.ones((4, 5), dtype=np.float32))), "lif": lif(4)})
    chain(out_dir, "bad_tau_negative", {"fc": ("Linear", dict(weight=w)), "lif": lif(4, -1e-3)})
    chain(out_dir, "bad_unknown_type", {"fc": ("Linear", dict(weight=w)), "lif": ("Foo", {})})
    chain(out_dir, "bad_version", {"fc": ("Linear", dict(weight=w)), "lif": lif(4)},
          version="2.0.0")
    varied = lif(4)
    varied[1]["tau"] = np.array([1e-3, 2e-3, 1e-3, 1e-3])
    chain(out_dir, "bad_tau_varies", {"fc": ("Linear", dict(weight=w)), "lif": varied})
    # A cycle that is not a neuron's own recurrence: lif -> fc2 -> lif2 -> fc3 -> lif.
    sq = np.ones((4, 4), dtype=np.float32)
    chain(out_dir, "bad_cycle",
          {"fc": ("Linear", dict(weight=w)), "lif": lif(4), "fc2": ("Linear", dict(weight=sq)),
           "lif2": lif(4), "fc3": ("Linear", dict(weight=sq))},
          [["input", "fc"], ["fc", "lif"], ["lif", "fc2"], ["fc2", "lif2"], ["lif2", "fc3"],
           ["fc3", "lif"], ["lif", "output"]])
    with open(f"{out_dir}/not_hdf5.nir", "w") as f:
        f.write("this is a CSV file, not HDF5\n1,2,3\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/nir/data")
