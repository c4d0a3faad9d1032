#!/bin/sh
# basics.sh - version, help and usage errors of the drover binary.
. "$TOP_SRCDIR/tests/tap.sh"

out=$("$DROVER" --version)
like "--version prints the version" "$out" '^drover [0-9]+\.[0-9]+\.[0-9]+$'

out=$("$DROVER" --help)
like "--help lists validate" "$out" 'validate +check workflow files'
like "--help lists graph" "$out" 'graph +print'

for cmd in validate graph; do
	out=$("$DROVER" $cmd --help); rc=$?
	is "$cmd --help exits 0" "$rc" 0
	like "$cmd --help shows its usage" "$out" "^Usage: drover $cmd"
done

fails "no command is a usage error" 2 "$DROVER"
out=$("$DROVER" valdiate x.yaml 2>&1)
like "an unknown command suggests the closest" "$out" "^drover: unknown command 'valdiate'; did you mean 'validate'\?"
fails "an unknown command exits 2" 2 "$DROVER" frobnicate
out=$("$DROVER" graph --colour x.yaml 2>&1)
like "an unknown option is named" "$out" "^drover: unknown option '--colour'"
out=$("$DROVER" graph 2>&1)
like "graph without a file says so" "$out" "no workflow file given"
out=$("$DROVER" graph "$TOP_SRCDIR/tests/workflows/valid/basic.yaml" --format png 2>&1); rc=$?
like "graph names a bad format" "$out" "unknown format 'png' \(use ascii, dot or json\)"
is "a bad format exits 2" "$rc" 2
out=$("$DROVER" graph "$TOP_SRCDIR/tests/workflows/valid/basic.yaml" --format 2>&1)
like "an option without its value is named" "$out" "option '--format' needs a value"

done_testing
