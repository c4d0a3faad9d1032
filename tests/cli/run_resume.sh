#!/bin/sh
# run_resume.sh - a run killed with SIGKILL is resumed from its history;
# steps that had succeeded do not run again.  And retry.
. "$TOP_SRCDIR/tests/tap.sh"

cat >"$T/crash.yaml" <<YAML
name: crash
steps:
  - {id: one, run: "echo x >> $T/count-one; echo v=1 >> \"\$DROVER_OUTPUT\""}
  - {id: two, run: "echo x >> $T/count-two; mkdir -p \"\$DROVER_OUTPUT.d/x\"; echo y > \"\$DROVER_OUTPUT.d/x/f\""}
  - {id: slow, run: "echo x >> $T/count-slow; touch $T/slow-started; sleep 3"}
  - {id: three, run: "echo {{ steps.one.outputs.v }} >> $T/count-three"}
YAML
crash_run "$T/crash.yaml" "$T/slow-started"
is "a run whose process died is interrupted" "$("$DROVER" show "$run" --json | jq -r .status)" interrupted
is "ls marks it too" "$("$DROVER" ls --status interrupted --json | jq -r '.[0].id')" "$run"
"$DROVER" resume "$run" >"$T/resume.out" 2>&1; rc=$?
is "resume finishes the run, after clearing what its steps left in its directory" "$rc" 0
is "which is gone after it" "$(ls -A "$DROVER_RUNTIME_DIR" | grep -c '^run-' || true)" 0
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
first=$(last_run)
touch "$T/fixed"
"$DROVER" retry "$first" >"$T/retry.out" 2>&1; rc=$?
second=$(last_run)
is "retry succeeds once the cause is fixed" "$rc" 0
[ "$second" != "$first" ]; tap_result $? "retry makes a new run ($second)"
is "the step that had succeeded is reused, not run" "$(wc -l < "$T/ra")" 1
is "and recorded as cached" "$(step_field "$second" a cached)" true
is "its outputs and the args carry over" "$(cat "$T/rc")" drover
"$DROVER" retry "$second" --from b >/dev/null 2>&1
third=$(last_run)
is "retry --from reruns STEP and what follows" "$(step_field "$third" b cached)/$(step_field "$third" c cached)" false/false
is "but not what comes before" "$(step_field "$third" a cached)" true
fails "retry --from an unknown step is an error" 2 "$DROVER" retry "$second" --from zz

# What a killed run's steps left in its directory is cleared before resume
# starts anything; a tree too deep to clear stops it with a message.
cat >"$T/deep.yaml" <<YAML
name: deep
steps:
  - {id: nest, run: "cd \"\$(dirname \"\$DROVER_OUTPUT\")\"; for i in \$(seq 40); do mkdir d; cd d; done; touch $T/nested; [ -e $T/go ] || sleep 30"}
YAML
crash_run "$T/deep.yaml" "$T/nested"
"$DROVER" resume "$run" >"$T/deep.out" 2>&1; rc=$?
[ "$rc" != 0 ]; tap_result $? "resume of a run whose directory cannot be cleared fails (status $rc)"
like "saying where and why" "$(cat "$T/deep.out")" \
	"cannot empty .*/run-[^:]*: it holds directories nested too deep; remove it, then start the run again with drover retry"
rm -rf "$DROVER_RUNTIME_DIR"/run-*
touch "$T/go"
"$DROVER" retry "$run" >/dev/null 2>&1
is "and once it is removed, retry runs it" "$?" 0

done_testing
