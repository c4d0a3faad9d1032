#!/bin/sh
# run_approvals.sh - a gate waits for people (SPEC 5.4): drover run
# --no-tui prints how to decide it and waits; drover approve and drover
# reject decide it from another shell, as the Unix user the kernel says;
# the gate's rules refuse who may not (and every refusal is recorded);
# min_approvals counts users once; timeouts, inputs, cancelling while it
# waits, and a decision bound to what the gate showed.
. "$TOP_SRCDIR/tests/tap.sh"
me=$(id -un)
other=drover-test-other

# gated NAME APPROVAL: $T/NAME.yaml, whose step 'deploy' (after 'build')
# waits for APPROVAL; 'after' prints what the gate's outputs say.
gated() {
	cat >"$T/$1.yaml" <<YAML
name: $1
args:
  tag: {type: string, default: v7}
steps:
  - id: build
    run: echo built >>"$T/$1.builds"
  - id: deploy
    depends_on: [build]
    approval: $2
  - id: after
    depends_on: [deploy]
    run: echo "by={{ steps.deploy.outputs.by }} comment={{ steps.deploy.outputs.comment }}"
YAML
}

# start NAME [ARGS]: runs $T/NAME.yaml with --no-tui in the background
# ($pid) and waits until step 'deploy' waits ($run is its number).
start() {
	wf=$1; shift
	"$DROVER" run --no-tui "$T/$wf.yaml" "$@" >"$T/$wf.out" 2>"$T/$wf.err" &
	pid=$!
	i=0
	until [ "$("$DROVER" ls --json -n 1 2>/dev/null | jq -r '.[0].workflow')" = "$wf" ] &&
	    [ "$(step_field "$(last_run)" deploy status)" = \
	    waiting ] || [ $i -gt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	run=$(last_run)
}

# approvals RUN: the run's recorded decisions, one per line.
approvals() {
	"$DROVER" show "$1" --json | jq -r '.approvals[] |
	    [.step, .decision, .by, (if .refused then "refused" else "taken" end),
	    (.comment // ""), (.reason // "")] | join("|")'
}

# --- approved from another shell ---
gated simple "{message: 'Deploy {{ args.tag }}?'}"
start simple
is "the step waits for a decision" "$(step_field "$run" deploy status)" waiting
like "the line printer shows what the gate asks" "$(cat "$T/simple.out")" 'Deploy v7\?'
like "and how to decide it" "$(cat "$T/simple.out")" \
	"decide with: drover approve $run deploy +\(or: drover reject $run deploy\)"
out=$("$DROVER" approve "$run" deploy -m "looks good" 2>&1); rc=$?
is "drover approve exits 0" "$rc" 0
is "saying what was recorded" "$out" "$me approved step 'deploy' of run $run"
wait "$pid"; rc=$?
is "the run then goes on and succeeds" "$rc" 0
is "the gate's outputs say who and why" "$("$DROVER" logs "$run" after)" \
	"by=$me comment=looks good"
is "the decision is in the history" "$(approvals "$run")" \
	"deploy|approved|$me|taken|looks good|"
like "bound to the hash of what the gate showed" \
	"$("$DROVER" show "$run" --json | jq -r '.approvals[0].hash')" '^[0-9a-f]{64}$'
like "drover show lists it" "$("$DROVER" show "$run")" \
	"deploy +approved by $me at .*: looks good"

# --- rejected ---
gated rejected "{message: go?}"
start rejected
out=$("$DROVER" reject "$run" deploy -m "not today" 2>&1); rc=$?
is "drover reject exits 0" "$rc" 0
is "saying so" "$out" "$me rejected step 'deploy' of run $run"
wait "$pid"; rc=$?
is "the run ends rejected, exit 3" "$rc" 3
is "rejected in the history" "$(last_run status)" rejected
is "the gated step failed, saying who rejected it" "$(step_field "$run" deploy error)" \
	"rejected by $me: not today"
is "and what depended on it did not run" "$(step_field "$run" after status)" upstream_failed

# --- refusals, each recorded with its reason ---
gated refusals "{approvers: [$other]}"
start refusals
out=$("$DROVER" approve "$run" deploy 2>&1); rc=$?
is "a user not in approvers is refused: exit 2" "$rc" 2
is "saying who may decide" "$out" \
	"drover: step 'deploy' may be decided only by $other; you are $me"
out=$("$DROVER" reject "$run" deploy 2>&1); rc=$?
is "rejecting needs the same right" "$rc" 2
out=$("$DROVER" approve "$run" build 2>&1); rc=$?
is "a step that does not wait: refused" "$rc" 2
is "saying what it is" "$out" "drover: step 'build' is not waiting for a decision (it is succeeded)"
out=$("$DROVER" approve "$run" nosuch 2>&1); rc=$?
is "a step the run does not have: refused" "$rc" 2
is "naming it" "$out" "drover: run $run has no step 'nosuch'"
is "still waiting after all that" "$(step_field "$run" deploy status)" waiting
is "every refusal is recorded, with its reason" "$(approvals "$run")" \
"deploy|approved|$me|refused||step 'deploy' may be decided only by $other; you are $me
deploy|rejected|$me|refused||step 'deploy' may be decided only by $other; you are $me
build|approved|$me|refused||step 'build' is not waiting for a decision (it is succeeded)"
"$DROVER" cancel "$run" >/dev/null 2>&1
wait "$pid"; rc=$?
is "cancelling a run that waits: exit 3" "$rc" 3
is "the waiting step is cancelled" "$(step_field "$run" deploy status)" cancelled
is "saying it was waiting" "$(step_field "$run" deploy error)" \
	"cancelled while waiting for a decision"
out=$("$DROVER" approve "$run" deploy 2>&1); rc=$?
is "a decision on a finished run: exit 2" "$rc" 2
is "saying it has ended" "$out" \
	"drover: run $run cannot be decided: it is not running (it ended cancelled)"

# --- ls: live runs first, those waiting for me before them; --waiting ---
gated theirs "{approvers: [$other]}"
start theirs
theirs=$run; theirs_pid=$pid
gated mine "{message: 'mine?'}"
start mine
mine=$run; mine_pid=$pid
gated done "{message: x}"
"$DROVER" run --no-tui --auto-approve "$T/done.yaml" >/dev/null 2>&1
is "ls puts the run waiting for me first" "$("$DROVER" ls --json | jq -r '.[0].id')" "$mine"
like "saying so" "$("$DROVER" ls | sed -n 2p)" "^ +$mine +waiting for you +mine"
is "then the live run waiting for someone else, before the finished one" \
	"$("$DROVER" ls --json | jq -r '[.[1].id, .[1].status, .[2].status] | join(" ")')" \
	"$theirs running succeeded"
is "ls --waiting lists the gates I may decide, and only those" \
	"$("$DROVER" ls --waiting --json | jq -r '[.[] | "\(.run) \(.step)"] | join(",")')" \
	"$mine deploy"
like "as a table" "$("$DROVER" ls --waiting)" "^ +$mine +deploy +mine +.*mine\?"
"$DROVER" approve "$mine" deploy >/dev/null 2>&1
wait "$mine_pid"
is "once decided it is no longer listed" "$("$DROVER" ls --waiting)" "no gate waits for you"
"$DROVER" cancel "$theirs" >/dev/null 2>&1
wait "$theirs_pid"

# separate_duty: the user who started the run may not decide.
gated duty "{separate_duty: true}"
start duty
out=$("$DROVER" approve "$run" deploy 2>&1); rc=$?
is "separate_duty refuses the starter" "$rc" 2
is "saying someone else must" "$out" \
	"drover: step 'deploy' has separate_duty: $me started the run and may not decide it; someone else must"
"$DROVER" cancel "$run" >/dev/null 2>&1
wait "$pid"

# min_approvals counts each user once.
gated twice "{min_approvals: 2}"
start twice
out=$("$DROVER" approve "$run" deploy 2>&1); rc=$?
is "the first approval of two is taken" "$rc" 0
is "the step still waits" "$(step_field "$run" deploy status)" waiting
out=$("$DROVER" approve "$run" deploy 2>&1); rc=$?
is "the same user again is refused" "$rc" 2
is "saying another user must approve" "$out" \
	"drover: you approved step 'deploy' already; 1 more approval from other users is needed"
like "the line printer says one more is needed" "$(cat "$T/twice.out")" \
	'1 approval needed from anyone'
"$DROVER" cancel "$run" >/dev/null 2>&1
wait "$pid"

# --- a decision bound to what was shown: a stale hash is refused ---
SOCKPEER=${TOP_BUILDDIR:-$(pwd)}/tests/cli/sockpeer
gated bound "{message: 'bound?'}"
start bound
uuid=$("$DROVER" show "$run" --json | jq -r .uuid)
hash=$("$DROVER" ls --waiting --json | jq -r '.[0].gate.hash')
stale=$(printf '%064d' 0)
out=$(printf '{"type":"hello","protocol":1}\n{"type":"approve","id":7,"step":"deploy","hash":"%s"}\n' \
	"$stale" | "$SOCKPEER" -t 5 "$DROVER_RUNTIME_DIR/$uuid.sock" 2>/dev/null | sed -n 2p)
is "an approval of content that is not what the gate shows is refused" \
	"$(printf '%s' "$out" | jq -r '[.type, .id, .code] | join(" ")')" "error 7 denied"
like "saying to look again" "$(printf '%s' "$out" | jq -r .message)" \
	"changed since it was shown to you: look again"
out=$(printf '{"type":"hello","protocol":1}\n{"type":"approve","step":"deploy","hash":"%s"}\n' \
	"$hash" | "$SOCKPEER" -t 5 "$DROVER_RUNTIME_DIR/$uuid.sock" 2>/dev/null | sed -n 2p)
is "with the hash it shows, it is taken" "$(printf '%s' "$out" | jq -r .type)" ok
wait "$pid"; rc=$?
is "and the run goes on" "$rc" 0
is "the refusal and the approval are recorded with the hash each was made on" \
	"$("$DROVER" show "$run" --json | jq -r '[.approvals[] | "\(.refused) \(.hash == $h)"] | join(",")' --arg h "$hash")" \
	"true false,false true"

# --- what a gate shows changes, so does what it may be decided on ---
# The gate lets 'ship' run, which also waits for 'pick'; pick fails once,
# then (retried) outputs another version.
cat >"$T/changes.yaml" <<YAML
name: changes
steps:
  - id: gate
    approval: {message: ship it?}
  - id: pick
    depends_on: []
    run: |
      if [ ! -e "$T/picked" ]; then touch "$T/picked"; echo version=1 >>"\$DROVER_OUTPUT"; exit 1; fi
      while [ ! -e "$T/pick.go" ]; do sleep 0.05; done
      echo version=2 >>"\$DROVER_OUTPUT"
    retry: {attempts: 2, delay: 100ms}
  - id: ship
    depends_on: [gate, pick]
    run: echo shipping {{ steps.pick.outputs.version }}
YAML
rm -f "$T/picked" "$T/pick.go"
"$DROVER" run --no-tui "$T/changes.yaml" >"$T/changes.out" 2>&1 &
pid=$!
i=0
until [ -e "$T/picked" ] && [ "$("$DROVER" ls --waiting --json | jq length)" = 1 ] || [ $i -gt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
run=$(last_run)
like "while 'pick' runs, the gate says what 'ship' will run is not known yet" \
	"$("$DROVER" ls --waiting --json | jq -r '.[0].gate.content')" \
	"ship: \\(not known yet: it waits for 'pick'\\)"
old=$("$DROVER" ls --waiting --json | jq -r '.[0].gate.hash')
out=$("$DROVER" approve "$run" gate 2>&1); rc=$?
is "approving what is not known yet is refused" "$rc" 2
like "saying to decide once it is" "$out" "is not known yet .*: decide once it is"
touch "$T/pick.go"
i=0
until [ "$("$DROVER" ls --waiting --json | jq -r '.[0].gate.hash')" != "$old" ] || [ $i -gt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
is "once 'pick' has its output (after a retry), the gate shows what will run" \
	"$("$DROVER" ls --waiting --json | jq -r '.[0].gate.content')" "ship: echo shipping 2"
uuid=$("$DROVER" show "$run" --json | jq -r .uuid)
out=$(printf '{"type":"hello","protocol":1}\n{"type":"approve","step":"gate","hash":"%s"}\n' \
	"$old" | "$SOCKPEER" -t 5 "$DROVER_RUNTIME_DIR/$uuid.sock" 2>/dev/null | sed -n 2p)
like "an approval of what it showed before is refused" "$(printf '%s' "$out" | jq -r .message)" \
	"changed since it was shown to you"
"$DROVER" approve "$run" gate >/dev/null 2>&1; rc=$?
is "an approval of what it shows now is taken" "$rc" 0
[ "$rc" = 0 ] || "$DROVER" cancel --force "$run" >/dev/null 2>&1
wait "$pid"; rc=$?
is "and the run goes on" "$rc" 0
is "running what was approved" "$("$DROVER" logs "$run" ship)" "shipping 2"

# --- timeouts ---
# timed_out WHAT EXIT DECISION: a gate nobody decides within 1s, with
# on_timeout: WHAT, ends the run with EXIT, recorded as DECISION by the timeout.
timed_out() {
	gated "late_$1" "{timeout: 1s, on_timeout: $1}"
	"$DROVER" run --no-tui "$T/late_$1.yaml" >"$T/late_$1.out" 2>&1; rc=$?
	run=$(last_run)
	is "on_timeout: $1 ends the run with exit $2" "$rc" "$2"
	is "recorded as $3 by the timeout" "$(approvals "$run")" \
		"deploy|$3|timeout|taken|no decision in time (on_timeout: $1)|"
}
timed_out reject 3 rejected
timed_out approve 0 approved

# --- inputs, typed like args ---
cat >"$T/inputs.yaml" <<YAML
name: inputs
steps:
  - id: deploy
    approval:
      message: how many?
      inputs:
        replicas: {type: integer, required: true, minimum: 1, maximum: 9}
        region: {type: string, default: eu}
  - id: scale
    depends_on: [deploy]
    run: echo "{{ steps.deploy.outputs.replicas }} in {{ steps.deploy.outputs.region }}"
YAML
start inputs
out=$("$DROVER" approve "$run" deploy -i replicas=42 2>&1); rc=$?
is "a bad input is refused: exit 2" "$rc" 2
like "saying which rule it breaks" "$out" "inputs of step 'deploy': .*replicas"
out=$("$DROVER" approve "$run" deploy 2>&1); rc=$?
is "a missing required input is refused" "$rc" 2
out=$("$DROVER" approve "$run" deploy -i replicas=3 2>&1); rc=$?
is "good inputs are taken" "$rc" 0
wait "$pid"; rc=$?
is "and the run succeeds" "$rc" 0
is "the inputs are the gate's outputs, defaults filled in" "$("$DROVER" logs "$run" scale)" \
	"3 in eu"
out=$("$DROVER" reject 1 deploy -i a=b 2>&1); rc=$?
is "reject takes no inputs" "$rc" 2

# --- notify: {run: CMD} runs CMD when the gate opens, told of it in env ---
cat >"$T/notified.yaml" <<YAML
name: notified
steps:
  - id: deploy
    approval:
      message: ship it?
      notify: {run: 'printf "%s|%s|%s\\n" "\$DROVER_GATE_MESSAGE" "\$DROVER_APPROVE" "\$DROVER_STEP_ID" >"$T/notified"'}
YAML
"$DROVER" run --no-tui "$T/notified.yaml" >"$T/notified.out" 2>&1 &
pid=$!
wait_until test -s "$T/notified"
run=$(last_run)
is "notify.run ran when the gate opened, with the gate in its environment" \
	"$(cat "$T/notified")" "ship it?|drover approve $run deploy|deploy"
"$DROVER" approve "$run" deploy >/dev/null 2>&1
wait "$pid"; rc=$?
is "and the run went on" "$rc" 0

# --- usage ---
out=$("$DROVER" approve 2>&1); rc=$?
is "approve without a run: exit 2" "$rc" 2
out=$("$DROVER" approve 1 2>&1); rc=$?
is "approve without a step: exit 2" "$rc" 2
like "asking for it" "$out" 'which step'
out=$("$DROVER" approve 999 deploy 2>&1); rc=$?
is "approve of no such run: exit 2" "$rc" 2
out=$("$DROVER" approve 1 deploy -i novalue 2>&1); rc=$?
is "-i without = is a usage error" "$rc" 2

done_testing
