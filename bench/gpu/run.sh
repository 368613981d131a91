#!/usr/bin/env bash
# Runs softmax-cl's device checks from the bundle (bench/gpu/build-bundle.sh) on a machine that has nothing but a
# GPU driver: finds the OpenCL driver, then runs `devices`, the OpenCL test suite and `bench`, each step carrying on
# after a failure of the one before. Files land in $OUT (7 at most); a summary is printed last.
#
# Usage: OUT=DIR bench/gpu/run.sh [--icd FILE.icd | --system-icds] [--tests opencl|all|none|REGEX]
#                                 [--bench-args "ARGS"]
#   --icd FILE      use this ICD file instead of looking for NVIDIA's driver (env SOFTMAXCL_ICD), e.g.
#                   /etc/OpenCL/vendors/pocl.icd to check the bundle on a machine without a GPU
#   --system-icds   use the ICD files in /etc/OpenCL/vendors as they are (AMD, Intel, ...)
#   --tests SEL     all (default: the whole suite, library and CLI), opencl (OpenCL test classes + one canary),
#                   none, or a class-name regex
#                   (env SOFTMAXCL_TESTS)
#   --bench-args    arguments for `bench` before --json/--chart (env SOFTMAXCL_BENCH_ARGS, default "--backend all")
# Time limits per step in seconds (sum 465, inside a 510 s device call): SOFTMAXCL_TIMEOUT_DEVICES (45),
# _TESTS (150), _BENCH (180); the chart check gets 30 and the OpenCL probe 60 (SOFTMAXCL_PROBE_MIB: buffer size).
# Exit code: 0 when every step passed, 1 otherwise (the summary names the steps that failed).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/softmax-cl-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# The kit: this script's own folder (a copy inside the kit), the unpacked kit, or the packed one a device run carries.
if [[ -x $here/runtime/bin/java ]]; then
    bundle=$here
elif [[ -x $here/bundle/softmax-cl-gpu/runtime/bin/java ]]; then
    bundle=$here/bundle/softmax-cl-gpu
elif [[ -f $here/bundle/softmax-cl-gpu.tar.gz ]]; then
    tar -xzf "$here/bundle/softmax-cl-gpu.tar.gz" -C "$scratch" || { echo "run.sh: cannot unpack the kit" >&2; exit 2; }
    bundle=$scratch/softmax-cl-gpu
else
    echo "run.sh: no kit under $here/bundle: run bench/gpu/build-bundle.sh first and carry" \
         "bench/gpu/bundle/softmax-cl-gpu.tar.gz" >&2
    exit 2
fi

icd=${SOFTMAXCL_ICD:-}
icd_mode=${icd:+file}
icd_mode=${icd_mode:-nvidia}
tests=${SOFTMAXCL_TESTS:-all}
bench_args=${SOFTMAXCL_BENCH_ARGS:---backend all}
while (($#)); do
    case $1 in
        --icd) icd=$2; icd_mode=file; shift 2 ;;
        --system-icds) icd_mode=system; shift ;;
        --tests) tests=$2; shift 2 ;;
        --bench-args) bench_args=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

OUT=${OUT:-$PWD/softmax-cl-gpu-out}
mkdir -p "$OUT" || { echo "run.sh: cannot create OUT=$OUT" >&2; exit 2; }
OUT=$(cd "$OUT" && pwd)
java=$bundle/runtime/bin/java
chmod +x "$java" "$bundle"/runtime/lib/jspawnhelper 2>/dev/null
jvm_opts=(--add-modules jdk.incubator.vector -Xss4m -Djava.awt.headless=true -Djava.io.tmpdir="$scratch")
summary=$scratch/summary.txt
results=()
failed=()

say() { printf '%s\n' "$*" | tee -a "$summary"; }
has() { command -v "$1" >/dev/null 2>&1; }
limit() {  # limit SECONDS CMD... : runs CMD under timeout(1) when the machine has it
    local s=$1; shift
    if has timeout; then timeout --kill-after=10 "$s" "$@"; else "$@"; fi
}
# step NAME SECONDS LOGFILE CMD... : runs one step, records ok/FAIL with its exit code and time.
step() {
    local name=$1 secs=$2 log=$3; shift 3
    local t0 t1 rc
    t0=$(date +%s)
    printf '\n=== %s: %s\n' "$name" "$*" >>"$log"
    limit "$secs" "$@" >>"$log" 2>&1
    rc=$?
    t1=$(date +%s)
    local verdict=ok
    if ((rc == 124 || rc == 137)); then verdict="FAIL (timed out after ${secs}s)"
    elif ((rc != 0)); then verdict="FAIL (exit $rc)"; fi
    [[ $verdict == ok ]] || failed+=("$name")
    results+=("$(printf '%-12s %-28s %4ss' "$name" "$verdict" "$((t1 - t0))")")
    return "$rc"
}

