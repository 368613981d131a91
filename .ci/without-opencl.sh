#!/usr/bin/env bash
# Usage (as root): unshare -m .ci/without-opencl.sh none|loader CMD...
# Runs CMD in this private mount namespace with OpenCL taken away, nothing outside the namespace changed:
#   none    no OpenCL library: an overlay over libOpenCL.so.1's folder hides libOpenCL.so*, the loader cache is
#           rebuilt without it (ldconfig -C) and bind-mounted over /etc/ld.so.cache, /etc/OpenCL/vendors is empty
#   loader  the ICD loader but no driver: /etc/OpenCL/vendors is empty and OCL_ICD_VENDORS names an empty folder
set -euo pipefail
mode=$1; shift
[ "$(id -u)" = 0 ] || { echo "without-opencl: needs root (unshare -m)" >&2; exit 2; }
scratch=$(mktemp -d)
mounted=()
# On exit: undo the mounts (the namespace would drop them anyway) so the scratch folder can go.
cleanup() { for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[i]}" || true; done; rm -rf "$scratch"; }
trap cleanup EXIT
mount --make-rprivate /   # mounts below stay in this namespace
mkdir -p "$scratch/empty-vendors"
if [ -d /etc/OpenCL/vendors ]; then
  mount --bind "$scratch/empty-vendors" /etc/OpenCL/vendors && mounted+=(/etc/OpenCL/vendors)
fi
export OCL_ICD_VENDORS=$scratch/empty-vendors
unset OPENCL_VENDOR_PATH

case $mode in
  none)
    lib=$(ldconfig -p | awk '/libOpenCL\.so/ {print $NF; exit}')
    if [ -n "$lib" ]; then
      dir=$(dirname "$(readlink -f "$lib")")
      mkdir -p "$scratch/upper" "$scratch/work"
      mount -t overlay overlay -o "lowerdir=$dir,upperdir=$scratch/upper,workdir=$scratch/work" "$dir"
      mounted+=("$dir")
      rm -f "$dir"/libOpenCL.so*   # whiteouts in the overlay's upper layer only
      ldconfig -C "$scratch/ld.so.cache"
      mount --bind "$scratch/ld.so.cache" /etc/ld.so.cache
      mounted+=(/etc/ld.so.cache)
    fi
    if ldconfig -p | grep -q libOpenCL; then
      echo "without-opencl: libOpenCL is still visible" >&2; exit 1
    fi
    unset LD_LIBRARY_PATH ;;
  loader)
    ldconfig -p | grep -q 'libOpenCL\.so\.1' || { echo "without-opencl: no ICD loader installed" >&2; exit 1; } ;;
  *) echo "without-opencl: mode must be none or loader, not '$mode'" >&2; exit 2 ;;
esac
echo "without-opencl ($mode): $(ldconfig -p | grep -c libOpenCL || true) libOpenCL in the loader cache," \
     "$(ls /etc/OpenCL/vendors 2>/dev/null | wc -l) file(s) in /etc/OpenCL/vendors" >&2
rc=0
"$@" || rc=$?
exit "$rc"
