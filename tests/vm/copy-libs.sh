# copy_with_libs ROOT DIR PROGRAM...: copy each program (or library, by path) into ROOT/DIR and every
# shared library it loads (as ldd resolves it on this host) to the same path
# under ROOT, so the program runs in the test VM as it does here. Sourced.
copy_with_libs() {
	root=$1 dir=$2
	shift 2
	mkdir -p "$root$dir"
	for prog in "$@"; do
		# (a path as it is: bash's command -v finds no library, which is
		# not executable)
		case $prog in
		*/*) path=$prog ;;
		*) path=$(command -v "$prog") ;;
		esac
		cp "$path" "$root$dir/"
		ldd "$path" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
			[ -n "$lib" ] || continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}

# copy_dlopened ROOT SONAME...: a library programs load with dlopen() (ldd
# cannot see those: the agent's libblkid and libmount), found as the dynamic
# linker finds it, with every library it needs, to the same path under ROOT.
copy_dlopened() {
	root=$1
	shift
	for soname in "$@"; do
		lib=$({ command -v ldconfig >/dev/null && ldconfig -p || /sbin/ldconfig -p; } | awk -v n="$soname" '$1 == n && /x86-64/ { print $NF; exit }')
		[ -n "$lib" ] || { echo "copy_dlopened: $soname is not installed" >&2; return 1; }
		for f in "$lib" $(ldd "$lib" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
			mkdir -p "$root$(dirname "$f")"
			cp -L "$f" "$root$f"
		done
	done
}

# source_tar [TAR-OPTION...]: the source tree as a tar stream on standard
# output, less git, builds and tarballs
source_tar() {
	tar -C "$top_srcdir" --exclude=./.git --exclude='./build*' --exclude=./_build --exclude=./tests/power/build-ppc64el --exclude='./vpmem-*' "$@" \
		-cf - .
}

# copy_sources DEST [TAR-OPTION...]: the source tree (source_tar) into DEST,
# writable (make distcheck's tree is read-only)
copy_sources() {
	dest=$1; shift
	mkdir -p "$dest"
	source_tar "$@" | tar -xf - -C "$dest"
	chmod -R u+w "$dest"
}

# source_key: a short hash of the source tree's names and contents (not their
# times), for what is built from it once per test run (tests/guest's images)
source_key() {
	source_tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u+w | sha256sum | cut -c1-16
}
