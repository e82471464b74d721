#!/bin/sh
# The man pages render without a warning, and list exactly the commands and
# options that --help lists (the host's: its own and every command's).
set -eu
builddir=${top_builddir:?}
for t in man groff; do
	command -v $t >/dev/null || { echo "SKIP: $t is not installed (Debian: man-db, groff-base)"; exit 77; }
done
fail=0
failed() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# render PAGE: plain text on stdout; groff's and man's warnings fail the test
render() {
	LC_ALL=C MANWIDTH=100 man --warnings=w -l "$1" 2>"$tmp/warnings" > "$tmp/page" || failed "man -l $1 failed"
	if [ -s "$tmp/warnings" ]; then failed "$1 renders with warnings:"; cat "$tmp/warnings"; fi
	[ -s "$tmp/page" ] || failed "$1 rendered empty"
	cat "$tmp/page"
}
options() { grep -o -- '--[a-z][a-z-]*' | sort -u; }
# the first word of each line of a "Commands:" section
help_commands() { awk '/^Commands:/ { c = 1; next } c && /^$/ { c = 0 } c { print $1 }' | sort -u; }
# the commands of the COMMANDS section of a rendered page: its tagged paragraphs
man_commands() { awk '/^COMMANDS/ { c = 1; next } /^[A-Z]/ { c = 0 } c && /^       [a-z]/ { print $1 }' | sort -u; }

compare() { # WHAT FROM-PROGRAM FROM-MAN [WHERE-FROM [WHERE-TO]]
	if ! diff -u "$2" "$3" > "$tmp/diff"; then
		failed "$1 differ between ${4:---help} (-) and ${5:-the man page} (+):"; cat "$tmp/diff"
	else
		echo "ok: $1: $(tr '\n' ' ' < "$2")"
	fi
}

for p in vpmem-agent.8 vpmem.json.5 vpmem-host.8 vpmem-host.json.5; do
	[ -f "$builddir/man/$p" ] || { [ "$p" = "${p#vpmem-host}" ] && failed "man/$p was not built"; continue; }
	render "$builddir/man/$p" > "$tmp/$p.txt"
	echo "ok: $p renders without warnings ($(wc -l < "$tmp/$p.txt") lines)"
done

agent=$builddir/agent/vpmem-agent
"$agent" --help > "$tmp/agent.help"
options < "$tmp/agent.help" > "$tmp/a.help.opts"
options < "$tmp/vpmem-agent.8.txt" > "$tmp/a.man.opts"
compare "vpmem-agent's options" "$tmp/a.help.opts" "$tmp/a.man.opts"
help_commands < "$tmp/agent.help" > "$tmp/a.help.cmds"
man_commands < "$tmp/vpmem-agent.8.txt" > "$tmp/a.man.cmds"
compare "vpmem-agent's commands" "$tmp/a.help.cmds" "$tmp/a.man.cmds"

host=$builddir/host/vpmem-host
if [ -x "$host" ]; then
	"$host" --help > "$tmp/host.help"
	help_commands < "$tmp/host.help" > "$tmp/h.help.cmds"
	[ -s "$tmp/h.help.cmds" ] || failed "no commands found in vpmem-host --help"
	cp "$tmp/host.help" "$tmp/host.all"
	while read -r c; do "$host" "$c" --help >> "$tmp/host.all"; done < "$tmp/h.help.cmds"
	options < "$tmp/host.all" > "$tmp/h.help.opts"
	options < "$tmp/vpmem-host.8.txt" > "$tmp/h.man.opts"
	compare "vpmem-host's options" "$tmp/h.help.opts" "$tmp/h.man.opts"
	man_commands < "$tmp/vpmem-host.8.txt" > "$tmp/h.man.cmds"
	compare "vpmem-host's commands" "$tmp/h.help.cmds" "$tmp/h.man.cmds"
fi

# the metrics, with their labels, as the programs write them (tests/unit/metrics-sample)
# and as the pages document them (METRICS: "name{label,...}")
sample=$builddir/tests/unit/metrics-sample
# metric_names PROM: each family as "name{label,label}" (a summary's _sum and _count as the family)
metric_names() {
	grep -v '^#' | sed 's/_sum{/{/; s/_count{/{/; s/_sum / /; s/_count / /' |
		sed -E 's/="([^"\\]|\\.)*"//g; s/ [^ ]*$//; s/\{\}//' | sort -u
}
man_metrics() { grep -oE '^ *vpmem_(agent|host)_[a-z_]+(\{[a-z_,]*\})?' | sed 's/^ *//' | sort -u; }
if [ -x "$sample" ]; then
	for prog in agent host; do
		[ "$prog" = agent ] || [ -x "$host" ] || continue
		"$sample" $prog | metric_names > "$tmp/$prog.metrics"
		man_metrics < "$tmp/vpmem-$prog.8.txt" > "$tmp/$prog.man.metrics"
		compare "vpmem-$prog's metrics" "$tmp/$prog.metrics" "$tmp/$prog.man.metrics" "what the program writes"
	done
else
	failed "build tests/unit/metrics-sample first"
fi
# every MESSAGE_ID of common/events.h, in the page of the program that logs it:
# the agent's before the line that starts vpmem-host's, vpmem-host's after it
events_of() { # agent|host
	awk -v want="$1" '/vpmem-host:/ { prog = "host" } !prog { prog = "agent" }
		/^#define EVENT_/ && prog == want { gsub(/"/, "", $3); print $3 }' "$top_srcdir/common/events.h"
}
before=$fail
for prog in agent host; do
	[ -f "$tmp/vpmem-$prog.8.txt" ] || continue
	for id in $(events_of $prog); do
		grep -q "$id" "$tmp/vpmem-$prog.8.txt" || failed "MESSAGE_ID $id is not in vpmem-$prog(8)"
	done
	[ "$fail" = "$before" ] && echo "ok: every MESSAGE_ID vpmem-$prog logs is in its man page ($(events_of $prog | wc -l))"
done
# and explained in the journal's catalog, once: each "-- ID" entry of catalog/*.catalog
sed -n 's/^#define EVENT_[A-Z_]* "\([0-9a-f]*\)"$/\1/p' "$top_srcdir/common/events.h" | sort > "$tmp/ids"
sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$top_srcdir"/catalog/*.catalog | sort > "$tmp/catalog.ids"
compare "the events' MESSAGE_IDs" "$tmp/ids" "$tmp/catalog.ids" "common/events.h" "catalog/*.catalog"
# as journalctl reads it, where it is installed (it is not in a package build's chroot)
if command -v journalctl >/dev/null; then
	mkdir -p "$tmp/root/usr/lib/systemd/catalog"
	cp "$top_srcdir"/catalog/*.catalog "$tmp/root/usr/lib/systemd/catalog/"
	journalctl --root="$tmp/root" --update-catalog 2>"$tmp/catalog.err" || { cat "$tmp/catalog.err"; failed "journalctl --update-catalog"; }
	journalctl --root="$tmp/root" --list-catalog 2>/dev/null | cut -d' ' -f1 | sort > "$tmp/listed.ids"
	compare "the MESSAGE_IDs journalctl --list-catalog lists" "$tmp/ids" "$tmp/listed.ids" "common/events.h" "journalctl --list-catalog"
fi
exit $fail
