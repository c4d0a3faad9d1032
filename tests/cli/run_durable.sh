#!/bin/sh
# run_durable.sh - nothing runs ahead of the history (SPEC 1, 7): a step
# starts only once its start is in the history (in the run's journal, or
# committed), the journal may run at most a second ahead of the commits,
# so while the history cannot be written nothing new starts after that; a
# cancel then still cancels, a second signal ends the process, and resume
# folds the journal in and runs every step whose end was recorded exactly
# once.  The history is held by another process's write lock (sqlite3),
# which drover meets exactly as it would a full disk.  A log file that
# cannot be written stops the history the same way until it can be.
. "$TOP_SRCDIR/tests/tap.sh"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 shell is not installed"

# 'first' ends a second after the lock is taken, while the journal may
# still lead: 'second' starts.  It ends two seconds later, when what the
# history has not committed is older than a second: 'third' waits.
cat >"$T/three.yaml" <<'YAML'
name: three
steps:
  - id: first
    run: echo first >>"$COUNT"; sleep 1
  - id: second
    run: echo second >>"$COUNT"; sleep 2
  - id: third
    run: echo third >>"$COUNT"
YAML
export COUNT="$T/count"


# start_locked OUT: runs three.yaml in the background (pid in $pid) and
# takes the history's lock once 'first' runs and its start is committed.
start_locked() {
	rm -f "$COUNT"
	"$DROVER" run "$T/three.yaml" --no-tui >"$1" 2>&1 &
	pid=$!
	wait_until grep -qs first "$COUNT"
	sleep 0.2
	hold_history_lock
}

"$DROVER" run "$T/three.yaml" >/dev/null 2>&1	# creates the history

# 1. Locked while 'first' runs: 'second' starts on the journal, 'third'
# does not, and resume takes the journal's record of 'second'.
start_locked "$T/out1"
sleep 4
is "while the history is locked, the run goes on at most a second on its journal" \
	"$(cat "$COUNT" | tr '\n' ' ')" "first second "
kill -KILL "$pid"
wait "$pid" 2>/dev/null
release_history_lock
run=$(last_run)
is "after a SIGKILL the run is interrupted" "$(last_run status)" interrupted
is "the run left its journal" "$(ls "$DROVER_DB-logs/$run.jnl" 2>&1)" "$DROVER_DB-logs/$run.jnl"
is "whose record of 'second' the history has not committed" "$(step_field "$run" second status)" pending
"$DROVER" resume "$run" >"$T/resume1" 2>&1; rc=$?
is "resume finishes it" "$rc" 0
is "after folding the journal in" "$(ls "$DROVER_DB-logs/$run.jnl" 2>&1 | grep -c 'No such')" 1
is "where 'second' started: it has a second attempt" \
	"$("$DROVER" show "$run" --json | jq -r '.steps[] | select(.id == "second") | .attempts')" 2
# 'first' ended recorded (in the journal): it ran once; 'second' ended
# unrecorded, so it ran again.
is "every step whose end was recorded ran once" "$(cat "$COUNT" | tr '\n' ' ')" \
	"first second second third "

# 2. A cancel while the history is locked cancels, and is recorded once
# the history can be written.
start_locked "$T/out2"
sleep 3.5
kill -TERM "$pid"
sleep 1
release_history_lock
wait "$pid"; rc=$?
is "cancelled while the history was locked: exit 3" "$rc" 3
run=$(last_run)
is "the run is recorded cancelled" "$("$DROVER" show "$run" --json | jq -r .status)" cancelled
is "and nothing after the cancel ran" "$(cat "$COUNT" | tr '\n' ' ')" "first second "
is "an ended run leaves no journal" "$(ls "$DROVER_DB-logs/$run.jnl" 2>&1 | grep -c 'No such')" 1

# 3. A second signal while the history stays locked ends the process.
start_locked "$T/out3"
sleep 3.5
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
run=$(last_run)
is "the run is then interrupted" "$(last_run status)" interrupted
"$DROVER" resume "$run" >/dev/null 2>&1
is "and resume runs the rest once" "$(cat "$COUNT" | tr '\n' ' ')" "first second second third "

# A journal that cannot be written (here a directory in its place) is
# said, once, and the run goes on, each start waiting for its commit.
rm -f "$COUNT"
next=$(($(last_run) + 1))
mkdir "$DROVER_DB-logs/$next.jnl"
"$DROVER" run "$T/three.yaml" --no-tui >"$T/out4" 2>&1; rc=$?
is "a run whose journal cannot be written succeeds" "$rc" 0
is "every step ran once" "$(cat "$COUNT" | tr '\n' ' ')" "first second third "
is "saying so once, with the file and why" \
	"$(grep -c "cannot write the run's journal $DROVER_DB-logs/$next.jnl: Is a directory" "$T/out4")" 1
is "and the history has the warning" "$(sqlite3 "$DROVER_DB" "SELECT count(*) FROM events
	WHERE run_id = $next AND type = 'note' AND data LIKE '%journal%'")" 1
rmdir "$DROVER_DB-logs/$next.jnl"

# Log text that cannot be written (a directory where the run's log file
# goes) stops the history, not the run: drover says why and waits, and
# once the file can be made the run ends with every byte of its log.
cat >"$T/lines.yaml" <<'YAML'
name: lines
steps:
  - id: print
    run: seq 1 200000
  - id: after
    depends_on: [print]
    run: echo after
YAML
next=$(($(last_run) + 1))
mkdir "$DROVER_DB-logs/$next.txt"
"$DROVER" run "$T/lines.yaml" --no-tui >"$T/out5" 2>&1 &
pid=$!
wait_until grep -qs "cannot write the log text" "$T/out5"
like "a log that cannot be written is said, with the file and why" "$(cat "$T/out5")" \
	"cannot write the log text of run $next to $DROVER_DB-logs/$next.txt: Is a directory \(the run waits until it can\)"
is "and the run waits" "$(kill -0 "$pid" 2>/dev/null && echo waiting)" waiting
rmdir "$DROVER_DB-logs/$next.txt"
wait "$pid"; rc=$?
is "once it can be written, the run succeeds" "$rc" 0
is "with every byte of the log" "$("$DROVER" logs "$next" print | cksum)" "$(seq 1 200000 | cksum)"
is "and the step after it ran" "$("$DROVER" logs "$next" after)" after

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
