#!/bin/sh
# run_refused.sh - a field drover cannot honour yet is refused before
# anything is recorded, never accepted and ignored; --dry-run refuses
# exactly what run refuses.
. "$TOP_SRCDIR/tests/tap.sh"

refused() {	# refused NAME YAML-BODY MESSAGE
	printf 'name: refused\n%s\n' "$2" >"$T/r.yaml"
	"$DROVER" run "$T/r.yaml" >"$T/run.out" 2>&1; rc=$?
	"$DROVER" run "$T/r.yaml" --dry-run >"$T/dry.out" 2>&1; drc=$?
	is "$1: run exits 2" "$rc" 2
	like "$1: run says why" "$(cat "$T/run.out")" "$3"
	is "$1: --dry-run exits 2 too" "$drc" 2
	is "$1: with the same message" "$(cat "$T/dry.out")" "$(cat "$T/run.out")"
}

refused "resources" 'steps:
  - {id: a, run: "true", resources: {preset: low}}' "step 'a' sets resources"
refused "default resources" 'defaults: {resources: {memory: 1G}}
steps:
  - {id: a, run: "true"}' "sets defaults.resources"
refused "for_each" 'steps:
  - {id: a, run: "true", for_each: "[1, 2]"}' "step 'a' uses for_each"
printf 'name: other\nsteps:\n  - {id: x, run: "true"}\n' >"$T/other.yaml"
refused "a workflow step" 'steps:
  - {id: a, workflow: {file: other.yaml}}' "step 'a' is a workflow step"
is "nothing of it was recorded" "$("$DROVER" ls --json -n 0 | jq length)" 0
printf 'name: fine\nsteps:\n  - {id: a, run: "true", resources: {preset: none}}\n' >"$T/f.yaml"
ok "resources: {preset: none} asks for nothing, and runs" "$DROVER" run "$T/f.yaml"
like "--dry-run of a runnable workflow prints the plan" "$("$DROVER" run "$T/f.yaml" --dry-run)" \
	'nothing was run'

done_testing