find_nvidia_opencl() {
    local d f
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib \
             /run/nvidia/driver/usr/lib/x86_64-linux-gnu /usr/lib/wsl/lib; do
        for f in "$d"/libnvidia-opencl.so.1 "$d"/libnvidia-opencl.so.[0-9]*; do
            [[ -f $f ]] && { echo "$f"; return 0; }
        done
    done
    if has ldconfig; then
        f=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so/ {print $NF; exit}')
        [[ -n $f && -f $f ]] && { echo "$f"; return 0; }
    fi
    f=$(limit 60 find /usr /opt /run /lib /lib64 /mnt -name 'libnvidia-opencl.so*' 2>/dev/null | sort | head -n1)
    [[ -n $f ]] && { echo "$f"; return 0; }
    return 1
}

# OpenCL driver -> ICD file in a private vendors folder, read by the bundled ocl-icd loader.
vendors=$scratch/vendors
mkdir -p "$vendors"
ld_path=$bundle/lib
icd_note=
case $icd_mode in
    file)
        if [[ -f $icd ]]; then
            cp "$icd" "$vendors/"
            export OCL_ICD_VENDORS=$vendors
            icd_note="ICD file $icd -> $(head -n1 "$icd")"
        else
            icd_note="ICD file '$icd' does not exist: no OpenCL driver"
            export OCL_ICD_VENDORS=$vendors
        fi ;;
    system)
        icd_note="system ICD files: $(ls /etc/OpenCL/vendors/*.icd 2>/dev/null | tr '\n' ' ')" ;;
    nvidia)
        if lib=$(find_nvidia_opencl); then
            echo "$lib" > "$vendors/nvidia.icd"
            export OCL_ICD_VENDORS=$vendors
            # The NVIDIA OpenCL library loads its siblings (libcuda, the PTX JIT) from its own folder.
            ld_path=$ld_path:$(dirname "$lib")
            icd_note="NVIDIA OpenCL library $lib"
        elif ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
            icd_note="no NVIDIA OpenCL library; using system ICD files: $(ls /etc/OpenCL/vendors/*.icd | tr '\n' ' ')"
        else
            icd_note="no OpenCL driver found (no libnvidia-opencl.so*, no /etc/OpenCL/vendors/*.icd)"
            export OCL_ICD_VENDORS=$vendors
        fi ;;
esac
export LD_LIBRARY_PATH=$ld_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export TERM=dumb
# JVM signal chaining: a driver that runs LLVM in-process (PoCL) would otherwise replace the JVM's SIGSEGV
# handler and can kill it (exit 139, no hs_err); harmless for drivers that do not.
if [[ -f $bundle/runtime/lib/libjsig.so ]]; then
    export LD_PRELOAD=$bundle/runtime/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}
fi

{
    echo "softmax-cl device run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n) ($(uname -sr), $(uname -m))"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') x $(nproc 2>/dev/null || echo '?')"
    smi=$(command -v nvidia-smi || ls /usr/local/nvidia/bin/nvidia-smi 2>/dev/null)
    if [[ -n $smi ]]; then
        echo "gpu: $("$smi" --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -n4 | paste -sd';' -)"
    fi
    echo "opencl: $icd_note"
    echo "bundle: $(sed -n '2p' "$bundle/MANIFEST.txt" 2>/dev/null) [$(sed -n 's/^size: //p' "$bundle/MANIFEST.txt" 2>/dev/null)]"
    echo "java: $("$java" -version 2>&1 | sed -n '2p')"
} | tee -a "$summary"

sm=("$java" "${jvm_opts[@]}" -jar "$bundle/softmax-cl.jar")

# 1. The chart path (AWT headless + bundled fonts) on its own, so a font problem is not mistaken for a bench bug.
step chart-check 30 "$scratch/chart-check.txt" \
    "$java" "${jvm_opts[@]}" -cp "$bundle/tools:$bundle/softmax-cl.jar" ChartCheck "$scratch/chart-check.png"

# 2. Devices: JOCL on its own (platforms, devices, clEnqueueCopyBuffer bandwidth), then softmax-cl's listing.
probe_mib=${SOFTMAXCL_PROBE_MIB:-$([[ $icd_mode == nvidia ]] && echo 1024 || echo 256)}
step opencl-probe 60 "$OUT/devices.txt" \
    "$java" "${jvm_opts[@]}" -cp "$bundle/tools:$bundle/softmax-cl.jar" ClProbe "$probe_mib" 20
step devices "${SOFTMAXCL_TIMEOUT_DEVICES:-45}" "$OUT/devices.txt" "${sm[@]}" devices

