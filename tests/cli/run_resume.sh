#!/bin/sh
# run_resume.sh - a run killed with SIGKILL is resumed from its history;
# steps that had succeeded do not run again.  And retry.
. "$TOP_SRCDIR/tests/tap.sh"

cat >"$T/crash.yaml" <<YAML
name: crash
steps:
  - {id: one, run: "echo x >> $T/count-one; echo v=1 >> \"\$DROVER_OUTPUT\""}
  - {id: two, run: "echo x >> $T/count-two"}
  - {id: slow, run: "echo x >> $T/count-slow; touch $T/slow-started; sleep 3"}
  - {id: three, run: "echo {{ steps.one.outputs.v }} >> $T/count-three"}
YAML
"$DROVER" run "$T/crash.yaml" >"$T/first.out" 2>&1 &
pid=$!
for i in $(seq 1 50); do [ -e "$T/slow-started" ] && break; sleep 0.1; done
kill -KILL $pid
wait $pid 2>/dev/null
run=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
is "a run whose process died is interrupted" "$("$DROVER" show "$run" --json | jq -r .status)" interrupted
is "ls marks it too" "$("$DROVER" ls --status interrupted --json | jq -r '.[0].id')" "$run"
"$DROVER" resume "$run" >"$T/resume.out" 2>&1; rc=$?
is "resume finishes the run" "$rc" 0
is "it is the same run, now succeeded" "$("$DROVER" show "$run" --json | jq -r .status)" succeeded
is "steps that had succeeded ran once" "$(cat "$T/count-one" "$T/count-two" | wc -l)" 2
is "the interrupted step ran again" "$(wc -l < "$T/count-slow")" 2
is "later steps read the outputs of steps before the crash" "$(cat "$T/count-three")" 1
is "the interrupted step has a second attempt" "$(step_field "$run" slow attempts)" 2
is "every step is succeeded" "$("$DROVER" show "$run" --json | jq -r '[.steps[].status] | unique | join(" ")')" succeeded
fails "a finished run cannot be resumed" 2 "$DROVER" resume "$run"

# retry: a new run with the same text and args, reusing what succeeded.
cat >"$T/retry.yaml" <<YAML
name: retry-me
args:
  who: {type: string, default: world}
steps:
  - {id: a, run: "echo x >> $T/ra; echo who={{ args.who }} >> \"\$DROVER_OUTPUT\""}
  - {id: b, run: "test -e $T/fixed"}
  - {id: c, run: "echo {{ steps.a.outputs.who }} >> $T/rc"}
YAML
"$DROVER" run "$T/retry.yaml" -a who=drover >/dev/null 2>&1
first=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
touch "$T/fixed"
"$DROVER" retry "$first" >"$T/retry.out" 2>&1; rc=$?
second=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
is "retry succeeds once the cause is fixed" "$rc" 0
[ "$second" != "$first" ]; tap_result $? "retry makes a new run ($second)"
is "the step that had succeeded is reused, not run" "$(wc -l < "$T/ra")" 1
is "and recorded as cached" "$(step_field "$second" a cached)" true
is "its outputs and the args carry over" "$(cat "$T/rc")" drover
"$DROVER" retry "$second" --from b >/dev/null 2>&1
third=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
is "retry --from reruns STEP and what follows" "$(step_field "$third" b cached)/$(step_field "$third" c cached)" false/false
is "but not what comes before" "$(step_field "$third" a cached)" true
fails "retry --from an unknown step is an error" 2 "$DROVER" retry "$second" --from zz

done_testing
