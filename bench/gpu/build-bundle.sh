#!/usr/bin/env bash
# Builds a self-contained softmax-cl kit (jlinked JDK 17, shaded jar, OpenCL ICD loader, compiled tests + JUnit
# console launcher, fonts for the chart, runner) that needs nothing on the target but a GPU driver:
#   bench/gpu/bundle/softmax-cl-gpu/         the kit, ready to run here (bench/gpu/run.sh uses it)
#   bench/gpu/bundle/softmax-cl-gpu.tar.gz   the same kit packed: what a device run carries (run.sh unpacks it)
# Usage (from anywhere): bench/gpu/build-bundle.sh    Env: JDK=/path/to/jdk17 (default: the jlink on PATH)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$here/bundle
bundle=$out/softmax-cl-gpu
archive=$out/softmax-cl-gpu.tar.gz
limit_mib=64
mvn=(mvn -B -q -Dstyle.color=never)

jdk=${JDK:-$(dirname "$(dirname "$(readlink -f "$(command -v jlink)")")")}
[[ -x $jdk/bin/jlink && -x $jdk/bin/javac ]] || { echo "build-bundle: no JDK with jlink at '$jdk' (set JDK=)" >&2; exit 1; }
jdk_feature=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[[ $jdk_feature == 17 ]] || echo "build-bundle: warning: JDK $jdk is Java $jdk_feature, not 17" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf 'build-bundle: %s\n' "$*" >&2; }

cd "$root"
step "maven package (the CLI's shaded jar + compiled tests of library/ and cli/, test-only jars)"
# One invocation, so the cli module resolves the library (and its test-jar) from this reactor. Test-only jars:
# everything not in compile/runtime scope (those are inside the shaded jar), minus this project and JUnit itself.
"${mvn[@]}" package -DskipTests dependency:copy-dependencies -DexcludeScope=runtime \
    -DoutputDirectory="$work/deps-test" \
    -DexcludeGroupIds=io.softmaxcl,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian
