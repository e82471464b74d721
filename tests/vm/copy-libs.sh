# copy_with_libs ROOT DIR PROGRAM...: copy each program into ROOT/DIR and every
# shared library it loads (as ldd resolves it on this host) to the same path
# under ROOT, so the program runs in the test VM as it does here. Sourced.
copy_with_libs() {
	root=$1 dir=$2
	shift 2
	mkdir -p "$root$dir"
	for prog in "$@"; do
		path=$(command -v "$prog")
		cp "$path" "$root$dir/"
		ldd "$path" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
			[ -n "$lib" ] || continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}
