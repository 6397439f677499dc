#!/usr/bin/env python3
"""PyTorch peer of the training-speed benchmark (src/bench/speed.ts, scripts/bench-speed.ts).

Trains and runs the same networks as SelfLabel on the same input shapes and batch sizes, on the CPU, so the
benchmark can state SelfLabel's rates as ratios to PyTorch measured in the same run on the same machine.

Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
  {"cmd": "hello"}  -> {"ok": true, "torch": "1.13.0", "threads": N}
  {"cmd": "measure", "task": "simclr" | "rotation" | "embed", "h": 28, "w": 28, "c": 1, "widths": [32, 64, 128],
   "dim": 128, "batch": 256, "threads": 2, "seconds": 2.0}
                    -> {"ok": true, "rate": images_per_second, "cpuRate": images_per_cpu_second, "steps": k,
                        "seconds": s, "batch": b}   (CPU time of the whole process: all its threads)
  {"cmd": "matmul", "n": 1024, "threads": 1, "seconds": 1.0}
                    -> {"ok": true, "flops": float_ops_per_second}   (an n x n by n x n float32 product, repeated)
  anything wrong    -> {"ok": false, "error": "..."}
Models are built once per (task, shape) and warmed up (2 steps) before the first measurement.

The networks mirror src/core/models/imageEncoder.ts and src/core/ssl/*:
  encoder: 3x3 convolutions with ReLU, stride 2 while the map is larger than 4 (per dimension), 'same' padding
           (padding 1: the same output sizes, ceil(n / stride), as tfjs 'same'), flatten, dense `dim` + ReLU.
  simclr:  two views per image (2 * batch images through the encoder), projection dim -> dim (ReLU) -> 64,
           NT-Xent at temperature 0.5, Adam. One image = one pair of views (as SelfLabel counts).
  rotation: a linear 4-way head on the encoder, softmax cross entropy, Adam.
  embed:   the encoder forward in eval mode without gradients.
Inputs are fixed random tensors (augmentation is not timed, on either side).
"""
import json
import sys
import time


def main():
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - reported to the caller, which skips PyTorch with the reason
        print(json.dumps({"ok": False, "error": "cannot import torch: %s" % e}), flush=True)
        return 0

    torch.manual_seed(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    def stride_for(size):
        return 2 if size > 4 else 1

    class Encoder(nn.Module):
        def __init__(self, h, w, c, widths, dim):
            super().__init__()
            layers = []
            ch = c
            for width in widths:
                sh, sw = stride_for(h), stride_for(w)
                layers.append(nn.Conv2d(ch, width, 3, stride=(sh, sw), padding=1))
                layers.append(nn.ReLU())
                h, w, ch = -(-h // sh), -(-w // sw), width
            self.convs = nn.Sequential(*layers)
            self.fc = nn.Linear(h * w * ch, dim)

        def forward(self, x):
            return F.relu(self.fc(torch.flatten(self.convs(x), 1)))

    def nt_xent(z, n, temperature=0.5):
        z = F.normalize(z, dim=1)
        sim = z @ z.t() / temperature
        sim = sim - torch.eye(2 * n) * 1e9
        targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
        return F.cross_entropy(sim, targets)

    cache = {}

    def workload(m):
        key = json.dumps([m["task"], m["h"], m["w"], m["c"], m["widths"], m["dim"], m["batch"]])
        if key in cache:
            return cache[key]
        h, w, c, b, dim = m["h"], m["w"], m["c"], m["batch"], m["dim"]
        enc = Encoder(h, w, c, m["widths"], dim)
        task = m["task"]
        if task == "simclr":
            proj = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 64))
            opt = torch.optim.Adam(list(enc.parameters()) + list(proj.parameters()), lr=2e-3)
            x = torch.rand(2 * b, c, h, w)

            def step():
                opt.zero_grad(set_to_none=True)
                loss = nt_xent(proj(enc(x)), b)
                loss.backward()
                opt.step()
                return float(loss)
        elif task == "rotation":
            head = nn.Linear(dim, 4)
            opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=1e-3)
            x = torch.rand(b, c, h, w)
            y = torch.randint(0, 4, (b,))

            def step():
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(head(enc(x)), y)
                loss.backward()
                opt.step()
                return float(loss)
        elif task == "embed":
            enc.eval()
            x = torch.rand(b, c, h, w)

            def step():
                with torch.no_grad():
                    return float(enc(x)[0, 0])
        else:
            raise ValueError("unknown task %r" % task)
        step()
        step()
        cache[key] = step
        return step

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            m = json.loads(line)
            if m.get("cmd") == "hello":
                ans = {"ok": True, "torch": torch.__version__, "threads": torch.get_num_threads()}
            elif m.get("cmd") == "measure":
                torch.set_num_threads(int(m["threads"]))
                step = workload(m)
                step()
                steps = 0
                c0 = time.process_time()
                t0 = time.perf_counter()
                while True:
                    step()
                    steps += 1
                    el = time.perf_counter() - t0
                    if el >= float(m["seconds"]):
                        break
                cpu = time.process_time() - c0
                ans = {"ok": True, "rate": steps * m["batch"] / el, "cpuRate": steps * m["batch"] / cpu if cpu > 0 else None,
                       "steps": steps, "seconds": el, "batch": m["batch"]}
            elif m.get("cmd") == "matmul":
                torch.set_num_threads(int(m["threads"]))
                n = int(m["n"])
                a, b = torch.rand(n, n), torch.rand(n, n)
                a @ b
                steps = 0
                t0 = time.perf_counter()
                while True:
                    a @ b
                    steps += 1
                    el = time.perf_counter() - t0
                    if el >= float(m["seconds"]):
                        break
                ans = {"ok": True, "flops": steps * 2 * n ** 3 / el}
            else:
                ans = {"ok": False, "error": "unknown command %r" % m.get("cmd")}
        except Exception as e:  # noqa: BLE001
            ans = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(ans), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
