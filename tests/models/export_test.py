#!/usr/bin/python3
"""models/export.py against checkpoints that do not fit (needs python3-torch; exits 77, which
ctest reports as skipped, when torch is missing) and the safetensors writer's round trip."""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))

try:
    import torch
except ImportError:
    print("SKIP: python3-torch is not installed (apt-get install python3-torch)")
    sys.exit(77)

import export  # noqa: E402
import zoo  # noqa: E402


def run_export(family, checkpoint, out):
    return subprocess.run([sys.executable, os.path.join(ROOT, "models/export.py"), family,
                           "--checkpoint", checkpoint, "--out", out],
                          capture_output=True, text=True, timeout=120)


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        fam = zoo.FAMILIES["scnn"]()
        for op in fam.graph.ops:
            if hasattr(op, "fold_bn"):
                op.bn = None
        self.state = fam.graph.state_dict()
        self.index = {op.op_name: i for i, op in enumerate(fam.graph.ops)}

    def tearDown(self):
        self.dir.cleanup()

    def save(self, state):
        path = os.path.join(self.dir.name, "ckpt.pt")
        torch.save(state, path)
        return path

    def assertRefused(self, state, words):
        out = os.path.join(self.dir.name, "out")
        r = run_export("scnn", self.save(state), out)
        self.assertEqual(r.returncode, 1, r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertFalse(os.path.exists(out) and os.listdir(out), "nothing may be written")

    def test_a_matching_checkpoint_exports(self):
        out = os.path.join(self.dir.name, "out")
        r = run_export("scnn", self.save(self.state), out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "fmnist_scnn.yaml")))
        tensors = export.read_safetensors(os.path.join(out, "fmnist_scnn.safetensors"))
        self.assertEqual(list(tensors["fc.weight"].shape), [10, 24 * 49])

    def test_a_tensor_of_another_shape_is_named(self):
        state = dict(self.state)
        name = f"ops.{self.index['fc']}.fc.weight"
        self.assertIn(name, state)
        state[name] = torch.zeros(10, 784)
        self.assertRefused(state, [name, "[10, 784]", "[10, 1176]"])

    def test_a_missing_tensor_is_named(self):
        state = dict(self.state)
        name = f"ops.{self.index['conv2']}.conv.weight"
        self.assertIn(name, state)
        del state[name]
        self.assertRefused(state, [name, "missing"])

    def test_an_unexpected_tensor_is_named(self):
        state = dict(self.state)
        state["ops.99.extra"] = torch.zeros(3)
        self.assertRefused(state, ["ops.99.extra", "unexpected"])


if __name__ == "__main__":
    unittest.main()
