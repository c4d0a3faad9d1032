#!/bin/sh
# run_cli.sh - drover run's command line: args, dry runs, JSON events,
# refusals.
. "$TOP_SRCDIR/tests/tap.sh"
W="$TOP_SRCDIR/tests/workflows"

cat >"$T/args.yaml" <<'YAML'
name: args
args:
  app: {type: string, required: true, pattern: "^[a-z]+$"}
  replicas: {type: integer, minimum: 1, maximum: 5, default: 2}
  regions: {type: array, default: [eu]}
  dry: {type: boolean, default: false}
steps:
  - id: show
    run: echo {{ args.app }} {{ args.replicas + 1 }} {{ args.regions | join(',') }} {{ args.dry }}
YAML
"$DROVER" run "$T/args.yaml" -a app=web -a replicas=3 -a 'regions=["a","b"]' -a dry=true >/dev/null
run=$(last_run)
is "-a values take their declared types" "$("$DROVER" logs "$run" show)" "web 4 a,b true"
printf 'app: api\nreplicas: 4\n' >"$T/args-file.yaml"
"$DROVER" run "$T/args.yaml" --args-file "$T/args-file.yaml" -a replicas=5 >/dev/null
run=$(last_run)
is "--args-file, with -a winning" "$("$DROVER" logs "$run" show)" "api 6 eu false"
n=$("$DROVER" ls --json -n 0 | jq length)
is "a missing required arg" "$("$DROVER" run "$T/args.yaml" 2>&1)" \
	"drover: missing required arg 'app': give it with -a app=VALUE"
fails "is a usage error" 2 "$DROVER" run "$T/args.yaml"
is "a value outside its range" "$("$DROVER" run "$T/args.yaml" -a app=web -a replicas=9 2>&1)" \
	"drover: arg 'replicas': 9 is above the maximum 5"
is "a value of the wrong type" "$("$DROVER" run "$T/args.yaml" -a app=web -a replicas=many 2>&1)" \
	"drover: arg 'replicas': 'many' is not an integer"
is "a value that breaks the pattern" "$("$DROVER" run "$T/args.yaml" -a app=Web 2>&1)" \
	"drover: arg 'app': 'Web' does not match the pattern ^[a-z]+\$"
is "an unknown arg, with a hint" "$("$DROVER" run "$T/args.yaml" -a app=web -a replica=2 2>&1)" \
	"drover: unknown arg 'replica' (did you mean 'replicas'?)"
is "refused runs leave no trace in the history" "$("$DROVER" ls --json -n 0 | jq length)" "$n"
fails "an invalid workflow is refused with exit 2" 2 "$DROVER" run "$W/invalid/cycle.yaml"

out=$("$DROVER" run "$T/args.yaml" -a app=web --dry-run); rc=$?
is "--dry-run exits 0" "$rc" 0
like "--dry-run prints the plan" "$out" "^level 0"
like "--dry-run shows the resolved args" "$out" "replicas = 2"
like "--dry-run runs nothing" "$out" "nothing was run"
is "--dry-run records nothing" "$("$DROVER" ls --json -n 0 | jq length)" "$n"

"$DROVER" run "$W/valid/basic.yaml" --json >"$T/events"
run=$(last_run)
jq -e . "$T/events" >/dev/null; tap_result $? "--json prints one JSON object per line"
is "every event carries the run number" "$(jq -r .run "$T/events" | sort -u)" "$run"
is "seq numbers count up from 1" "$(jq -r .seq "$T/events" | sort -n -u | head -1)" 1
like "step events" "$(cat "$T/events")" '"type":"step","step":"build","status":"running","attempt":1'
like "log events" "$(cat "$T/events")" '"type":"log","step":"build".*"stream":"stdout".*"line":"building"'
is "the last line is the run's end" "$(tail -n 1 "$T/events" | jq -c '{type, run, status, exit_code}')" \
	"{\"type\":\"run\",\"run\":$run,\"status\":\"succeeded\",\"exit_code\":0}"

