#!/bin/sh
# graph.sh - drover graph: levels and dependencies in ascii, dot and json.
. "$TOP_SRCDIR/tests/tap.sh"
export DROVER_PATH="$T/empty-search-path"
W="$TOP_SRCDIR/tests/workflows"

levels() {	# levels FILE: the "levels" array of the JSON graph, compact
	"$DROVER" graph "$1" --format json | tr -d ' \t\n' |
		sed 's/,"on_failure":.*//; s/,"finally":.*//; s/.*"levels"://; s/}$//'
}

is "Muster: validations in parallel, then approval, deploy, verify, then the pair" \
	"$(levels "$W/muster/ai-optimized-deployment.yaml")" \
	'[["validate_environment","validate_image"],["require_approval"],["deploy_application"],["verify_deployment"],["update_monitoring","notify_team"]]'

is "parallel_with groups share the first member's dependencies" \
	"$(levels "$W/valid/parallel.yaml")" \
	'[["fetch","standalone"],["unit","lint","docs"],["package"]]'

json=$("$DROVER" graph "$W/valid/parallel.yaml" --format json | tr -d ' \t\n')
like "depends_on: [] waits for nothing" "$json" '"id":"standalone","kind":"run","depends_on":\[\],"level":0'
like "a step after a group waits for the whole group" "$json" '"id":"package","kind":"run","depends_on":\["unit","lint","docs"\],"level":2'
like "the first step waits for nothing" "$json" '"id":"fetch","kind":"run","depends_on":\[\],"level":0'

cat >"$T/order.yaml" <<'YAML'
name: order
steps:
  - {id: a, run: "true"}
  - {id: b, run: "true"}
  - {id: c, run: "true", depends_on: [a]}
  - {id: d, run: "true", parallel_with: [b]}
  - {id: e, run: "true"}
YAML
json=$("$DROVER" graph "$T/order.yaml" --format json | tr -d ' \t\n')
like "top to bottom by default" "$json" '"id":"b","kind":"run","depends_on":\["a"\],"level":1'
like "explicit depends_on replaces the default" "$json" '"id":"c","kind":"run","depends_on":\["a"\],"level":1'
like "a group member written later takes the first member's dependencies" "$json" '"id":"d","kind":"run","depends_on":\["a"\],"level":1'
is "levels of the order example" "$(levels "$T/order.yaml")" '[["a"],["b","c","d"],["e"]]'

json=$("$DROVER" graph "$W/valid/failure.yaml" --format json | tr -d ' \t\n')
like "on_failure steps form their own graph" "$json" '"on_failure":\{"steps":\[\{"id":"page","kind":"run","depends_on":\[\],"level":0\}'

dot=$("$DROVER" graph "$W/valid/parallel.yaml" --format dot)
like "dot starts a digraph named after the workflow" "$dot" '^digraph "parallel" \{'
like "dot draws dependency edges" "$dot" '"unit" -> "package";'

ascii=$("$DROVER" graph "$W/muster/ai-optimized-deployment.yaml")
like "ascii names the workflow and counts" "$ascii" '^ai-optimized-deployment: 7 steps in 5 levels$'
like "ascii lists levels" "$ascii" '^level 4$'
width=$(printf '%s\n' "$ascii" | awk '{ if (length($0) > m) m = length($0) } END { print m }')
[ "$width" -le 80 ]; tap_result $? "ascii fits in 80 columns (widest line: $width)"

"$DROVER" graph "$W/invalid/cycle.yaml" >"$T/out" 2>"$T/err"; rc=$?
is "graph of an invalid file exits 2" "$rc" 2
like "and prints the problems" "$(cat "$T/err")" 'dependency cycle: a -> b -> c -> a'

done_testing
