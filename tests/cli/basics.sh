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
out=$("$DROVER" --no-such-option 2>&1)
like "the console's usage hint names drover once" "$out" "Try 'drover --help'"
unlike "not 'drover drover'" "$out" "drover drover"

# --db PATH: every command, instead of DROVER_DB.
printf 'name: one\nsteps:\n  - {id: a, run: "true"}\n' >"$T/one.yaml"
ok "run --db PATH" "$DROVER" run "$T/one.yaml" --db "$T/other.db"
is "records there" "$("$DROVER" ls --db "$T/other.db" --json | jq length)" 1
is "and not in DROVER_DB" "$("$DROVER" ls --json | jq length)" 0
ok "show --db PATH" "$DROVER" show 1 --db "$T/other.db"
like "--db is in every command's help" "$("$DROVER" ls --help)" '--db PATH'
fails "--db with an empty path is a usage error" 2 "$DROVER" ls --db ''

# A history locked by another process for longer than drover waits:
# nothing runs, and it is the caller's problem (2), not drover's (70).
if command -v sqlite3 >/dev/null 2>&1; then
	hold_history_lock "$T/other.db"
	out=$("$DROVER" run "$T/one.yaml" --db "$T/other.db" 2>&1); rc=$?
	release_history_lock
	is "a run on a locked history exits 2" "$rc" 2
	like "saying what to do" "$out" "database is locked \(another process holds its write lock"
fi

# Sizes the environment or the parser cannot take are refused where they
# are written, not at spawn.
awk 'BEGIN { printf "name: x\nsteps:\n  - {id: "; for (i = 0; i < 100000; i++) printf "a";
    printf ", run: \"true\"}\n" }' >"$T/longid.yaml"
out=$("$DROVER" validate "$T/longid.yaml" 2>&1)
like "a 100 KB step id is refused with its length" "$out" \
	"longid.yaml:3:10: error: step id 'a{32}\.\.\.' has 100000 characters; an id has at most 128"
awk 'BEGIN { print "name: big\nenv:"; for (i = 0; i < 600000; i++) printf "  K%d: v\n", i;
    print "steps:\n  - {id: a, run: \"true\"}" }' >"$T/nodes.yaml"
out=$("$DROVER" validate "$T/nodes.yaml" 2>&1)
like "too many nodes without aliases says so" "$out" "has more than 1000000 nodes"
unlike "and blames no alias" "$out" "alias"

done_testing
