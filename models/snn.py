"""PyTorch forward passes that use exactly the discrete-time equations of docs/operators.md.

Every layer here is one spikeline operator: it knows its catalog kind, its parameters and its
weights, so the same object that trains is the one the exporter writes to topology YAML. Tensors
are time-major, [T, B, ...per-timestep shape], as in the HAL's multi-step mode. Spikes are float
0/1 with a surrogate gradient; the forward value is the exact Heaviside step `v > v_threshold`.

Run with Debian's interpreter (/usr/bin/python3, python3-torch, python3-numpy).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SpikeFn(torch.autograd.Function):
    """Heaviside(v - threshold) forward (strict >), arctan surrogate backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        alpha = 2.0
        return grad * (alpha / 2) / (1 + (math.pi / 2 * alpha * x).pow(2))


spike = SpikeFn.apply


# ---- fixed-point weight grid (hal/fixed_point.h): int8 values, one power-of-two shift ----------

def weight_shift(w):
    """The largest s in [0, 24] with max|w| * 2^s <= 127 (0 when all weights are zero)."""
    m = float(w.detach().abs().max()) if w.numel() else 0.0
    if m == 0.0:
        return 0
    s = 0
    while s < 24 and m * 2.0 ** (s + 1) <= 127.0:
        s += 1
    return s


def round_half_away(x):
    return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)


class FakeQuant(torch.autograd.Function):
    """w -> w_q * 2^-s with the HAL's rule; straight-through gradient."""

    @staticmethod
    def forward(ctx, w):
        s = weight_shift(w)
        q = torch.clamp(round_half_away(w.double() * 2.0 ** s), -127, 127)
        return (q * 2.0 ** -s).to(w.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Op(nn.Module):
    """One spikeline operator. `kind`, `params()` and `weights()` feed the exporter."""

    kind = ""
    quantize = False  # set by the trainer: forward with weights on the fixed-point grid

    def __init__(self, name, inputs=None):
        super().__init__()
        self.op_name = name
        self.inputs = inputs  # None: the previous operator; else a list of operator names

    def params(self):
        return {}

    def weights(self):
        return {}

    def w(self, t):
        return FakeQuant.apply(t) if Op.quantize else t


class EncodeDirect(Op):
    """encode_direct: a one-step input [B, ...] repeated over T; [T, B, ...] passes through."""

    kind = "encode_direct"

    def __init__(self, name, timesteps, sequence=False):
        super().__init__(name)
        self.timesteps, self.sequence = timesteps, sequence

    def forward(self, x):
        if self.sequence:  # the input already has T steps: [T, B, ...]
            return x
        return x.unsqueeze(0).expand(self.timesteps, *x.shape)


def _per_step(fn, x):
    t, b = x.shape[0], x.shape[1]
    y = fn(x.reshape(t * b, *x.shape[2:]))
    return y.reshape(t, b, *y.shape[1:])


def _weight_and_bias(op, module):
    """The weights of a conv2d or linear operator: `weight` (on the int8 grid when quantising)
    and `bias` when the layer has one."""
    w = {"weight": op.w(module.weight)}
    if module.bias is not None:
        w["bias"] = module.bias
    return w


class Conv2d(Op):
    kind = "conv2d"

    def __init__(self, name, cin, cout, k, stride=1, padding=0, bn=False):
        super().__init__(name)
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=True)
        self.bn = nn.BatchNorm2d(cout) if bn else None
        self.stride, self.padding = stride, padding

    def forward(self, x):
        def step(z):
            y = F.conv2d(z, self.w(self.conv.weight), self.conv.bias, self.stride, self.padding)
            return self.bn(y) if self.bn is not None else y
        return _per_step(step, x)

    @torch.no_grad()
    def fold_bn(self):
        """Folds batch norm into the convolution as the HAL does (in double, rounded once):
        k = gamma / sqrt(var + eps), W' = W k, b' = (b - mean) k + beta."""
        if self.bn is None:
            return
        bn = self.bn
        k = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        w = self.conv.weight.double() * k.view(-1, 1, 1, 1)
        b = (self.conv.bias.double() - bn.running_mean.double()) * k + bn.bias.double()
        self.conv.weight.copy_(w.float())
        self.conv.bias.copy_(b.float())
        self.bn = None

    def params(self):
        p = {}
        if self.stride != 1:
            p["stride"] = self.stride
        if self.padding != 0:
            p["padding"] = self.padding
        return p

    def weights(self):
        return _weight_and_bias(self, self.conv)


class Linear(Op):
    """linear: flattened input (in == numel) or per row (in == last dim), as nn.Linear."""

    kind = "linear"

    def __init__(self, name, fin, fout, bias=True, inputs=None):
        super().__init__(name, inputs)
        self.fc = nn.Linear(fin, fout, bias=bias)

    def forward(self, x):
        # As the catalog decides: the whole input when it has `in` values, else row by row.
        if x[0, 0].numel() == self.fc.in_features:
            x = x.reshape(x.shape[0], x.shape[1], -1)
        return F.linear(x, self.w(self.fc.weight), self.fc.bias)

    def weights(self):
        return _weight_and_bias(self, self.fc)


class Lif(Op):
    """lif: v += alpha * ((v_leak - v) + r * I); s = v > th; reset to v_reset or subtract."""

    kind = "lif"

    def __init__(self, name, tau=0.002, dt=0.001, v_threshold=1.0, reset="value", inputs=None):
        super().__init__(name, inputs)
        self.tau, self.dt, self.v_threshold, self.reset = tau, dt, v_threshold, reset
        self.alpha = float(torch.tensor(dt / tau, dtype=torch.float32))

    def forward(self, x):
        v = torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            v = v + self.alpha * (-v + x[t])
            s = spike(v - self.v_threshold)
            out.append(s)
            v = v - s * self.v_threshold if self.reset == "subtract" else v * (1.0 - s)
        return torch.stack(out)

    def params(self):
        p = {"tau": self.tau, "v_threshold": self.v_threshold}
        if self.dt != 0.001:
            p["dt"] = self.dt
        if self.reset != "value":
            p["reset"] = self.reset
        return p