"$DROVER" run "$W/muster/ai-optimized-deployment.yaml" -a app_name=web -a image_tag=v1.0.0 \
	-a environment=production >"$T/gate.out" 2>&1 &
gate_pid=$!
i=0
until grep -q 'decide with' "$T/gate.out" || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
run=$(last_run)
like "an approval gate without --auto-approve waits, saying how to decide it" \
	"$(cat "$T/gate.out")" "decide with: drover approve $run require_approval"
"$DROVER" reject "$run" require_approval >/dev/null 2>&1
wait "$gate_pid"; rc=$?
is "rejected from another shell, the run ends rejected" "$rc" 3
out=$(cd "$W/muster" && "$DROVER" run ai-optimized-deployment.yaml -a app_name=web -a image_tag=v1.0.0 2>&1); rc=$?
is "a gate whose condition is false from the start does not need an approver" "$rc" 0
(cd "$W/muster" && "$DROVER" run ai-optimized-deployment.yaml -a app_name=web -a image_tag=v1.0.0 -a environment=production --auto-approve >/dev/null 2>&1); rc=$?
run=$(last_run)
is "the Muster example runs unchanged with --auto-approve" "$rc" 0
is "the approval is recorded as the invoking user's" "$("$DROVER" show "$run" --json | jq -r '.approvals[0] | [.step, .decision, .by] | join(" ")')" "require_approval approved $(id -un)"
like "tool outputs flow to later steps (.results.ID.F)" "$("$DROVER" logs "$run" verify_deployment)" "web-production has 2 ready replicas"
is "the notification pair both ran" "$("$DROVER" show "$run" --json | jq -r '[.steps[] | select(.id == "update_monitoring" or .id == "notify_team") | .status] | join(" ")')" "succeeded succeeded"

cat >"$T/mcp.yaml" <<'YAML'
name: mcp
mcp_servers: {kube: {url: "http://127.0.0.1:9/mcp"}}
steps:
  - {id: call, mcp: {server: kube, tool: pods}}
YAML
out=$("$DROVER" run "$T/mcp.yaml" 2>&1); rc=$?
is "a step kind this version cannot run is refused before starting" "$rc" 2
like "and named" "$out" "step 'call' is an mcp step"

# drover ignores SIGPIPE itself; its steps must not inherit that.
run_wf sigpipe <<'YAML'
name: sigpipe
steps:
  - id: pipe
    run: yes | head -n 2
YAML
is "a pipeline cut short by head ends cleanly" "$rc" 0
unlike "SIGPIPE is at its default in steps (no write error)" \
	"$("$DROVER" logs "$run" pipe --stream stderr)" 'Broken pipe'

# How a step's process starts, and what it says when it cannot.
echo data >"$T/plain" && chmod 644 "$T/plain"
run_wf start <<YAML
name: start
steps:
  - {id: missing, run: [no-such-command-for-drover, x]}
  - {id: nowhere, run: "echo hi", workdir: /no-such-dir-for-drover, depends_on: []}
  - {id: notexec, run: [$T/plain], depends_on: []}
  - id: env
    depends_on: []
    workdir: /
    run: "pwd; ps -o pgid= -p \$\$; echo \$\$; read x; echo read=\$?"
YAML
is "a command not in PATH" "$(step_field "$run" missing error)" \
	"cannot start 'no-such-command-for-drover': No such file or directory"
is "a workdir that is not there" "$(step_field "$run" nowhere error)" \
	"cannot enter workdir '/no-such-dir-for-drover': No such file or directory"
is "a file that cannot be run" "$(step_field "$run" notexec error)" \
	"cannot start '$T/plain': Permission denied"
set -- $("$DROVER" logs "$run" env)
is "the workdir is entered" "$1" /
is "the step leads its own process group" "$2" "$3"
is "stdin is /dev/null" "$4" read=1

done_testing
