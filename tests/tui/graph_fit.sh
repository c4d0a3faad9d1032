#!/bin/sh
# graph_fit.sh - a workflow of a few steps is seen whole in the run view
# (tmux): every node of a three-step chain with long ids, beside the
# detail at 120x40 and above it at 80x24, and of workflows/release.yaml
# at 100x30, 120x40 and 80x24.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
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
		    "✓ $id([^a-z0-9_-]|\$)"
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

done_testing
