"""The shipped model families: architecture, stages and task of each, as spikeline operators.

A family is a function returning a Family: the operator graph (models/snn.py), the pipeline
stages with their placement, and what the model is trained on. The exporter writes the same
objects to topology YAML, so the trained network and the served one cannot drift apart.
"""
from dataclasses import dataclass, field

import snn

# Fashion-MNIST's 10 classes grouped in 3: clothing (0 T-shirt, 1 Trouser, 2 Pullover, 3 Dress,
# 4 Coat, 6 Shirt), footwear (5 Sandal, 7 Sneaker, 9 Ankle boot), bags (8 Bag).
GROUP3 = [0, 0, 0, 0, 0, 1, 0, 1, 2, 1]


@dataclass
class Family:
    file: str            # file stem: topology/models/<file>.yaml (fixed), <file>_f32.yaml
    model: str           # model name (the float32 variant adds "-f32")
    description: str
    graph: snn.Graph
    timesteps: int
    input_shape: list
    stages: list         # [(name, [operator names], placement for fixed, placement for float32)]
    sequence: bool = False   # input is one image row per timestep ([T, 28])
    label_map: list = None   # maps Fashion-MNIST labels to this task's classes
    frozen: list = field(default_factory=list)  # operators taken from `base` (shared, not trained)
    base: str = None     # the family whose trained weights the frozen operators reuse
    init_from: str = None  # a family whose trained weights initialise `init_ops` (fine-tuned)
    init_ops: list = field(default_factory=list)
    epochs: int = 3
    samples: int = 60000  # training images drawn per epoch (a random subset when < 60000)
    lr: float = 2e-3


CHIP = {"backends": ["chip", "cuda", "cpu"], "replicas": 1, "fallback": True}
GPU = {"backends": ["cuda", "cpu"], "replicas": 1, "fallback": True}


CPU = {"backends": ["cpu"], "replicas": 1, "fallback": False}
# The SCNN's features pool: two chip replicas and a warm standby (the failover tests use it).
CHIP_HA = {"backends": ["chip", "cuda", "cpu"], "replicas": 2, "standby": 1, "fallback": True}


def _stages(groups, chip_stages=(), fixed=None):
    """[(stage, ops)] -> stage tuples; stages named in chip_stages prefer the chip when fixed;
    `fixed` maps a stage to another placement in the fixed model."""
    fixed = fixed or {}
    def default(name):
        return CPU if name == "encoder" else CHIP if name in chip_stages else GPU
    return [(name, ops, fixed.get(name, default(name)), CPU if name == "encoder" else GPU)
            for name, ops in groups]


def scnn_features(t, bn=True):
    # Pooling before the neurons (on the synaptic current) keeps the LIF layers 4x smaller.
    return [
        snn.EncodeDirect("encode", t),
        snn.Conv2d("conv1", 1, 12, 3, padding=1, bn=bn),     # [12, 28, 28]
        snn.MaxPool2d("pool1", 2),                            # [12, 14, 14]
        snn.Lif("lif1"),
        snn.Conv2d("conv2", 12, 24, 3, padding=1, bn=bn),    # [24, 14, 14]
        snn.MaxPool2d("pool2", 2),                            # [24, 7, 7]
        snn.Lif("lif2"),
    ]


SCNN_STAGES = [("encoder", ["encode"]),
               ("features", ["conv1", "pool1", "lif1", "conv2", "pool2", "lif2"]),
               ("classifier", ["flatten", "fc", "readout"])]


def scnn():
    t = 4
    ops = scnn_features(t) + [snn.Flatten("flatten"), snn.Linear("fc", 24 * 49, 10),
                              snn.ReadoutMembrane("readout")]
    return Family("fmnist_scnn", "fmnist-scnn", "spiking CNN, 2 conv blocks",
                  snn.Graph(ops), t, [1, 28, 28],
                  _stages(SCNN_STAGES, fixed={"encoder": CPU, "features": CHIP_HA}), epochs=2,
                  samples=40000)


def group3():
    t = 4
    ops = scnn_features(t) + [snn.Flatten("flatten"), snn.Linear("fc3", 24 * 49, 3),
                              snn.ReadoutMembrane("readout")]
    stages = [("encoder", ["encode"]), SCNN_STAGES[1], ("classifier", ["flatten", "fc3", "readout"])]
    return Family("fmnist_group3", "fmnist-group3",
                  "clothing / footwear / bags on the SCNN's frozen encoder and features",
                  snn.Graph(ops), t, [1, 28, 28],
                  _stages(stages, fixed={"encoder": CPU, "features": CHIP_HA}),
                  label_map=GROUP3, base="fmnist_scnn",
                  frozen=["encode", "conv1", "pool1", "lif1", "conv2", "pool2", "lif2"], epochs=1,
                  samples=20000)


