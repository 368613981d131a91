#!/usr/bin/python3
"""softmax-cl's CPU backend against PyTorch and NumPy on the same shapes and thread count, in one run.

Rounds interleave the three: each round runs `softmax-cl bench --backend cpu --json` (a fresh JVM, with its own
warm-up), PyTorch's CPU softmax into a preallocated output (torch.ops.aten._softmax.out; torch.softmax would
allocate, which costs 2-3x on large batches) and NumPy's exp(x - max) / sum with out= buffers, rotating which
goes first. The table shows, per shape, the median over rounds of each one's median time per call, and the
ratios. The copy column is softmax-cl's speed of light (System.arraycopy of the same bytes, measured by bench).

Run from the repository root after `mvn -B -q package -DskipTests`, with Debian's Python (PyTorch and NumPy are
Debian packages: python3-torch, python3-numpy):

    /usr/bin/python3 bench/peers.py --json bench/results/peers.json

NumPy's ufuncs (exp, max, sum, divide) run on one thread whatever the thread count; OpenBLAS settings
(OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) do not affect them, since no BLAS routine is involved.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

STANDARD = ["1x32000", "32x32000", "8x128256", "64x151936", "4096x1000", "65536x10", "1x1048576", "512x50257"]
MIN_SAMPLE_NS = 20_000


def parse_shape(text):
    rows, cols = text.lower().split("x")
    return int(rows), int(cols)


def sample(call, warmup_s, budget_s, min_reps=5, max_reps=2000):
    """Median ns per call: warm up, then time-bounded repetitions, short calls timed in batches."""
    start = time.perf_counter()
    best = None
    calls = 0
    while calls < 2 or time.perf_counter() - start < warmup_s:
        t0 = time.perf_counter_ns()
        call()
        dt = time.perf_counter_ns() - t0
        best = dt if best is None else min(best, dt)
        calls += 1
    batch = max(1, -(-MIN_SAMPLE_NS // max(1, best)))
    reps = int(max(min_reps, min(max_reps, budget_s * 1e9 // max(1, best * batch))))
    times = []
    deadline = time.perf_counter() + 3 * max(budget_s, best * batch * min_reps / 1e9)
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        for _ in range(batch):
            call()
        times.append((time.perf_counter_ns() - t0) / batch)
        if len(times) >= min_reps and time.perf_counter() > deadline:
            break
    return statistics.median(times)


def logits(np, rows, cols):
    rng = np.random.default_rng(42)
    return (rng.random((rows, cols), dtype=np.float32) * 20 - 10).astype(np.float32)


def run_torch(np, torch, shapes, op, warmup_s, budget_s):
    out = {}
    for shape in shapes:
        rows, cols = parse_shape(shape)
        x = torch.from_numpy(logits(np, rows, cols))
        y = torch.empty_like(x)
        if op == "sample":
            call = lambda: torch_sample(torch, x)
        elif op == "softmax":
            call = lambda: torch.ops.aten._softmax.out(x, 1, False, out=y)
        else:
            call = lambda: torch.ops.aten._log_softmax.out(x, 1, False, out=y)
        out[shape] = sample(call, warmup_s, budget_s)
        del x, y
    return out


def torch_sample(torch, x, k=50, p=0.9):
    """One token per row as vLLM/HF do it in PyTorch: softmax, topk, top-p mask on the sorted top-k, multinomial."""
    values, indices = torch.topk(torch.softmax(x, dim=1), k, dim=1)
    values = values / values.sum(dim=1, keepdim=True)
    above = torch.cumsum(values, dim=1) - values  # mass of the strictly better tokens
    values = values.masked_fill(above >= p, 0.0)
    return indices.gather(1, torch.multinomial(values, 1))


def run_numpy(np, shapes, op, warmup_s, budget_s):
    out = {}
    for shape in shapes:
        rows, cols = parse_shape(shape)
        x = logits(np, rows, cols)
        y = np.empty_like(x)
        m = np.empty((rows, 1), dtype=np.float32)
        s = np.empty((rows, 1), dtype=np.float32)
        t = np.empty_like(x) if op == "log-softmax" else None

        def softmax():
            np.max(x, axis=1, keepdims=True, out=m)
            np.subtract(x, m, out=y)
            np.exp(y, out=y)
            np.sum(y, axis=1, keepdims=True, out=s)
            np.divide(y, s, out=y)

        def log_softmax():
            np.max(x, axis=1, keepdims=True, out=m)
            np.subtract(x, m, out=y)
            np.exp(y, out=t)
            np.sum(t, axis=1, keepdims=True, out=s)
            np.log(s, out=s)
            np.subtract(y, s, out=y)

        out[shape] = sample(softmax if op == "softmax" else log_softmax, warmup_s, budget_s)
        del x, y, t
    return out


def run_softmaxcl(args, shapes, op=None):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.json")
        cmd = [args.java, "--add-modules", "jdk.incubator.vector", "-jar", args.jar, "bench", "--backend", "cpu",
               "--op", op or args.op, "--shapes", ",".join(shapes), "--threads", str(args.threads),
               "--warmup", str(int(args.warmup * 1000)), "--time", str(int(args.time * 1000)),
               "--no-progress", "--json", path]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit("peers: softmax-cl bench failed (exit %d): %s\n  %s"
                     % (done.returncode, " ".join(cmd), done.stderr.strip()))
        with open(path) as f:
            run = json.load(f)
    times, copies = {}, {}
    for r in run["results"]:
        shape = "%dx%d" % (r["rows"], r["cols"])
        times[shape] = r["median_ns"]
        copies[shape] = r["copy_ns"]
    return times, copies, run


def fmt_time(ns):
    if ns < 1e3:
        return "%.0f ns" % ns
    for unit, scale in (("us", 1e3), ("ms", 1e6), ("s", 1e9)):
        if ns < scale * 1e3 or unit == "s":
            v = ns / scale
            return ("%.0f" if v >= 100 else "%.1f" if v >= 10 else "%.2f") % v + " " + unit


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jar", default="cli/target/softmax-cl.jar")
    p.add_argument("--java", default="java")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--shapes", default=",".join(STANDARD))
    p.add_argument("--op", choices=["softmax", "log-softmax", "sample"], default="softmax",
                   help="sample: top-k 50, top-p 0.9; the third tool is then softmax-cl's unfused Java baseline"
                        " (bench --op sample-unfused: softmax into a buffer, sort, scan) instead of NumPy")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=float, default=0.5, help="warm-up per tool and shape, seconds")
    p.add_argument("--time", type=float, default=1.0, help="timed repetitions per tool and shape, seconds")
    p.add_argument("--json", help="also write the medians and every round's numbers here")
    args = p.parse_args()
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    if args.rounds < 1 or not shapes:
        sys.exit("peers: need at least one round and one shape")
    if not os.path.exists(args.jar):
        sys.exit("peers: %s not found: build it first with mvn -B -q package -DskipTests" % args.jar)

    import numpy as np
    import torch
    torch.set_num_threads(args.threads)

    per_round = {"softmax-cl": [], "pytorch": [], "numpy": []}
    copies = []
    java_info = None
    tools = ["softmax-cl", "pytorch", "numpy"]
    for k in range(args.rounds):
        order = tools[k % 3:] + tools[:k % 3]
        print("peers: round %d/%d: %s" % (k + 1, args.rounds, ", ".join(order)), file=sys.stderr, flush=True)
        for tool in order:
            if tool == "softmax-cl":
                times, copy, java_info = run_softmaxcl(args, shapes)
                per_round["softmax-cl"].append(times)
                copies.append(copy)
            elif tool == "pytorch":
                per_round["pytorch"].append(run_torch(np, torch, shapes, args.op, args.warmup, args.time))
            elif args.op == "sample":
                per_round["numpy"].append(run_softmaxcl(args, shapes, "sample-unfused")[0])
            else:
                per_round["numpy"].append(run_numpy(np, shapes, args.op, args.warmup, args.time))

    med = {tool: {s: statistics.median(r[s] for r in rounds) for s in shapes} for tool, rounds in per_round.items()}
    copy = {s: statistics.median(c[s] for c in copies) for s in shapes}

    print("%s, %d threads (PyTorch %s set_num_threads(%d); NumPy %s, one thread); median of %d interleaved rounds"
          % (args.op, args.threads, torch.__version__, args.threads, np.__version__, args.rounds))
    print("machine: %s, %s; %s; Java %s" % (java_info["cpu"], "%d processors" % java_info["processors"],
                                             platform.platform(), java_info["java"]))
    third = "Java unf." if args.op == "sample" else "NumPy"
    header = "%-11s %10s %10s %10s %10s %7s %7s %11s %11s %8s" % (
        "shape", "softmax-cl", "PyTorch", third, "copy", "cl SoL", "pt SoL", "vs PyTorch", "range", "vs " + third)
    print(header)
    rows = []
    for s in shapes:
        ratios = [pt[s] / cl[s] for pt, cl in zip(per_round["pytorch"], per_round["softmax-cl"])]
        rec = {"shape": s, "softmaxcl_ns": med["softmax-cl"][s], "pytorch_ns": med["pytorch"][s],
               "numpy_ns": med["numpy"][s], "copy_ns": copy[s],
               "softmaxcl_sol": copy[s] / med["softmax-cl"][s], "pytorch_sol": copy[s] / med["pytorch"][s],
               "speedup_vs_pytorch": med["pytorch"][s] / med["softmax-cl"][s],
               "speedup_vs_pytorch_per_round": ratios,
               "speedup_vs_numpy": med["numpy"][s] / med["softmax-cl"][s]}
        rows.append(rec)
        print("%-11s %10s %10s %10s %10s %7.2f %7.2f %10.2fx %11s %7.1fx" % (
            s, fmt_time(rec["softmaxcl_ns"]), fmt_time(rec["pytorch_ns"]), fmt_time(rec["numpy_ns"]),
            fmt_time(rec["copy_ns"]), rec["softmaxcl_sol"], rec["pytorch_sol"], rec["speedup_vs_pytorch"],
            "%.2f-%.2f" % (min(ratios), max(ratios)), rec["speedup_vs_numpy"]))
    speedups = [r["speedup_vs_pytorch"] for r in rows]
    print("median speedup over PyTorch: %.2fx (min %.2fx); SoL = copy time / time; range = per-round ratios"
          % (statistics.median(speedups), min(speedups)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"op": args.op, "threads": args.threads, "rounds": args.rounds, "torch": torch.__version__,
                       "numpy": np.__version__, "cpu": java_info["cpu"], "java": java_info["java"],
                       "softmaxcl_device": java_info["results"][0]["device"],
                       "results": rows, "per_round": per_round}, f, indent=1)
        print("peers: wrote " + args.json, file=sys.stderr)


if __name__ == "__main__":
    main()
