#!/bin/sh
# run_triggers.sh - SPEC 4.2: conditions, triggers and final statuses.
. "$TOP_SRCDIR/tests/tap.sh"

run_wf triggers <<'YAML'
name: triggers
args:
  env: {type: string, default: staging}
steps:
  - id: fails
    run: exit 1
    allow_failure: true
  - id: skipped
    depends_on: []
    condition: args.env == 'production'
    run: echo never
  - id: after_skip
    depends_on: [skipped]
    run: echo runs after a skipped step
  - id: boom
    depends_on: []
    run: exit 2
  - id: downstream
    depends_on: [boom]
    run: echo never
  - id: done
    depends_on: [boom, fails]
    trigger: all_done
    run: echo all done
  - id: on_fail
    depends_on: [boom]
    trigger: any_failed
    run: echo something failed
  - id: no_fail
    depends_on: [after_skip]
    trigger: any_failed
    run: echo never
  - id: always
    depends_on: [downstream]
    trigger: always
    run: echo always
YAML
is "a failed step fails the run (exit 1)" "$rc" 1
is "allow_failure: the step is failed" "$(step_field "$run" fails status)" failed
is "condition false: skipped" "$(step_field "$run" skipped status)" skipped
is "a skipped dependency counts as successful" "$(step_field "$run" after_skip status)" succeeded
is "a failed dependency: upstream_failed" "$(step_field "$run" downstream status)" upstream_failed
is "all_done runs after a failure" "$(step_field "$run" done status)" succeeded
is "any_failed runs when a dependency failed" "$(step_field "$run" on_fail status)" succeeded
is "any_failed is skipped when none failed" "$(step_field "$run" no_fail status)" skipped
is "always runs after upstream_failed" "$(step_field "$run" always status)" succeeded
is "the run is failed" "$("$DROVER" show "$run" --json | jq -r .status)" failed
like "the run's error names the failed step" "$("$DROVER" show "$run" --json | jq -r .error)" "step 'boom': exited with status 2"

run_wf allowed <<'YAML'
name: allowed
steps:
  - {id: a, run: exit 5, allow_failure: true}
  - {id: b, run: echo b ran}
YAML
is "allow_failure: the run succeeds" "$rc" 0
is "allow_failure: dependents see the step as done" "$(step_field "$run" b status)" succeeded
is "the failed step keeps its exit code" "$(step_field "$run" a exit_code)" 5

run_wf stops <<'YAML'
name: stops
steps:
  - {id: first, depends_on: [], run: exit 1}
  - {id: slow, depends_on: [], run: sleep 0.5}
  - {id: later, depends_on: [slow], run: echo never}
YAML
is "running steps finish after a failure" "$(step_field "$run" slow status)" succeeded
is "no new step starts after a failure" "$(step_field "$run" later status)" cancelled

run_wf outputs <<'YAML'
name: outputs
steps:
  - id: make
    run: |
      echo version=1.2.3 >> "$DROVER_OUTPUT"
      printf 'notes<<EOF\nline one\nline two\nEOF\n' >> "$DROVER_OUTPUT"
      echo printed
    outputs:
      tag: "v{{ steps.make.outputs.version }}"
  - id: use
    run: echo {{ steps.make.outputs.tag }} {{ steps.make.outputs.stdout }} {{ steps.make.exit_code }}
YAML
is "outputs run succeeds" "$rc" 0
is "key=value outputs" "$(step_field "$run" make outputs.version)" 1.2.3
is "key<<DELIM outputs keep their lines" "$(step_field "$run" make outputs.notes)" "line one
line two"
is "outputs: templates" "$(step_field "$run" make outputs.tag)" v1.2.3
is "later steps read them" "$("$DROVER" logs "$run" use)" "v1.2.3 printed 0"

done_testing
