# Runs in the booted test guest (from the "vpmtest" disk): the scenario's
# test.sh with the helpers, its result as "VPMEM-TEST-EXIT <code>" on the
# console; vpmem-test.service then powers the guest off.
rc=0
sh -c '. /run/vpmem-test/guest.sh; . /run/vpmem-test/test.sh' || rc=$?
echo "VPMEM-TEST-EXIT $rc"
sync