def vgg():
    t = 4
    ops = [snn.EncodeDirect("encode", t),
           snn.Conv2d("conv1_1", 1, 16, 3, padding=1, bn=True),
           snn.MaxPool2d("pool1", 2), snn.Lif("lif1_1"),                # [16, 14, 14]
           snn.Conv2d("conv1_2", 16, 16, 3, padding=1, bn=True), snn.Lif("lif1_2"),
           snn.Conv2d("conv2_1", 16, 32, 3, padding=1, bn=True),
           snn.MaxPool2d("pool2", 2), snn.Lif("lif2_1"),                # [32, 7, 7]
           snn.Conv2d("conv2_2", 32, 32, 3, padding=1, bn=True), snn.Lif("lif2_2"),
           snn.Flatten("flatten"), snn.Linear("fc1", 32 * 49, 64), snn.Lif("lif_fc1"),
           snn.Linear("fc2", 64, 10), snn.ReadoutMembrane("readout")]
    groups = [("encoder", ["encode"]),
              ("block1", ["conv1_1", "pool1", "lif1_1", "conv1_2", "lif1_2"]),
              ("block2", ["conv2_1", "pool2", "lif2_1", "conv2_2", "lif2_2"]),
              ("classifier", ["flatten", "fc1", "lif_fc1", "fc2", "readout"])]
    return Family("fmnist_vgg", "fmnist-vgg", "spiking VGG: 2 blocks of 2 3x3 conv layers, 2 FC",
                  snn.Graph(ops), t, [1, 28, 28], _stages(groups, ["block1", "block2"]), epochs=2,
                  samples=20000)


def sew_resnet():
    t = 4
    ops = [snn.EncodeDirect("encode", t),
           snn.Conv2d("stem", 1, 8, 3, padding=1, bn=True),
           snn.MaxPool2d("stem_pool", 2), snn.Lif("stem_lif"),          # [8, 14, 14] spikes
           # block 1: SEW with IAND (spikes out)
           snn.Conv2d("b1_conv1", 8, 8, 3, padding=1, bn=True), snn.Lif("b1_lif1"),
           snn.Conv2d("b1_conv2", 8, 8, 3, padding=1, bn=True), snn.Lif("b1_lif2"),
           snn.IAnd("b1_iand", inputs=["b1_lif2", "stem_lif"]),
           # block 2: SEW with ADD (dense out: 0, 1 or 2)
           snn.Conv2d("b2_conv1", 8, 8, 3, padding=1, bn=True), snn.Lif("b2_lif1"),
           snn.Conv2d("b2_conv2", 8, 8, 3, padding=1, bn=True), snn.Lif("b2_lif2"),
           snn.Add("b2_add", inputs=["b2_lif2", "b1_iand"]),
           snn.MaxPool2d("pool", 2),                                    # [8, 7, 7]
           snn.Flatten("flatten"), snn.Linear("fc", 8 * 49, 10), snn.ReadoutMembrane("readout")]
    groups = [("encoder", ["encode"]),
              ("stem", ["stem", "stem_pool", "stem_lif"]),
              ("block1", ["b1_conv1", "b1_lif1", "b1_conv2", "b1_lif2", "b1_iand"]),
              ("block2", ["b2_conv1", "b2_lif1", "b2_conv2", "b2_lif2", "b2_add"]),
              ("classifier", ["pool", "flatten", "fc", "readout"])]
    return Family("fmnist_sew_resnet", "fmnist-sew-resnet",
                  "SEW-ResNet: stem, an IAND block and an ADD block",
                  snn.Graph(ops), t, [1, 28, 28],
                  _stages(groups, ["stem", "block1", "block2"]), epochs=2,
                  samples=20000)


def spikformer():
    t, d = 4, 24
    # Transformer neurons fire at 0.5: a residual sum of ~1 (a token spike) must be able to fire.
    # Spiking patch splitting (SPS): a conv stack (the SCNN's shape, initialised from its trained
    # weights and fine-tuned, so not shared) gives 7 x 7 patches of 24 channels = 49 tokens.
    ops = scnn_features(t, bn=False) + [
           snn.ToTokens("tokens"),                                       # [49, 24] spikes
           snn.Linear("q", d, d, inputs=["tokens"]), snn.Lif("q_lif", v_threshold=0.5),
           snn.Linear("k", d, d, inputs=["tokens"]), snn.Lif("k_lif", v_threshold=0.5),
           snn.Linear("v", d, d, inputs=["tokens"]), snn.Lif("v_lif", v_threshold=0.5),
           snn.SelfAttention("ssa", ["q_lif", "k_lif", "v_lif"], heads=2, scale=0.125),
           snn.Lif("ssa_lif", v_threshold=0.5),
           snn.Linear("proj", d, d),
           snn.Add("res1", inputs=["proj", "tokens"]), snn.Lif("res1_lif", v_threshold=0.5),
           snn.Linear("mlp1", d, 2 * d), snn.Lif("mlp1_lif", v_threshold=0.5),
           snn.Linear("mlp2", 2 * d, d),
           snn.Add("res2", inputs=["mlp2", "res1_lif"]), snn.Lif("res2_lif", v_threshold=0.5),
           snn.Flatten("flatten"), snn.Linear("head", 49 * d, 10),
           snn.ReadoutMembrane("readout")]
    groups = [("encoder", ["encode"]),
              ("sps", ["conv1", "pool1", "lif1", "conv2", "pool2", "lif2", "tokens"]),
              ("attention", ["q", "q_lif", "k", "k_lif", "v", "v_lif", "ssa", "ssa_lif", "proj",
                             "res1", "res1_lif"]),
              ("mlp", ["mlp1", "mlp1_lif", "mlp2", "res2", "res2_lif"]),
              ("head", ["flatten", "head", "readout"])]
    return Family("fmnist_spikformer", "fmnist-spikformer",
                  "Spikformer-style: conv patch splitting, one spiking self-attention block, MLP",
                  snn.Graph(ops), t, [1, 28, 28], _stages(groups, ["sps"]),
                  epochs=2, samples=30000, lr=1e-3, init_from="fmnist_scnn",
                  init_ops=["conv1", "conv2"])


