#!/bin/sh
# run_gates.sh - --auto-approve obeys a gate's rules like any approval:
# approvers, separate_duty and min_approvals.  A gate it cannot open
# refuses the run before anything starts (run and --dry-run alike); one it
# may open is recorded as the invoking user's, with the comment
# "auto-approve".
. "$TOP_SRCDIR/tests/tap.sh"
me=$(id -un)
other=drover-test-other
nogroup=drover-test-no-such-group

# gated APPROVAL: a new workflow $T/$wf.yaml whose step 'deploy', after
# 'before' (it leaves the marker $T/$wf.ran), waits for the approval body
# APPROVAL; 'after' prints the approval's outputs.
wf_n=0
gated() {
	wf_n=$((wf_n + 1))
	wf=gate$wf_n
	cat >"$T/$wf.yaml" <<YAML
name: $wf
steps:
  - id: before
    run: touch "$T/$wf.ran"
  - id: deploy
    depends_on: [before]
    approval: $1
  - id: after
    depends_on: [deploy]
    run: echo {{ steps.deploy.outputs.by }} {{ steps.deploy.outputs.comment }}
YAML
}

# refused NAME APPROVAL MESSAGE: run --auto-approve and --dry-run
# --auto-approve both exit 2 with MESSAGE, and nothing ran or was recorded.
refused() {
	gated "$2"
	n=$("$DROVER" ls --json -n 0 | jq length)
	"$DROVER" run "$T/$wf.yaml" --auto-approve >"$T/run.out" 2>&1; rc=$?
	"$DROVER" run "$T/$wf.yaml" --auto-approve --dry-run >"$T/dry.out" 2>&1; drc=$?
	is "$1: refused with exit 2" "$rc" 2
	is "$1: saying why and who may decide" "$(cat "$T/run.out")" "drover: $3"
	[ ! -e "$T/$wf.ran" ]; tap_result $? "$1: before it starts (no step ran)"
	is "$1: nothing recorded" "$("$DROVER" ls --json -n 0 | jq length)" "$n"
	is "$1: --dry-run exits 2 too" "$drc" 2
	is "$1: with the same message" "$(cat "$T/dry.out")" "$(cat "$T/run.out")"
}

# approved NAME APPROVAL: run --auto-approve succeeds, approved by me.
approved() {
	gated "$2"
	"$DROVER" run "$T/$wf.yaml" --auto-approve >"$T/$wf.out" 2>&1; rc=$?
	run=$(last_run)
	is "$1: approved" "$rc" 0
	is "$1: recorded as the invoking user's, commented auto-approve" \
		"$("$DROVER" show "$run" --json | jq -r '.approvals[0] | [.step, .decision, .by, .comment] | join(" ")')" \
		"deploy approved $me auto-approve"
	is "$1: the step's outputs say the same" "$("$DROVER" logs "$run" after)" "$me auto-approve"
}

refused "another user only" "{approvers: [$other]}" \
	"step 'deploy' needs an approval from $other; you are $me"
refused "users and groups that are not mine" "{approvers: [$other, alice, \"@$nogroup\"]}" \
	"step 'deploy' needs an approval from $other, alice or a member of @$nogroup (no such group on this host); you are $me"
refused "a group the host does not have" "{approvers: [\"@$nogroup\"]}" \
	"step 'deploy' needs an approval from a member of @$nogroup (no such group on this host); you are $me"
refused "separate_duty" "{separate_duty: true}" \
	"step 'deploy' has separate_duty: the user who starts the run ($me) may not approve it"
refused "separate_duty, though I am an approver" "{approvers: [$me], separate_duty: true}" \
	"step 'deploy' has separate_duty: the user who starts the run ($me) may not approve it"
refused "min_approvals 2" "{approvers: [$me, $other], min_approvals: 2}" \
	"step 'deploy' needs 2 approvals from distinct users; --auto-approve gives one"

approved "no approvers: anyone" "{message: go?}"
approved "the invoking user listed" "{approvers: [$other, $me]}"
approved "the invoking user's primary group" "{approvers: [$other, \"@$(id -gn)\"]}"
approved "separate_duty false" "{approvers: [$me], separate_duty: false}"

# The invoking user is the kernel's, not what the environment claims.
gated "{approvers: [$other]}"
out=$(USER=$other LOGNAME=$other "$DROVER" run "$T/$wf.yaml" --auto-approve 2>&1); rc=$?
is "\$USER does not make another user an approver" "$rc" 2
is "and the message names the real user" "$out" "drover: step 'deploy' needs an approval from $other; you are $me"

# A gate on a step (not a step of its own) follows the same rules.
cat >"$T/on-step.yaml" <<YAML
name: on-step
steps:
  - id: deploy
    approval: {approvers: [$other]}
    run: touch "$T/on-step.ran"
YAML
out=$("$DROVER" run "$T/on-step.yaml" --auto-approve 2>&1); rc=$?
is "a gate on a run step: refused" "$rc" 2
is "with the same message" "$out" "drover: step 'deploy' needs an approval from $other; you are $me"
[ ! -e "$T/on-step.ran" ]; tap_result $? "and its command did not run"

# A gate that can never open is not refused, whatever its rules.
cat >"$T/unreachable.yaml" <<YAML
name: unreachable
args:
  environment: {type: string, default: staging}
steps:
  - id: build
    run: "true"
  - id: deploy
    depends_on: [build]
    condition: args.environment == 'production'
    approval: {approvers: [$other], separate_duty: true, min_approvals: 1}
YAML
"$DROVER" run "$T/unreachable.yaml" --auto-approve >/dev/null 2>&1; rc=$?
is "a gate whose condition is false from the start: not refused" "$rc" 0
"$DROVER" run "$T/unreachable.yaml" >/dev/null 2>&1; rc=$?
is "not even without --auto-approve" "$rc" 0
"$DROVER" run "$T/unreachable.yaml" -a environment=production --auto-approve >/dev/null 2>&1; rc=$?
is "but refused when the condition holds" "$rc" 2

done_testing
