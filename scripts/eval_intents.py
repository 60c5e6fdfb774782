#!/usr/bin/env python3
"""Scores `alumni-bot match` on a labelled JSONL file ({"text", "intent"}; intent null = out of scope).

usage: eval_intents.py LABELLED.jsonl [-v] -- COMMAND...
Prints in-scope accuracy (the intent answered or offered first is right), out-of-scope recall
(fallback on out-of-scope queries), the share of in-scope queries answered directly and right,
and latency percentiles from the `micros` field. -v lists the misses.
"""
import json
import subprocess
import sys


def main() -> int:
    if "--" not in sys.argv:
        print(__doc__)
        return 2
    split = sys.argv.index("--")
    opts, cmd = sys.argv[1:split], sys.argv[split + 1:]
    verbose = "-v" in opts
    path = [o for o in opts if o != "-v"][0]
    data = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    proc = subprocess.run(cmd, input="".join(d["text"].replace("\n", " ") + "\n" for d in data),
                          capture_output=True, text=True, check=True)
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(data), (len(out), len(data))
    ins = [(d, o) for d, o in zip(data, out) if d["intent"]]
    oos = [(d, o) for d, o in zip(data, out) if not d["intent"]]
    acc = sum(o["intent"] == d["intent"] for d, o in ins) / max(1, len(ins))
    rec = sum(o["intent"] is None for _, o in oos) / max(1, len(oos))
    direct = sum(o["decision"] == "answer" and o["intent"] == d["intent"] for d, o in ins) / max(1, len(ins))
    micros = sorted(o["micros"] for o in out)
    pct = lambda p: micros[min(len(micros) - 1, int(len(micros) * p))]
    print(f"in-scope accuracy {acc:.3f} (n={len(ins)})  out-of-scope recall {rec:.3f} (n={len(oos)})  "
          f"answered directly and right {direct:.3f}  latency median {pct(0.5)} us  p99 {pct(0.99)} us")
    if verbose:
        for d, o in zip(data, out):
            if o["intent"] != d["intent"]:
                print(f"  miss: {d['text']!r} expected {d['intent']} got {o['intent']} ({o['decision']}, {o['score']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
