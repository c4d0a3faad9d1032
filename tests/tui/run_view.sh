#!/bin/sh
# run_view.sh - what the run view shows (tmux): it opens on the running or
# the first failed step; on_failure and finally steps say so in the graph
# and the list; the list's headings fit; the footer offers cancelling only
# where it can act; in ASCII a status never looks like a line.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; tap_end' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd "$T" || exit 1

footer() { tui_screen | tail -n 1; }

cat >"$T/sections.yaml" <<'YAML'
name: sections
steps:
  - id: prepare
    run: echo ready
  - id: migrate
    run: echo "migration broke" >&2; exit 4
  - id: deploy
    run: echo never
on_failure:
  - id: notify
    run: echo "telling the team"
finally:
  - id: cleanup
    run: echo "cleaning up"
YAML
"$DROVER" run --no-tui sections.yaml >/dev/null
tui_start 100 30 "$DROVER" attach 1
tui_wait "a failed run opens" 'run 1 +sections .*failed'
tui_wait "on its first failed step" '^✗ migrate *$'
like "with that step's error" "$(tui_screen)" 'exited with status 4'
like "on_failure steps are labelled in the graph" "$(tui_screen)" '✓ on_failure: notify'
unlike "a finished run's footer offers no cancel" "$(footer)" 'cancel'
tui_keys c
tui_wait "and c says why" 'no live run is open'
tui_keys G
tui_wait "G selects the last step, a finally one" '^✓ cleanup *$'
like "finally steps are labelled in the graph" "$(tui_screen)" '✓ finally: cleanup'
tui_keys v
tui_wait "v shows the list" 'STEP +STATUS +TRY +TIME +EXIT'
like "the list labels on_failure steps" "$(tui_screen)" 'on_failure: notify +succeeded'
like "and finally steps" "$(tui_screen)" 'finally: cleanup +succeeded'
tui_stop

# Beside the graph (from 120 columns) the list is narrower: no heading is
# cut.
tui_start 130 30 "$DROVER" attach 1
tui_wait "a wide screen puts the detail beside the graph" 'run 1 +sections'
tui_keys v
tui_wait "the list's headings are all there" 'STEP +STATUS +TRY +TIME +EXIT *│'
tui_stop

tui_start 100 30 "$DROVER" replay 1 --speed 0.05
tui_wait "a replay runs" '\[replay\]'
unlike "a replay's footer offers no cancel" "$(footer)" 'cancel'
tui_stop

# A live run opens on its running step; its own console offers cancel.
cat >"$T/waits.yaml" <<YAML
name: waits
steps:
  - id: first
    run: "true"
  - id: second
    run: while [ ! -e $T/go ]; do sleep 0.05; done
  - id: third
    run: "true"
YAML
"$DROVER" run --no-tui waits.yaml >/dev/null 2>&1 &
runner=$!
i=0
until "$DROVER" show 2 --json 2>/dev/null | jq -e '.steps[1].status == "running"' >/dev/null ||
	[ $i -gt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
tui_start 100 30 "$DROVER" attach 2
tui_wait "attach to a live run opens on its running step" '^▶ second *$'
like "another process's run is reached through its socket: c cancels it" "$(footer)" \
	'cancel'
tui_stop
touch "$T/go"
wait "$runner"
rm -f "$T/go"
tui_start 100 30 "$DROVER" run waits.yaml
tui_wait "drover run opens on the step that runs" '^▶ second *$'
like "its own run: the footer offers cancel" "$(footer)" 'c cancel'
touch "$T/go"
tui_wait "once the run ended" 'run 3 +waits .*succeeded'
unlike "it does not" "$(footer)" 'cancel'
tui_keys q
tui_stop

# ASCII: statuses and lines never share a glyph.
tui_start 100 30 env LANG=C LC_ALL=C "$DROVER" attach 1
tui_wait "in ASCII a succeeded step shows v" '^v prepare'
like "a failed one x" "$(tui_screen)" 'x migrate'
tui_stop

done_testing
