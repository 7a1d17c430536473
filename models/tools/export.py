#!/usr/bin/env python3
"""Export the trained ResNet-18 to ONNX (opset 17, static 1x3xSxS, S =
`--size`, the size it was trained at last) with two outputs, `logits`
[1,2] and `features` [1,512,S/32,S/32] (the last
convolutional feature map), and the final layer's weights [2,512] as
`.npy`, from which the Rust side computes the class-activation map
(CAM = sum_k w[pneumonia, k] * features[k]) without gradients.

    python models/tools/export.py --checkpoint models/work/best.pt --size 160 --out models/work/resnet18_fp32.onnx
"""

import argparse
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

from train import model


class WithFeatures(nn.Module):
    """torchvision's ResNet-18 forward pass, also returning layer4's output."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        features = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        logits = n.fc(torch.flatten(n.avgpool(features), 1))
        return logits, features


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="the .onnx; the CAM weights go beside it as _fc.npy")
    ap.add_argument("--size", type=int, default=160, help="input height and width")
    args = ap.parse_args()
    net = model()
    net.load_state_dict(torch.load(args.checkpoint, map_location="cpu", weights_only=False)["model"])
    net.eval()
    wrapped = WithFeatures(net).eval()
    x = torch.randn(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(0))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        wrapped, x, str(args.out), opset_version=17, input_names=["input"],
        output_names=["logits", "features"], dynamo=False,
    )
    fc = args.out.with_name(args.out.stem.replace("_fp32", "") + "_fc.npy")
    np.save(fc, net.fc.weight.detach().numpy().astype(np.float32))
    with torch.no_grad():
        want = [t.numpy() for t in wrapped(x)]
    got = ort.InferenceSession(str(args.out)).run(None, {"input": x.numpy()})
    for name, a, b in zip(("logits", "features"), want, got):
        print(f"{name} {tuple(b.shape)}: max |torch - onnxruntime| = {np.abs(a - b).max():.2e}")
    print("wrote", args.out, fc)


if __name__ == "__main__":
    main()