class RecurrentLif(Lif):
    """recurrent_lif: as lif with I[t] = x[t] + W_rec s[t-1] (no term at t = 0)."""

    kind = "recurrent_lif"

    def __init__(self, name, n, **kw):
        super().__init__(name, **kw)
        self.rec = nn.Parameter(torch.empty(n, n))
        nn.init.uniform_(self.rec, -1.0 / math.sqrt(n), 1.0 / math.sqrt(n))

    def forward(self, x):
        w = self.w(self.rec)
        v = torch.zeros_like(x[0])
        s = torch.zeros_like(x[0])
        out = []
        for t in range(x.shape[0]):
            i = x[t] + F.linear(s, w) if t > 0 else x[t]
            v = v + self.alpha * (-v + i)
            s = spike(v - self.v_threshold)
            out.append(s)
            v = v - s * self.v_threshold if self.reset == "subtract" else v * (1.0 - s)
        return torch.stack(out)

    def weights(self):
        return {"recurrent": self.w(self.rec)}


class MaxPool2d(Op):
    kind = "maxpool2d"

    def __init__(self, name, k):
        super().__init__(name)
        self.k = k

    def forward(self, x):
        return _per_step(lambda z: F.max_pool2d(z, self.k), x)

    def params(self):
        return {"kernel": self.k}


class Flatten(Op):
    kind = "flatten"

    def forward(self, x):
        return x.reshape(x.shape[0], x.shape[1], -1)


class ToTokens(Op):
    """to_tokens: [C, H, W] -> [H*W, C]."""

    kind = "to_tokens"

    def forward(self, x):
        t, b, c = x.shape[0], x.shape[1], x.shape[2]
        return x.reshape(t, b, c, -1).transpose(2, 3)


class Add(Op):
    """add: a + b (spikes count 1.0)."""

    kind = "add"

    def forward(self, a, b):
        return a + b


class IAnd(Op):
    """iand: (NOT a) AND b, a the residual branch, b the shortcut (SEW-ResNet)."""

    kind = "iand"

    def forward(self, a, b):
        return (1.0 - a) * b


class SelfAttention(Op):
    """self_attention (Spikformer SSA): per head, (q k^T) v * scale; no softmax."""

    kind = "self_attention"

    def __init__(self, name, inputs, heads, scale):
        super().__init__(name, inputs)
        self.heads, self.scale = heads, scale
        self.scale_f = float(torch.tensor(scale, dtype=torch.float32))

    def forward(self, q, k, v):
        t, b, n, d = q.shape
        h = self.heads

        def split(z):
            return z.reshape(t, b, n, h, d // h).transpose(2, 3)  # [T,B,h,N,dh]

        qs, ks, vs = split(q), split(k), split(v)
        c = (qs @ ks.transpose(-1, -2)) @ vs  # exact integer counts
        return c.transpose(2, 3).reshape(t, b, n, d) * self.scale_f

    def params(self):
        return {"heads": self.heads, "scale": self.scale}


class GraphAggregate(Op):
    """graph_aggregate: y[v] = sum over edges (src -> v) of w_e x[src] (+ x[v] with self loops)."""

    kind = "graph_aggregate"

    def __init__(self, name, src, dst, nodes, self_loops=True):
        super().__init__(name)
        self.src, self.dst, self.nodes, self.self_loops = list(src), list(dst), nodes, self_loops
        self.edge_weight = nn.Parameter(torch.full((len(src),), 0.5))
        self.register_buffer("src_t", torch.tensor(self.src))
        self.register_buffer("dst_t", torch.tensor(self.dst))

    def forward(self, x):
        w = self.w(self.edge_weight)
        msg = x[:, :, self.src_t, :] * w.view(1, 1, -1, 1)
        y = torch.zeros_like(x).index_add(2, self.dst_t, msg)
        return y + x if self.self_loops else y

    def params(self):
        p = {"edge_src": self.src, "edge_dst": self.dst}
        if self.self_loops:
            p["self_loops"] = True
        return p

    def weights(self):
        return {"edge_weight": self.w(self.edge_weight)}


class ReadoutMembrane(Op):
    """readout membrane: v += alpha * (-v + x[t]) from 0; the last v is the output (class scores)."""

    kind = "readout"

    def __init__(self, name, tau=0.002, dt=0.001):
        super().__init__(name)
        self.tau, self.dt = tau, dt
        self.alpha = float(torch.tensor(dt / tau, dtype=torch.float32))

    def forward(self, x):
        v = torch.zeros_like(x[0])
        for t in range(x.shape[0]):
            v = v + self.alpha * (-v + x[t])
        return v

    def params(self):
        p = {"mode": "membrane", "tau": self.tau}
        if self.dt != 0.001:
            p["dt"] = self.dt
        return p


class Graph(nn.Module):
    """Operators in pipeline order; each reads the previous one or its named `inputs`."""

    def __init__(self, ops):
        super().__init__()
        self.ops = nn.ModuleList(ops)

    def forward(self, x, upto=None):
        values = {"input": x}
        prev = "input"
        for op in self.ops:
            names = op.inputs or [prev]
            values[op.op_name] = op(*[values[n] for n in names])
            prev = op.op_name
            if upto == op.op_name:
                break
        return values[prev]

    def names(self):
        return [op.op_name for op in self.ops]