jar=cli/target/softmax-cl.jar
for f in "$jar" library/target/test-classes cli/target/test-classes/fixtures; do
    [[ -e $f ]] || { echo "build-bundle: maven produced no $f" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$bundle/lib" "$bundle/test-lib" "$bundle/tools"
cp "$jar" "$bundle/"
# JOCL and JLine carry natives for every OS; only linux-x86_64 can load on the target.
if command -v zip >/dev/null; then
    zip -q -d "$bundle/softmax-cl.jar" 'lib/*windows*' 'lib/*apple*' 'lib/*arm64*' \
        'org/jline/nativ/FreeBSD/*' 'org/jline/nativ/Windows/*' 'org/jline/nativ/Linux/arm*' \
        'org/jline/nativ/Linux/x86/*' 'org/jline/nativ/Linux/ppc64/*' >/dev/null || true
fi
# Two folders: both modules' tests (the library's also serve the CLI's, as its test-jar does); the CLI's carry the
# PyTorch fixtures. Each has its own junit-platform.properties, so they are not merged.
cp -r library/target/test-classes "$bundle/test-classes"
cp -r cli/target/test-classes "$bundle/test-classes-cli"

# JUnit console launcher matching the project's Jupiter version (Jupiter 5.x.y <-> Platform 1.x.y).
jupiter=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml | head -n1)
platform=1.${jupiter#5.}
step "junit-platform-console-standalone $platform (for junit-jupiter $jupiter)"
"${mvn[@]}" -N dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$platform" \
    -DoutputDirectory="$bundle/test-lib"
cp "$work"/deps-test/*.jar "$bundle/test-lib/" 2>/dev/null || true

step "check tools (ChartCheck, ClProbe)"
"$jdk/bin/javac" --release 17 -cp "$bundle/softmax-cl.jar" -d "$bundle/tools" "$here/ChartCheck.java" "$here/ClProbe.java"

# Modules: what jdeps finds in everything that will run, plus the Vector API (used reflectively at run time).
# Test-only jars are analysed as plain classes: a modular one (jqwik) would make jdeps resolve its module graph.
mkdir -p "$work/test-lib-classes"
for j in "$bundle"/test-lib/*.jar; do
    [[ $j == *console-standalone* ]] || (cd "$work/test-lib-classes" && unzip -q -o "$j" '*.class' -x '*module-info.class' || true)
done
modules=$("$jdk/bin/jdeps" --multi-release 17 --ignore-missing-deps --print-module-deps \
    --class-path "$bundle/softmax-cl.jar:$bundle/test-lib/$(cd "$bundle/test-lib" && ls | grep console-standalone)" \
    "$bundle/softmax-cl.jar" "$bundle"/test-lib/*console-standalone*.jar "$work/test-lib-classes" \
    "$bundle/test-classes" "$bundle/test-classes-cli" "$bundle/tools")
modules=$(printf '%s\n' "${modules//,/$'\n'}" jdk.incubator.vector | sort -u | paste -sd, -)
step "jlink: $modules"
# Headless: the X11, JAWT, splash-screen and sound natives are never loaded.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
    --exclude-files='**libawt_xawt.so,**libjawt.so,**libsplashscreen.so,**libjsound.so' \
    --output "$bundle/runtime" 2>&1 | grep -v 'incubator modules' || true
[[ -x $bundle/runtime/bin/java ]] || { echo "build-bundle: jlink failed" >&2; exit 1; }
# Debian ships libjvm.so with its symbol table (~4 MiB); strip it and the other natives when strip exists.
if command -v strip >/dev/null; then
    find "$bundle/runtime" -name '*.so' -exec strip --strip-unneeded {} +
fi

# Fonts: the chart needs text; a GPU box often has no fontconfig and no fonts. The JDK falls back to
# lib/fontconfig.properties when libfontconfig is missing; $JRE_LIB_FONTS is the runtime's lib/fonts.
step "fonts (Debian fonts-dejavu-core)"
(cd "$work" && apt-get download fonts-dejavu-core >/dev/null 2>&1) || { echo "build-bundle: apt-get download fonts-dejavu-core failed" >&2; exit 1; }
dpkg -x "$work"/fonts-dejavu-core_*.deb "$work/fonts"
mkdir -p "$bundle/runtime/lib/fonts"
for f in DejaVuSans.ttf DejaVuSans-Bold.ttf; do
    cp "$(find "$work/fonts" -name "$f" | head -n1)" "$bundle/runtime/lib/fonts/"
done
cp "$work/fonts/usr/share/doc/fonts-dejavu-core/copyright" "$bundle/runtime/lib/fonts/LICENSE-DejaVu"
{
    echo "version=1"
    echo "sequence.allfonts=default"
    for family in serif sansserif monospaced dialog dialoginput; do
        for style in plain bold italic bolditalic; do
            case $style in bold|bolditalic) face=dejavusans-bold ;; *) face=dejavusans ;; esac
            echo "$family.$style.default=-misc-$face-medium-r-normal--*-%d-*-*-p-*-iso10646-1"
        done
    done
    echo "filename.-misc-dejavusans-medium-r-normal--*-%d-*-*-p-*-iso10646-1=\$JRE_LIB_FONTS/DejaVuSans.ttf"
    echo "filename.-misc-dejavusans-bold-medium-r-normal--*-%d-*-*-p-*-iso10646-1=\$JRE_LIB_FONTS/DejaVuSans-Bold.ttf"
} > "$bundle/runtime/lib/fontconfig.properties"

step "OpenCL ICD loader (Debian ocl-icd-libopencl1)"
(cd "$work" && apt-get download ocl-icd-libopencl1 >/dev/null 2>&1) || { echo "build-bundle: apt-get download ocl-icd-libopencl1 failed" >&2; exit 1; }
dpkg -x "$work"/ocl-icd-libopencl1_*.deb "$work/icd"
cp -L "$(find "$work/icd" -name 'libOpenCL.so.1' | head -n1)" "$bundle/lib/libOpenCL.so.1"
icd_version=$(dpkg-deb -f "$work"/ocl-icd-libopencl1_*.deb Version)

# Shared libraries the headless runtime loads that a bare Linux may lack (freetype, harfbuzz, png, ...): the
# closure of the JDK natives that run headless, minus the C/C++ runtime every Linux has.
step "native libraries outside the C runtime"
base='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libgcc_s\.so|libstdc\+\+\.so|libjvm\.so|libjava\.so|libawt\.so|libjli\.so)'
for so in server/libjvm.so libjava.so libzip.so libnio.so libnet.so libjimage.so libverify.so libawt.so \
          libawt_headless.so libfontmanager.so libmlib_image.so liblcms.so libjsvml.so libprefs.so; do
    [[ -f $bundle/runtime/lib/$so ]] || continue
    LD_LIBRARY_PATH=$bundle/runtime/lib:$bundle/runtime/lib/server ldd "$bundle/runtime/lib/$so"
done | awk '$2 == "=>" {print $1, $3}' | sort -u | while read -r name path; do
    [[ $name =~ $base ]] && continue
    [[ $path == "not" || ! -f $path ]] && { echo "build-bundle: $name not found on this machine" >&2; exit 1; }
    [[ $path == "$bundle"/* ]] && continue
    cp -L "$path" "$bundle/lib/$name"
done

# Debian's libfontmanager also dlopens the unversioned name.
[[ -f $bundle/lib/libfreetype.so.6 ]] && ln -sf libfreetype.so.6 "$bundle/lib/libfreetype.so"

cp "$here/run.sh" "$bundle/run.sh"
chmod +x "$bundle/run.sh" "$bundle/runtime/bin/"*

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain 2>/dev/null | grep -q . && echo " (+uncommitted changes)" || true)
size_b=$(du -sb "$bundle" | cut -f1)
{
    echo "softmax-cl GPU bundle"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $commit$dirty"
    echo "runtime: $("$bundle/runtime/bin/java" -version 2>&1 | head -n1) jlinked from $jdk"
    echo "modules: $modules"
    echo "ocl-icd-libopencl1: $icd_version"
    echo "junit console: $(basename "$bundle"/test-lib/junit-platform-console-standalone-*.jar)"
    echo "test-only jars: $(cd "$bundle/test-lib" && ls | grep -v console-standalone | tr '\n' ' ')"
    echo "native libs: $(cd "$bundle/lib" && ls | tr '\n' ' ')"
    echo "size: $((size_b / 1048576)) MiB unpacked"
} > "$bundle/MANIFEST.txt"
cat "$bundle/MANIFEST.txt"

step "packing $archive"
tar -czf "$archive" -C "$out" "$(basename "$bundle")"
archive_b=$(du -sb "$archive" | cut -f1)
echo "archive: $archive $((archive_b / 1048576)) MiB (a device run carries bench/gpu/bundle/$(basename "$archive"))"
# What a device run sends: the working tree (tracked + untracked, not ignored) plus the carried archive.
tree_b=$(cd "$root" && git ls-files -co --exclude-standard -z 2>/dev/null | du -cb --files0-from=- 2>/dev/null | tail -n1 | cut -f1)
travel_b=$((archive_b + ${tree_b:-0}))
echo "a device run sends $((travel_b / 1048576)) MiB of ${limit_mib} MiB (working tree $((${tree_b:-0} / 1048576)) MiB + archive)"
if (( size_b > limit_mib * 1048576 )); then
    echo "build-bundle: warning: the unpacked kit is $((size_b / 1048576)) MiB, over ${limit_mib} MiB" >&2
fi
if (( travel_b > limit_mib * 1048576 )); then
    echo "build-bundle: working tree + archive is over ${limit_mib} MiB: a device run would refuse it" >&2
    exit 1
fi
