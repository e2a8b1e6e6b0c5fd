#!/usr/bin/env python3
"""Personalization table for N clients (docs/ML.md): personalize GLOBAL for each
client, then compare global vs personalized on the client's shifted validation
split and on plain test classes outside the shard.
usage: pers_table.py APEX_BIN GLOBAL_MODEL OUT_DIR [N_CLIENTS] [EXTRA personalize/eval args...]"""
import json, subprocess, sys, os

apex, glob, out = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 8
extra = sys.argv[5:]
os.makedirs(out, exist_ok=True)
rows = []
for c in range(n):
    cm = os.path.join(out, f"client{c}.model")
    p = json.loads(subprocess.run([apex, "personalize", "--model", glob, "--client", str(c), "--out", cm, "--json"] + extra,
                                  check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    g = json.loads(subprocess.run([apex, "eval", "--model", glob, "--client", str(c)] + extra,
                                  check=True, capture_output=True, text=True).stdout)
    q = json.loads(subprocess.run([apex, "eval", "--model", cm, "--client", str(c)] + extra,
                                  check=True, capture_output=True, text=True).stdout)
    rows.append(dict(client=c, classes=p["classes"], shift=p["shift"], seconds=p["seconds"],
                     val_global=g["val_acc"], val_personal=q["val_acc"],
                     out_global=g["test_acc_outside"], out_personal=q["test_acc_outside"],
                     keep=q["test_acc_outside"] / g["test_acc_outside"],
                     test_global=g["test_acc"], test_personal=q["test_acc"]))
print("| client | classes | shift | val θ0 | val θp | outside-shard test θ0 | θp | kept | test θp | s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['client']} | {','.join(map(str, r['classes']))} | {r['shift']} | {r['val_global']:.3f} | "
          f"{r['val_personal']:.3f} | {r['out_global']:.3f} | {r['out_personal']:.3f} | {r['keep']:.3f} | "
          f"{r['test_personal']:.3f} | {r['seconds']:.1f} |")
print(json.dumps(dict(min_keep=min(r["keep"] for r in rows),
                      min_val_gain=min(r["val_personal"] - r["val_global"] for r in rows))))
