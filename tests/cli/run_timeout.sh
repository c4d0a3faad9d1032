#!/bin/sh
# run_timeout.sh - timeouts and cancellation kill whole process groups.
. "$TOP_SRCDIR/tests/tap.sh"
printf 'kill_grace: 1s\n' >"$T/config.yaml"
export DROVER_CONFIG="$T/config.yaml"

alive() {	# alive PID: running and not a zombie
	[ -r "/proc/$1/stat" ] && ! awk '{ exit $3 != "Z" }' "/proc/$1/stat"
}

run_wf timeout <<YAML
name: timeout
steps:
  - id: slow
    run: sh -c 'sleep 30 & echo \$! > $T/grandchild; wait'
    timeout: 500ms
  - id: after
    run: echo never
YAML
is "a timed-out step fails the run" "$rc" 1
is "the step is timed_out" "$(step_field "$run" slow status)" timed_out
like "its error says so" "$(step_field "$run" slow error)" "timed out after 500ms"
sleep 0.3
! alive "$(cat "$T/grandchild")"; tap_result $? "the step's grandchild was killed too"

# A step that ignores SIGTERM gets SIGKILL after the grace period.
run_wf stubborn <<'YAML'
name: stubborn
steps:
  - id: deaf
    run: trap '' TERM; sleep 30
    timeout: 300ms
YAML
is "SIGKILL follows SIGTERM" "$(step_field "$run" deaf status)" timed_out
d=$(step_field "$run" deaf duration_ms)
[ "$d" -ge 1200 ] && [ "$d" -lt 5000 ]; tap_result $? "after the 1s grace period (took ${d}ms)"

run_wf runlimit <<'YAML'
name: runlimit
limits: {timeout: 400ms}
steps:
  - {id: long, run: sleep 30}
finally:
  - {id: cleanup, run: echo cleaned}
YAML
is "the run's own timeout: exit 4" "$rc" 4
is "the run is timed_out" "$("$DROVER" show "$run" --json | jq -r .status)" timed_out
is "finally still runs" "$(step_field "$run" cleanup status)" succeeded

# Ctrl-C: the first cancels gracefully, finally steps run.
cat >"$T/cancel.yaml" <<YAML
name: cancel
steps:
  - {id: a, run: "sleep 30 & echo \$! > $T/sleeper; wait"}
  - {id: b, run: echo never}
finally:
  - {id: f, run: echo finally}
YAML
"$DROVER" run "$T/cancel.yaml" >"$T/cancel.out" 2>&1 &
pid=$!
wait_until test -s "$T/sleeper"
kill -INT $pid
wait $pid; rc=$?
run=$(last_run)
is "Ctrl-C cancels: exit 3" "$rc" 3
is "the running step is cancelled" "$(step_field "$run" a status)" cancelled
is "the next one never starts" "$(step_field "$run" b status)" cancelled
is "finally runs after a cancel" "$(step_field "$run" f status)" succeeded
! alive "$(cat "$T/sleeper")"; tap_result $? "the cancelled step's processes are gone"

# A second Ctrl-C kills at once, even a step that ignores SIGTERM.
rm -f "$T/sleeper"
cat >"$T/kill.yaml" <<YAML
name: kill
steps:
  - {id: deaf, run: "trap '' TERM; echo \$\$ > $T/sleeper; sleep 30"}
YAML
start=$(date +%s%3N)
"$DROVER" run "$T/kill.yaml" >"$T/kill.out" 2>&1 &
pid=$!
wait_until test -s "$T/sleeper"
kill -INT $pid; sleep 0.2; kill -INT $pid
wait $pid; rc=$?
took=$(( $(date +%s%3N) - start ))
is "a second Ctrl-C: still exit 3" "$rc" 3
[ "$took" -lt 5000 ]; tap_result $? "and it does not wait for the grace period (${took}ms)"

done_testing