def srnn():
    # Sequential Fashion-MNIST: the image read top to bottom, one strip of 4 rows (112 pixels)
    # per timestep (T = 7); the network sees the image only through its recurrent state.
    t = 7
    ops = [snn.EncodeDirect("encode", t, sequence=True),
           snn.Linear("fc_in", 112, 128), snn.RecurrentLif("rlif", 128, tau=0.005),
           # a slow readout (alpha = 1/7) averages the class evidence over the whole sequence
           snn.Linear("fc_out", 128, 10), snn.ReadoutMembrane("readout", tau=0.007)]
    groups = [("encoder", ["encode"]), ("recurrent", ["fc_in", "rlif"]),
              ("classifier", ["fc_out", "readout"])]
    return Family("fmnist_srnn", "fmnist-srnn",
                  "spiking RNN: one 4-row strip of the image per timestep (T = 7), "
                  "128 recurrent LIF neurons",
                  snn.Graph(ops), t, [112], _stages(groups, ["recurrent"]), sequence=True,
                  epochs=4, samples=60000, lr=5e-3)


def grid_edges(n):
    """4-neighbour edges of an n x n grid of nodes (node = row * n + col), both directions."""
    src, dst = [], []
    for r in range(n):
        for c in range(n):
            v = r * n + c
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < n and 0 <= cc < n:
                    src.append(rr * n + cc)
                    dst.append(v)
    return src, dst


def sgnn():
    t, f = 4, 16
    src, dst = grid_edges(7)
    ops = [snn.EncodeDirect("encode", t),
           # nodes: the 7 x 7 grid of 4x4-pixel patches; features: a shared patch encoder
           snn.Conv2d("patch", 1, f, 4, stride=4, bn=True), snn.Lif("patch_lif"),
           snn.ToTokens("nodes"),                                        # [49, 16] spikes
           snn.GraphAggregate("agg1", src, dst, 49), snn.Linear("gc1", f, 32), snn.Lif("gc1_lif"),
           snn.GraphAggregate("agg2", src, dst, 49), snn.Linear("gc2", 32, 32), snn.Lif("gc2_lif"),
           snn.Flatten("flatten"), snn.Linear("head", 49 * 32, 10),
           snn.ReadoutMembrane("readout")]
    groups = [("encoder", ["encode"]), ("nodes", ["patch", "patch_lif", "nodes"]),
              ("gcn", ["agg1", "gc1", "gc1_lif", "agg2", "gc2", "gc2_lif"]),
              ("head", ["flatten", "head", "readout"])]
    return Family("fmnist_sgnn", "fmnist-sgnn",
                  "spiking GNN: 7x7 patch grid graph, 4-neighbour edges, 2 graph conv layers",
                  snn.Graph(ops), t, [1, 28, 28], _stages(groups, ["nodes", "gcn"]), epochs=3,
                  samples=40000, lr=3e-3)


def variants(fam):
    """Other stage splits of the same operators, for the granularity test: (path, model, groups).

    One stage (monolith) and the finest legal split: one operator per stage, except that a
    residual block stays whole (a stage boundary carries exactly one tensor)."""
    ops = fam.graph.names()
    out = [("topology/models/%s_monolith.yaml" % fam.file, fam.model + "-monolith",
            [("model", ops)])]
    blocks = {"fmnist_sew_resnet": ["block1", "block2"]}.get(fam.file, [])
    finest = []
    for stage, stage_ops, _, _ in fam.stages:
        finest += [(stage, stage_ops)] if stage in blocks else [(o, [o]) for o in stage_ops]
    out.append(("tests/models/data/%s_finest.yaml" % fam.file, fam.model + "-finest", finest))
    return out


GRANULARITY = ["scnn", "sew_resnet"]  # families whose variants are written and tested

FAMILIES = {f.__name__: f for f in (scnn, group3, vgg, sew_resnet, spikformer, srnn, sgnn)}
