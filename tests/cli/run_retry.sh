#!/bin/sh
# run_retry.sh - SPEC 4.3: retries, their delays, fallbacks, rollbacks,
# on_failure and finally.
. "$TOP_SRCDIR/tests/tap.sh"

# Delays: 200ms then 400ms (exponential) -> the third attempt starts at
# least 600ms after the first.
run_wf retries <<'YAML'
name: retries
steps:
  - id: flaky
    run: echo attempt $DROVER_ATTEMPT; [ "$DROVER_ATTEMPT" = 3 ]
    retry: {attempts: 4, delay: 200ms, backoff: exponential}
YAML
is "a step that succeeds on its third attempt succeeds" "$rc" 0
is "three attempts were made" "$(step_field "$run" flaky attempts)" 3
first=$("$DROVER" show "$run" --json | jq '.steps[0].attempt_list[0].started_at' -r)
third=$("$DROVER" show "$run" --json | jq '.steps[0].attempt_list[2].started_at' -r)
gap=$(( $(date -d "$third" +%s%3N) - $(date -d "$first" +%s%3N) ))
[ "$gap" -ge 600 ] && [ "$gap" -lt 2500 ]
tap_result $? "exponential delays: the third attempt began ${gap}ms after the first (>= 600)"
is "each attempt is recorded" "$("$DROVER" show "$run" --json | jq -r '[.steps[0].attempt_list[].status] | join(" ")')" "failed failed succeeded"

run_wf linear <<'YAML'
name: linear
steps:
  - id: s
    run: exit 1
    retry: {attempts: 3, delay: 150ms, backoff: linear}
YAML
first=$("$DROVER" show "$run" --json | jq '.steps[0].attempt_list[0].started_at' -r)
third=$("$DROVER" show "$run" --json | jq '.steps[0].attempt_list[2].started_at' -r)
gap=$(( $(date -d "$third" +%s%3N) - $(date -d "$first" +%s%3N) ))
[ "$gap" -ge 450 ] && [ "$gap" -lt 2000 ]
tap_result $? "linear delays 150ms + 300ms: third attempt ${gap}ms after the first"
is "all attempts failed: the step failed after 3" "$(step_field "$run" s attempts)" 3

run_wf codes <<'YAML'
name: codes
steps:
  - {id: never, depends_on: [], run: exit 2, retry: {attempts: 3, except_exit_codes: [2]}}
  - {id: only, depends_on: [], run: exit 4, retry: {attempts: 3, on_exit_codes: [3]}}
  - {id: listed, depends_on: [], run: exit 3, retry: {attempts: 2, on_exit_codes: [3]}}
YAML
is "except_exit_codes are not retried" "$(step_field "$run" never attempts)" 1
is "codes outside on_exit_codes are not retried" "$(step_field "$run" only attempts)" 1
is "codes in on_exit_codes are retried" "$(step_field "$run" listed attempts)" 2

run_wf fallback <<'YAML'
name: fallback
steps:
  - id: primary
    run: exit 1
    fallback: {run: "echo degraded; echo mode=cache >> \"$DROVER_OUTPUT\""}
  - id: next
    run: echo {{ steps.primary.outputs.mode }}
YAML
is "a fallback that works lets the run succeed" "$rc" 0
is "the step counts as succeeded" "$(step_field "$run" primary status)" succeeded
is "the fallback's outputs stand in" "$("$DROVER" logs "$run" next)" cache

run_wf rollback <<YAML
name: rollback
steps:
  - id: one
    run: echo one
    rollback: {run: echo undo one >> $T/undo}
  - id: two
    run: echo two
    rollback: {run: echo undo two >> $T/undo}
  - id: three
    run: exit 1
    rollback: {run: echo undo three >> $T/undo}
on_failure:
  - id: tell
    run: echo "{{ error.step }} {{ error.rollback_status }}" >> $T/told
finally:
  - id: last
    run: echo finally >> $T/told
YAML
is "rollbacks run in reverse order of completion, only for steps that succeeded" \
	"$(cat "$T/undo")" "undo two
undo one"
is "on_failure steps see error.step and the rollback status, then finally runs" \
	"$(cat "$T/told")" "three succeeded
finally"
is "rollback attempts are recorded" "$("$DROVER" show "$run" --json | jq -r '[.steps[] | .attempt_list[] | select(.phase == "rollback") | .status] | join(" ")')" "succeeded succeeded"

run_wf ok_cleanup <<YAML
name: ok-cleanup
steps:
  - {id: fine, run: echo fine}
on_failure:
  - {id: page, run: echo paged >> $T/paged}
finally:
  - {id: bye, run: echo bye}
YAML
is "a successful run does not run on_failure" "$(step_field "$run" page status)" skipped
[ ! -e "$T/paged" ]; tap_result $? "nothing was paged"
is "finally runs after a success" "$(step_field "$run" bye status)" succeeded

done_testing
