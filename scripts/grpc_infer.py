#!/usr/bin/python3
"""A gRPC client of spikeline-gateway (KServe OIP v2, inference.GRPCInferenceService), as a
Triton/KServe user would write it: stubs generated from gateway/inference.proto with Debian's
python3-grpc-tools, then ServerReady, ModelMetadata and ModelInfer on Fashion-MNIST test images.

    /usr/bin/python3 scripts/grpc_infer.py [HOST:PORT] [MODEL] [COUNT]
    (defaults: 127.0.0.1:8001 fmnist-scnn 5; the system of scripts/start.sh)

Prints one line per image: the label, the predicted class and the output; exits 1 when the
server is not ready or a call fails.
"""
import gzip
import os
import struct
import sys
import tempfile

import grpc
from grpc_tools import protoc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def stubs():
    out = tempfile.mkdtemp(prefix="spikeline-grpc-")
    rc = protoc.main(["protoc", f"-I{ROOT}/gateway", f"--python_out={out}",
                      f"--grpc_python_out={out}", f"{ROOT}/gateway/inference.proto"])
    if rc != 0:
        sys.exit("protoc failed on gateway/inference.proto")
    sys.path.insert(0, out)
    import inference_pb2
    import inference_pb2_grpc
    return inference_pb2, inference_pb2_grpc


def images(count):
    with gzip.open(f"{DATA}/t10k-images-idx3-ubyte.gz") as f:
        pixels = f.read()[16:16 + 784 * count]
    with gzip.open(f"{DATA}/t10k-labels-idx1-ubyte.gz") as f:
        labels = f.read()[8:8 + count]
    return [(pixels[i * 784:(i + 1) * 784], labels[i]) for i in range(count)]


def main():
    address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8001"
    model = sys.argv[2] if len(sys.argv) > 2 else "fmnist-scnn"
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    pb, pb_grpc = stubs()
    stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(address))
    if not stub.ServerReady(pb.ServerReadyRequest(), timeout=5).ready:
        sys.exit(f"{address}: not ready")
    meta = stub.ModelMetadata(pb.ModelMetadataRequest(name=model), timeout=5)
    print(f"{meta.name} on {meta.platform}: inputs "
          f"{[(t.name, t.datatype, list(t.shape)) for t in meta.inputs]}")
    correct = 0
    for pixels, label in images(count):
        request = pb.ModelInferRequest(model_name=model, id=f"image-{label}")
        tensor = request.inputs.add(name="input", datatype="FP32", shape=[1, 28, 28])
        request.raw_input_contents.append(struct.pack("<784f", *(p / 255.0 for p in pixels)))
        del tensor
        response = stub.ModelInfer(request, timeout=5)
        out = response.outputs[0]
        if response.raw_output_contents:
            values = struct.unpack(f"<{len(response.raw_output_contents[0]) // 4}f",
                                   response.raw_output_contents[0])
        else:
            values = list(out.contents.fp32_contents)
        predicted = max(range(len(values)), key=lambda i: values[i])
        correct += predicted == label
        print(f"label {label} -> class {predicted}  ({out.name} {out.datatype} {list(out.shape)}: "
              + " ".join(f"{v:.2f}" for v in values) + ")")
    print(f"{correct}/{count} correct")


if __name__ == "__main__":
    main()
