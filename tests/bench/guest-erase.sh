# vpmem-host's erase of a device-dax namespace (zeroed with non-temporal
# stores, then read back whole) against a plain memset of the same mapping
# (sourced in the guest like guest-bench.sh).
bench() { printf "\nBENCH %s\n" "$*"; }
mkdir -p /tmp/h
echo '{"layout": [{"label": "D", "count": 1, "size": "512M", "region": 0, "align": "2M"}]}' > /tmp/h/host.json
H="vpmem-host -c /tmp/h/host.json -s /tmp/h/state"
$H setup >/tmp/setup.out 2>&1 || { cat /tmp/setup.out; echo "BENCH-ERROR setup failed"; exit 1; }
c=$(cat /proc/sys/kernel/random/uuid)
for i in 1 2 3; do
	dev=$($H reserve --label D --consumer "$c" --json 2>/dev/null | json_field path)
	size=$($H list --json | json_field backing_size)
	daxtool write "$dev" "tenant-$i"
	e=$(benchtool time $H release --consumer "$c" 2>&1 >/dev/null | sed -n 's/^BENCHTIME //p')
	m=$(benchtool memset "$dev" "$size")
	[ -n "$e" ] && [ -n "$m" ] || { echo "BENCH-ERROR erase run $i"; exit 1; }
	bench "devdax-erase $size $e $m"
done
finish
