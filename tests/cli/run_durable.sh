#!/bin/sh
# run_durable.sh - nothing runs ahead of the history (SPEC 1, 7): a step
# starts only once its start is committed, so while the history cannot
# be written nothing new starts; a cancel then still cancels, a second
# signal ends the process, and resume runs every step exactly once.
# The history is held by another process's write lock (sqlite3), which
# drover meets exactly as it would a full disk.
. "$TOP_SRCDIR/tests/tap.sh"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 shell is not installed"

cat >"$T/three.yaml" <<'YAML'
name: three
steps:
  - id: first
    run: echo first >>"$COUNT"; sleep 1
  - id: second
    run: echo second >>"$COUNT"
  - id: third
    run: echo third >>"$COUNT"
YAML
export COUNT="$T/count"

# wait_for FILE PATTERN SECS: until FILE has a line matching PATTERN
wait_for() {
	i=0
	while ! grep -Eq "$2" "$1" 2>/dev/null && [ $i -lt $(($3 * 20)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -Eq "$2" "$1" 2>/dev/null
}

"$DROVER" run "$T/three.yaml" >/dev/null 2>&1	# creates the history
rm -f "$COUNT"

# 1. Locked while 'first' runs: it ends, and nothing else starts.
"$DROVER" run "$T/three.yaml" --no-tui >"$T/out1" 2>&1 &
pid=$!
wait_for "$COUNT" first 10
hold_history_lock
sleep 3
is "while the history is locked, no step starts after the one running" "$(cat "$COUNT")" first
kill -KILL "$pid"
wait "$pid" 2>/dev/null
release_history_lock
run=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
is "after a SIGKILL the run is interrupted" "$("$DROVER" ls --json -n 1 | jq -r '.[0].status')" interrupted
is "and the history never saw 'second' start" "$(step_field "$run" second status)" pending
"$DROVER" resume "$run" >"$T/resume1" 2>&1; rc=$?
is "resume finishes it" "$rc" 0
# 'first' ended unrecorded, so it runs again; the others ran once.
is "every step whose end was recorded ran once" "$(cat "$COUNT" | tr '\n' ' ')" \
	"first first second third "

# 2. A cancel while the history is locked cancels, and is recorded once
# the history can be written.
rm -f "$COUNT"
"$DROVER" run "$T/three.yaml" --no-tui >"$T/out2" 2>&1 &
pid=$!
wait_for "$COUNT" first 10
hold_history_lock
sleep 2
kill -TERM "$pid"
sleep 1
release_history_lock
wait "$pid"; rc=$?
is "cancelled while the history was locked: exit 3" "$rc" 3
run=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
is "the run is recorded cancelled" "$("$DROVER" show "$run" --json | jq -r .status)" cancelled
is "and nothing after the cancel ran" "$(cat "$COUNT")" first

# 3. A second signal while the history stays locked ends the process.
rm -f "$COUNT"
"$DROVER" run "$T/three.yaml" --no-tui >"$T/out3" 2>&1 &
pid=$!
wait_for "$COUNT" first 10
hold_history_lock
sleep 2
kill -TERM "$pid"
sleep 0.5
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
	is "a second signal ends drover at once" running ended
	kill -KILL "$pid"
else
	is "a second signal ends drover at once" ended ended
fi
wait "$pid"; rc=$?
is "with exit status 3" "$rc" 3
like "saying the run can be resumed" "$(cat "$T/out3")" "drover resume [0-9]+"
release_history_lock
run=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
is "the run is then interrupted" "$("$DROVER" ls --json -n 1 | jq -r '.[0].status')" interrupted
"$DROVER" resume "$run" >/dev/null 2>&1
is "and resume runs the rest once" "$(cat "$COUNT" | tr '\n' ' ')" "first first second third "

# --json: every object has its own seq, increasing, log lines included.
cat >"$T/lines.yaml" <<'YAML'
name: lines
steps:
  - id: many
    run: seq 1 500; seq 1 300 >&2
  - id: more
    run: printf 'a\nb\nc\n'
YAML
"$DROVER" run "$T/lines.yaml" --json >"$T/json" 2>/dev/null
is "--json seq is unique within the run" "$(jq -r .seq "$T/json" | sort -n | uniq -d | head -3)" ""
is "and increasing" "$(jq -r .seq "$T/json" | awk 'NR > 1 && $1 <= prev { print "no" } { prev = $1 }' | head -1)" ""
is "log lines have it too" "$(jq -r 'select(.type == "log") | .seq' "$T/json" | wc -l | tr -d ' ')" 803

done_testing
