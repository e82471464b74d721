# The boot path as namespaces grow (sourced in the guest like guest-bench.sh):
# 1, 4 and 16 namespaces with ext4 mounted on one region, a no-op apply
# against one ndctl list -N at each step.
bench() { printf "\nBENCH %s\n" "$*"; }
# node_exporter's textfile directory, as where it is installed (guest-bench.sh)
mkdir -p /var/lib/prometheus/node-exporter
policy() { # N: N namespaces of 64 MiB with ext4
	i=1 entries=""
	while [ $i -le "$1" ]; do
		entries="$entries${entries:+, }{\"name\": \"s$i\", \"region\": 0, \"size\": \"64M\", \"filesystem\": \"ext4\", \"mountpoint\": \"/mnt/s$i\"}"
		i=$((i + 1))
	done
	echo "{\"namespaces\": [$entries]}" > /tmp/scale.json
}
for n in 1 4 16; do
	policy $n
	vpmem-agent -c /tmp/scale.json apply >/tmp/scale.out 2>&1 || { cat /tmp/scale.out; echo "BENCH-ERROR apply of $n namespaces failed"; exit 1; }
	r=$(benchtool compare 21 vpmem-agent -c /tmp/scale.json apply -- ndctl list -N) ||
		{ echo "BENCH-ERROR the no-op apply of $n namespaces failed"; exit 1; }
	bench "scale $n $r"
	if command -v vpmem-agent-baseline >/dev/null; then
		# the run directory as the current agent's (guest-bench.sh)
		[ -d /run/vpmem/disabled ] && mkdir -p -m 0700 /run/vpmem-baseline/disabled
		vpmem-agent-baseline -c /tmp/scale.json apply >/dev/null 2>&1
		r=$(benchtool compare 21 vpmem-agent-baseline -c /tmp/scale.json apply -- ndctl list -N) ||
			{ echo "BENCH-ERROR the baseline's no-op apply of $n namespaces failed"; exit 1; }
		bench "scale-baseline $n $r"
	fi
done
finish
