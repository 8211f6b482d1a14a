#!/usr/bin/env bash
# Dev-time helper: turns each test/fixtures/xml/input/<kind>.xml into test/fixtures/xml/<kind>.xml,
# the document a real libvirt produced after accepting it (define, `dumpxml --inactive`, undefine).
# Needs a running qemu:///system (scripts/testenv.sh start). The fixtures are committed; run this
# only when adding a fixture or moving to another libvirt version.
#   scripts/make-xml-fixtures.sh [KIND...]
set -euo pipefail
cd "$(dirname "$0")/.."
URI="${LIBVIRT_TEST_URI:-qemu:///system}"
IN=test/fixtures/xml/input
OUT=test/fixtures/xml

kinds=("$@")
if [ "${#kinds[@]}" -eq 0 ]; then
  for f in "$IN"/*.xml; do kinds+=("$(basename "$f" .xml)"); done
fi

for kind in "${kinds[@]}"; do
  name="xmlfix-$kind"
  # A leftover from an interrupted run would make define update it instead of creating it.
  virsh -q -c "$URI" undefine --nvram --tpm "$name" >/dev/null 2>&1 || true
  virsh -q -c "$URI" define --validate "$IN/$kind.xml" >/dev/null
  virsh -q -c "$URI" dumpxml --inactive "$name" >"$OUT/$kind.xml"
  virsh -q -c "$URI" undefine --nvram --tpm "$name" >/dev/null
  echo "fixture $OUT/$kind.xml"
done

# Capabilities documents for the capabilities parser (host-specific; machine list of this QEMU).
if [ "$#" -eq 0 ]; then
  virsh -q -c "$URI" domcapabilities --virttype qemu --arch x86_64 --machine q35 >"$OUT/domcaps-qemu-q35.xml"
  virsh -q -c "$URI" capabilities >"$OUT/capabilities.xml"
  echo "fixture $OUT/domcaps-qemu-q35.xml $OUT/capabilities.xml"
fi
