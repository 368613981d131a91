#!/bin/bash
# Variants of the softmax exp-store loop (ExpVariants.java says which), one thread, one row of n floats in cache,
# each variant in JVMs of its own, alternating; prints per variant the median [min-max] of all its rounds in all
# its JVMs, ns per 16 elements. Usage: bench/probes/exp-variants/run.sh 32768 abcef 5 [-XX:UseAVX=2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=$1; variants=$2; jvms=$3; shift 3
out=$(mktemp -d)
javac --add-modules jdk.incubator.vector -d "$out" "$here/ExpVariants.java" 2>&1 | { grep -v 'warning\|^Note' || true; }
keep="-XX:CompileCommand=quiet"
for v in a b c e f; do keep="$keep -XX:CompileCommand=dontinline,ExpVariants::$v"; done
for j in $(seq "$jvms"); do
    for v in $(echo "$variants" | grep -o .); do
        java "$@" $keep --add-modules jdk.incubator.vector -cp "$out" ExpVariants "$n" "$v" 2>&1 | grep -v '^WARNING'
    done
done | python3 -c '
import sys, statistics
rounds, errors = {}, {}
for line in sys.stdin:
    p = line.split()
    if p[1] == "maxrel":
        errors[p[0]] = p[2]
    else:
        rounds.setdefault(p[0], []).append(float(p[1]))
for v, t in sorted(rounds.items()):
    print("%s %.3f [%.3f-%.3f] ns/16, worst relative error %s" % (v, statistics.median(t), min(t), max(t), errors[v]))'
rm -rf "$out"
