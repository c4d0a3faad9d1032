#!/bin/sh
# log_view.sh - a step's log in the console (tmux): its end can be seen in
# the split and the full view, whatever the pane's height; a live run of
# another process shows its lines as they come; a search of a big log does
# not freeze the console and can be stopped.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; tap_end' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd "$T" || exit 1

# Row N of the screen (1-based).
row() { tui_screen | sed -n "${1}p"; }

# The end of a log: in the split view the last line is on the pane's last
# row; L (full size) shows it at once, without blank rows; j, Space and G
# all reach it.  At 100x30 both views end on row 28.
cat >"$T/hundred.yaml" <<'EOF'
name: hundred
steps:
  - id: count
    run: seq 1 100 | sed 's/^/line /'
EOF
"$DROVER" run --no-tui hundred.yaml >/dev/null
tui_start 100 30 "$DROVER" attach 1
tui_wait "the finished run opens with its log" 'log: 100 lines, following'
like "the split view shows the last line on the pane's last row" "$(row 28)" '^ line 100 *$'
like "and the one before above it" "$(row 27)" '^ line 99 *$'
tui_keys L
tui_wait "L opens the log full size" '^ line 80 *$'
like "following, the full view ends on the last line at once" "$(row 28)" '^ line 100 *$'
tui_keys g
tui_wait "g goes to the top" '^ line 1 *$'
tui_keys G
tui_wait "G goes to the bottom" '^ line 100 *$'
like "and the last line is on the last row" "$(row 28)" '^ line 100 *$'
tui_keys g
tui_wait "back at the top" '^ line 1 *$'
tui_keys -N 150 j
tui_wait "j scrolls down to the very last line" '^ line 100 *$'
like "and stops there" "$(row 28)" '^ line 100 *$'
tui_keys g
tui_wait "top again" '^ line 1 *$'
tui_keys -N 10 Space
tui_wait "Space pages down to the last line" '^ line 100 *$'
like "without a blank row under it" "$(row 28)" '^ line 100 *$'
tui_keys Escape
tui_wait "Esc goes back to the split view" 'hjkl move'
like "which still ends on the last line" "$(row 28)" '^ line 100 *$'
tui_stop

# A run of another process: its lines show in a second console as they
# are committed, not only when a step changes state.
cat >"$T/chatty.yaml" <<EOF
name: chatty
steps:
  - id: talk
    run: |
      seq 1 31 | sed 's/^/early /'
      while [ ! -e $T/more ]; do sleep 0.05; done
      seq 1 31 | sed 's/^/late /'
      while [ ! -e $T/done ]; do sleep 0.05; done
EOF
"$DROVER" run --no-tui chatty.yaml >"$T/chatty.out" 2>&1 &
runner=$!
tui_start 100 30 "$DROVER" attach 2
tui_wait "attach follows the other process's run" 'run 2 +chatty .*running'
tui_wait "its running step's committed lines show" 'log: 31 lines'
like "down to the last one" "$(tui_screen)" '^ early 31 *$'
touch "$T/more"
tui_wait "lines written later appear as they are committed" 'log: 62 lines'
like "the newest on the last row" "$(row 28)" '^ late 31 *$'
touch "$T/done"
tui_wait "and the end of the run shows" 'run 2 +chatty .*succeeded'
wait "$runner"
tui_stop

# Searching a big log never freezes the console: it goes a slice at a
# time between keys, and Esc stops it.  Enter and Esc go in one write, so
# the Esc is read before the search has looked at anything.
cat >"$T/big.yaml" <<'EOF'
name: big
steps:
  - id: many
    run: seq 0 2999999 | sed 's/^/line /'
EOF
"$DROVER" run --no-tui big.yaml >/dev/null
tui_start 100 30 "$DROVER" attach 3
tui_wait "a run with 3,000,000 lines opens" 'log: 3000000 lines'
tui_keys L
tui_wait "its log opens full size" '^ line 2999999 *$'
tui_keys g
tui_wait "at the top" '^ line 0 *$'
tui_keys /
tui_type "absent"
tui_keys Enter Escape
tui_wait "Esc stops a search under way" 'search stopped \([0-9]+% looked at\)'
like "and leaves the log open where it was" "$(tui_screen)" '^ line 0 *$'
tui_keys /
tui_type "line 2999998"
tui_keys Enter
tui_wait "a search finds a line near the end" 'search: line 2999998'
like "and scrolls to it" "$(tui_screen)" '^ line 2999998 *$'
tui_keys N
tui_wait "N looks back from there and says when nothing is left" \
	"no more matches for 'line 2999998'"
tui_keys /
tui_type "absent"
tui_keys Enter
tui_wait "a search that finds nothing says so" 'not found: absent' 30
tui_stop

done_testing
