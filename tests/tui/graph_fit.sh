#!/bin/sh
# graph_fit.sh - a workflow of a few steps is seen whole in the run view
# (tmux): every node of a three-step chain with long ids, beside the
# detail at 120x40 and above it at 80x24, of workflows/release.yaml at
# 100x30, 120x40 and 80x24, and of a graph deeper than wide at 120x40,
# turned to run from top to bottom.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; tap_end' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd "$T" || exit 1

# graph_pane COLS ROWS: the graph's part of the screen.  From 120 columns
# it is every row between the header and the footer, left of the divider
# (found on the detail's status row); below that, the rows above the
# detail, 9/20 of those between header and footer.
graph_pane() {
	s=$(tui_screen)
	if [ "$1" -ge 120 ]; then
		w=$(printf '%s\n' "$s" | grep -m 1 '│status ' | sed 's/│status .*//' | wc -m)
		printf '%s\n' "$s" | sed -n "2,$(($2 - 1))p" |
		    sed -E "s/^(.{$((w - 1))}).*/\\1/"
	else
		printf '%s\n' "$s" | sed -n "2,$((($2 - 2) * 9 / 20 + 1))p"
	fi
}

# fits NAME COLS ROWS RUN ID...: attached to RUN in a COLS x ROWS terminal,
# each ID is whole in the graph pane (not cut, no ellipsis).
fits() {
	what=$1 cols=$2 rows=$3 run=$4
	shift 4
	tui_start "$cols" "$rows" "$DROVER" attach "$run"
	tui_wait "$what: the run opens at ${cols}x$rows" "run $run .*succeeded"
	tui_wait "$what: its detail shows" 'status +succeeded'
	for id in "$@"; do
		like "$what at ${cols}x$rows: $id is in the graph" "$(graph_pane "$cols" "$rows")" \
		    "(^|[^a-z0-9_-])$id([^a-z0-9_-]|\$)"
	done
	tui_stop
}

# Ids as a new user writes them: their full nodes (with the elapsed time)
# are wider together than the graph pane at 120 and at 80 columns.
cat >"$T/chain.yaml" <<'YAML'
name: chain
steps:
  - id: install-dependencies
    run: "true"
  - id: run-unit-tests
    depends_on: [install-dependencies]
    run: "true"
  - id: deploy-to-staging
    depends_on: [run-unit-tests]
    run: "true"
YAML
"$DROVER" run --no-tui chain.yaml >/dev/null
fits "a three-step chain" 120 40 1 install-dependencies run-unit-tests deploy-to-staging
fits "a three-step chain" 80 24 1 install-dependencies run-unit-tests deploy-to-staging

"$DROVER" run --no-tui "$TOP_SRCDIR/workflows/release.yaml" >/dev/null
for size in "100 30" "120 40" "80 24"; do
	# shellcheck disable=SC2086
	fits "release.yaml" $size 2 checkout compile unit-tests lint integration package \
	    publish announce
done

# A graph that fits keeps its place: moving the selection scrolls nothing.
tui_start 100 30 "$DROVER" attach 2
tui_wait "release.yaml opens" 'run 2 .*succeeded'
tui_keys G
tui_wait "G selects its last step" '^✓ announce *$'
like "and the first is still in view" "$(graph_pane 100 30)" '^✓ checkout'
tui_stop

# Deeper than wide: seven layers of long ids are too wide for the pane
# beside the detail even without their times; turned, they fit.
cat >"$T/deep.yaml" <<'YAML'
name: deep
steps:
  - id: validate-environment
    run: "true"
  - id: validate-image
    run: "true"
  - id: require-approval
    depends_on: [validate-environment, validate-image]
    run: "true"
  - id: deploy-application
    depends_on: [require-approval]
    run: "true"
  - id: verify-deployment
    depends_on: [deploy-application]
    run: "true"
  - id: update-monitoring
    depends_on: [verify-deployment]
    run: "true"
  - id: notify-team
    depends_on: [verify-deployment]
    run: "true"
on_failure:
  - id: rollback-deployment
    run: "true"
YAML
"$DROVER" run --no-tui deep.yaml >/dev/null
fits "a deep graph" 120 40 3 validate-environment validate-image require-approval \
    deploy-application verify-deployment update-monitoring notify-team \
    'on_failure: rollback-deployment'

# row_of ID: the screen row of ID's node.
row_of() { tui_screen | grep -n -m 1 -- "✓ $1" | cut -d: -f1; }

tui_start 120 40 "$DROVER" attach 3
tui_wait "the deep graph opens" 'run 3 .*succeeded'
ok "turned, a dependency is above what needs it" \
    test "$(row_of deploy-application)" -lt "$(row_of verify-deployment)"
ok "and a layer's nodes are on one row" \
    test "$(row_of update-monitoring)" -eq "$(row_of notify-team)"
tui_keys j
tui_wait "j goes down to the next layer" '│✓ validate-image *$'
tui_keys j j j j l
tui_wait "l along the layer" '│✓ notify-team *$'
tui_keys h
tui_wait "h back" '│✓ update-monitoring *$'
tui_keys k
tui_wait "k up a layer" '│✓ verify-deployment *$'
tui_stop

done_testing