# 3. The test suite (all of it by default): under CI=true an OpenCL test that cannot reach a device fails instead of skipping.
selectors=()
case $tests in
    opencl) selectors=(--include-classname '.*\.[^.]*(OpenCl|OpenCL|Opencl)[^.]*'
                       --include-classname 'io\.softmaxcl\.internal\.opencl\..*'
                       --include-classname 'io\.softmaxcl\.WorkedExampleTest') ;;
    all) ;;
    none) ;;
    *) selectors=(--include-classname "$tests") ;;
esac
if [[ $tests != none ]]; then
    # Everything on the JVM's own class path (not the launcher's --class-path): tests that fork a JVM with
    # java.class.path then find their classes too.
    test_cp=$bundle/test-classes:$bundle/test-classes-cli:$bundle/softmax-cl.jar
    for j in "$bundle"/test-lib/*.jar; do test_cp=$test_cp:$j; done
    mkdir -p "$scratch/tests-cwd"
    cd "$scratch/tests-cwd" || exit 2   # files tests write relative to the working directory stay out of the repo
    step tests "${SOFTMAXCL_TIMEOUT_TESTS:-150}" "$OUT/tests.txt" \
        env CI=true "$java" "${jvm_opts[@]}" -Dsoftmaxcl.test.jar="$bundle/softmax-cl.jar" \
        -cp "$test_cp" org.junit.platform.console.ConsoleLauncher execute \
        --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
        --scan-class-path "$bundle/test-classes:$bundle/test-classes-cli" --reports-dir "$scratch/junit" \
        --config "jqwik.database=$scratch/jqwik-database" "${selectors[@]}"
    cd "$OLDPWD" || exit 2
    # Jupiter's report as junit.xml; other engines' reports (e.g. jqwik) packed only when they ran something.
    [[ -f $scratch/junit/TEST-junit-jupiter.xml ]] && cp "$scratch/junit/TEST-junit-jupiter.xml" "$OUT/junit.xml"
    if grep -l '<testcase' "$scratch"/junit/*.xml 2>/dev/null | grep -qv 'TEST-junit-jupiter.xml'; then
        tar -czf "$OUT/junit-reports.tar.gz" -C "$scratch/junit" .
    fi
fi

# 4. Benchmark on the standard shapes.
# shellcheck disable=SC2086 # bench_args is a list of words on purpose
step bench "${SOFTMAXCL_TIMEOUT_BENCH:-180}" "$OUT/bench.txt" \
    "${sm[@]}" bench $bench_args --json "$OUT/bench.json" --chart "$OUT/bench.png"

say ""
say "step         result                       time"
for r in "${results[@]}"; do say "$r"; done
say ""
say "chart-check: $(grep -h 'chart check:' "$scratch/chart-check.txt" 2>/dev/null | cut -c1-160 || true)$(grep -h -m1 -i 'exception\|error' "$scratch/chart-check.txt" 2>/dev/null | cut -c1-200)"
say "opencl-probe + devices (devices.txt):"
grep -v '^=== \|incubator\|^$' "$OUT/devices.txt" | head -n 30 | sed 's/^/  /' | tee -a "$summary"
if [[ -f $OUT/tests.txt ]]; then
    say "tests (tests.txt, selection: $tests):"
    counts=$(sed -n 's/^\[ *\([0-9]*\) tests \(found\|successful\|failed\|skipped\|aborted\) *\]$/\1 \2/p' \
        "$OUT/tests.txt" | paste -sd',' - | sed 's/,/, /g')
    if [[ -n $counts ]]; then
        say "  $counts"
    else
        say "  no JUnit summary (the test JVM died or timed out); the end of tests.txt:"
        grep -v '^$' "$OUT/tests.txt" | tail -n 6 | cut -c1-200 | sed 's/^/    /' | tee -a "$summary"
    fi
    xml=$OUT/junit.xml
    if [[ -f $xml ]]; then
        ocl=$(grep -o '<testcase [^>]*classname="[^"]*\(OpenCl\|OpenCL\|Opencl\|\.opencl\.\)[^"]*"' "$xml" | wc -l)
        say "  OpenCL test cases run: $ocl$( ((ocl == 0)) && echo ' (no OpenCL test classes in this build)')"
    fi
    grep -E '✘|MethodSource|=> ' "$OUT/tests.txt" | head -n 12 | cut -c1-200 | sed 's/^/  /' | tee -a "$summary"
fi
say "bench (bench.txt):"
grep -v '^=== \|incubator\|^$\|^bench: \[' "$OUT/bench.txt" | tail -n 70 | cut -c1-200 | sed 's/^/  /' | tee -a "$summary"
say ""
say "files in $OUT: $(cd "$OUT" && ls | tr '\n' ' ')summary.txt"
if ((${#failed[@]})); then
    say "FAILED steps: ${failed[*]}"
    status=1
else
    say "all steps passed"
    status=0
fi
cp "$summary" "$OUT/summary.txt"
exit "$status"
