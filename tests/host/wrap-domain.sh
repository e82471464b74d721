# wrap_domain MEMORY_XML_FILE OUT [ARCH MACHINE]: a minimal libvirt domain
# around vpmem-host's <memory model='nvdimm'> elements, with what they need
# (maxMemory slots, a NUMA cell), for virt-xml-validate; x86_64 pc unless
# ARCH and MACHINE say otherwise (ppc64le pseries). Sourced.
wrap_domain() {
	{
		cat <<XML
<domain type='kvm'>
  <name>vpmem-validate</name>
  <maxMemory slots='4' unit='KiB'>67108864</maxMemory>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='${3:-x86_64}' machine='${4:-pc}'>hvm</type>
  </os>
  <cpu>
    <numa>
      <cell id='0' cpus='0' memory='1048576' unit='KiB'/>
    </numa>
  </cpu>
  <devices>
XML
		cat "$1"
		echo "  </devices>"
		echo "</domain>"
	} > "$2"
}
