# vpmem-host's erase of a device-dax namespace against a plain memset of the
# same mapping (sourced in the guest like guest-bench.sh). Two tenants: one
# who wrote a little (a tag at the start and in the last page: most chunks
# read back zero and are not written) and one who wrote every 64 KiB chunk
# (all of it is zeroed and read back twice).
bench() { printf "\nBENCH %s\n" "$*"; }
mkdir -p /tmp/h
echo '{"layout": [{"label": "D", "count": 1, "size": "512M", "region": 0, "align": "2M"}]}' > /tmp/h/host.json
H="vpmem-host -c /tmp/h/host.json -s /tmp/h/state"
$H setup >/tmp/setup.out 2>&1 || { cat /tmp/setup.out; echo "BENCH-ERROR setup failed"; exit 1; }
c=$(cat /proc/sys/kernel/random/uuid)
for tenant in sparse dense sparse dense sparse dense; do
	dev=$($H reserve --label D --consumer "$c" --json 2>/dev/null | json_field path)
	size=$($H list --json | json_field backing_size)
	daxtool write "$dev" "tenant"
	[ $tenant = dense ] && daxtool scatter "$dev"
	benchtool time $H release --consumer "$c" > /tmp/release.out 2>&1
	# the whole command, and the erase as vpmem-host reports it ("... in 0.123 s, ...")
	e=$(sed -n 's/^BENCHTIME //p' /tmp/release.out)
	z=$(sed -n 's/.*verified: free again ([^)]* in \([0-9.]*\) s,.*/\1/p' /tmp/release.out)
	m=$(benchtool memset "$dev" "$size") # "memset memset+read"
	[ -n "$e" ] && [ -n "$z" ] && [ -n "$m" ] || { cat /tmp/release.out; echo "BENCH-ERROR erase ($tenant)"; exit 1; }
	daxtool zero "$dev" || { echo "BENCH-ERROR the erase left data"; exit 1; }
	bench "devdax-erase $tenant $size $e $z $m"
done
finish
