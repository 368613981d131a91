#!/bin/bash
# The workers' busy fraction during a sequence of calls (issue 17): builds the library with counters in
# WorkerPool (worker-pool-counters.patch, in a throwaway worktree, never in the shipped library), then runs
# Busy.java through the public API: per shape, after a 3 s warm-up, three sequences of calls, each giving the
# time the caller and the helper spent inside the call's job as a fraction of the pool's call time, and how long
# after the call's start the helper joined. Usage: bench/probes/busy/run.sh 32x32000,8x128256 [log]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
wt=$(mktemp -d)/busy
git -C "$repo" worktree add -q --detach "$wt" HEAD
trap 'git -C "$repo" worktree remove --force "$wt"' EXIT
git -C "$wt" apply "$here/worker-pool-counters.patch"
(cd "$wt" && mvn -q -B package -DskipTests -pl library)
jocl=$(ls ~/.m2/repository/org/jocl/jocl/2.0.6/jocl-2.0.6.jar)
out=$(mktemp -d)
javac -d "$out" -cp "$wt/library/target/softmax-cl.jar" "$here/Busy.java"
java --add-modules jdk.incubator.vector -cp "$wt/library/target/softmax-cl.jar:$jocl:$out" Busy "$@" 2>&1 | grep -v '^WARNING'
