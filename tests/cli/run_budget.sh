#!/bin/sh
# run_budget.sh - limits.budget: an llm step whose worst case does not fit
# what is left never sends its request and the run stops budget_exceeded
# (exit 5); warn_at warns once; what commands publish counts; a resumed
# run goes on from what it had spent; --dry-run's range brackets what the
# run then costs.  The tests' server answers chat completions with the
# usage drover estimates (tests/servers/httpd.js, /llm).
. "$TOP_SRCDIR/tests/tap.sh"
start_httpd

count() { curl -s "$HTTPD/_count?path=$1"; }
long=$(printf '%0400d' 0)	# 400 characters: 100 prompt tokens

# gpt-4o-mini costs 0.15 and 0.60 per 1M tokens: 100 tokens in and 50 out
# are $0.000045.
run_wf over <<YAML
name: over
limits: {budget: {max_cost: 0.00008}}
steps:
  - id: one
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "$long", max_tokens: 50}
  - id: two
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "$long", max_tokens: 50}
    retry: {attempts: 3, delay: 10ms}
  - id: three
    run: echo never
YAML
is "a step whose worst case does not fit stops the run: exit 5" "$rc" 5
is "the run is budget_exceeded" "$("$DROVER" show "$run" --json | jq -r .status)" budget_exceeded
is "the server saw only the first step's request" "$(count /llm/v1/chat/completions)" 1
is "the step failed, not retried" "$(step_field "$run" two status) $(step_field "$run" two attempts)" \
	"failed 1"
is "saying why" "$(step_field "$run" two error)" \
	'over budget: its worst case, $0.000045, with $0.000045 spent would pass max_cost $0.000080; nothing was sent'
is "nothing after it ran" "$(step_field "$run" three status)" cancelled
is "what was spent is the run's cost (in millionths of a dollar)" "$("$DROVER" show "$run" --json | jq -r ".cost_usd * 1e6 | round")" 45

run_wf warn <<YAML
name: warn
limits: {budget: {max_cost: 0.0001, warn_at: 0.4}}
steps:
  - id: one
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "$long", max_tokens: 50}
YAML
is "under the budget the run succeeds" "$rc" 0
like "past warn_at it warns" "$(cat "$T/warn.out")" 'budget: \$0\.000045 spent, 45% of max_cost \$0\.000100'

run_wf tokens <<YAML
name: tokens
limits: {budget: {max_tokens: 200}}
steps:
  - id: one
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "$long", max_tokens: 50}
  - id: two
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "$long", max_tokens: 50}
YAML
is "max_tokens is a budget too" "$rc" 5
is "saying so" "$(step_field "$run" two error)" \
	'over budget: its worst case, 150 tokens, with 150 spent would pass max_tokens 200; nothing was sent'

run_wf shell <<YAML
name: shell
limits: {budget: {max_cost: 1.0}}
steps:
  - id: pay
    run: echo cost_usd=1.25 >>"\$DROVER_OUTPUT"
  - id: next
    run: echo never
YAML
is "what a command publishes counts: over budget, the run stops" "$rc" 5
like "saying how much" "$(cat "$T/shell.out")" 'the run has spent \$1\.250000, over its max_cost \$1\.000000'
is "the command's step itself succeeded" "$(step_field "$run" pay status)" succeeded
is "and nothing after it ran" "$(step_field "$run" next status)" cancelled

# --- refused before the run ---
cat >"$T/unbounded.yaml" <<YAML
name: unbounded
limits: {budget: {max_cost: 1}}
steps:
  - id: a
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: hi}
YAML
out=$("$DROVER" run --no-tui "$T/unbounded.yaml" 2>&1); rc=$?
is "an llm step without max_tokens under a budget is refused" "$rc" 2
like "saying why" "$out" "step 'a' has no max_tokens, so what it may cost cannot be known"

# --- on_exceed: ask: the step waits for someone to raise the budget ---
cat >"$T/ask.yaml" <<YAML
name: ask
limits: {budget: {max_cost: 0.00008, on_exceed: ask}}
steps:
  - id: one
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "$long", max_tokens: 50}
  - id: two
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "$long", max_tokens: 50}
  - id: three
    run: echo after
YAML
gate_of() {	# gate_of RUN: the message of the gate that waits in RUN, once there is one
	i=0
	until "$DROVER" ls --waiting --json | jq -e --argjson r "$1" 'any(.[]; .run == $r)' >/dev/null ||
	    [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
	"$DROVER" ls --waiting --json | jq -r --argjson r "$1" '.[] | select(.run == $r) | .gate.message'
}
sent=$(count /llm/v1/chat/completions)
run=$("$DROVER" run --detach "$T/ask.yaml")
like "a step that does not fit waits at a gate, saying what was spent and what it may cost" \
	"$(gate_of "$run")" \
	'^Over budget: \$0\.000045 spent of max_cost \$0\.000080, and step .two. may cost up to \$0\.000045 \(projected \$0\.000090\)'
is "nothing of it was sent" "$(count /llm/v1/chat/completions)" $((sent + 1))
is "it is waiting" "$(step_field "$run" two status)" waiting
ok "an approver raises the budget" "$DROVER" approve "$run" two -i raise_by=0.0001
"$DROVER" logs "$run" -f >/dev/null 2>&1
is "then the step runs and the run succeeds" "$("$DROVER" show "$run" --json | jq -r .status)" succeeded
is "its request was sent" "$(count /llm/v1/chat/completions)" $((sent + 2))
log="$(dirname "$DROVER_DB")/runs/$("$DROVER" show "$run" --json | jq -r .uuid).log"
like "by how much, and by whom, is recorded in the run" "$(cat "$log")" \
	"budget raised by \\\$0\.000100 to \\\$0\.000180 by $(id -un), for step 'two'"
is "the decision is in the approvals" \
	"$("$DROVER" show "$run" --json | jq -r '.approvals[0] | "\(.step) \(.decision)"')" "two approved"

run=$("$DROVER" run --detach "$T/ask.yaml")
gate_of "$run" >/dev/null
ok "rejecting stops the run" "$DROVER" reject "$run" two -m "not worth it"
"$DROVER" logs "$run" -f >/dev/null 2>&1
is "as budget_exceeded" "$("$DROVER" show "$run" --json | jq -r .status)" budget_exceeded
is "the step failed, saying who stopped it" "$(step_field "$run" two error)" \
	"over budget: rejected by $(id -un): not worth it"
is "and nothing was sent for it" "$(count /llm/v1/chat/completions)" $((sent + 3))

run=$("$DROVER" run --detach "$T/ask.yaml")
gate_of "$run" >/dev/null
"$DROVER" approve "$run" two >/dev/null 2>&1
"$DROVER" logs "$run" -f >/dev/null 2>&1
is "approved without raise_by, the budget grows by what the step needs" \
	"$("$DROVER" show "$run" --json | jq -r .status)" succeeded

# --- resume goes on from what was spent ---
cat >"$T/resume.yaml" <<YAML
name: resume
limits: {budget: {max_cost: 1.0}}
steps:
  - id: a
    run: echo cost_usd=0.6 >>"\$DROVER_OUTPUT"
  - id: b
    run: while [ ! -e "$T/go" ]; do sleep 0.05; done
  - id: c
    run: echo cost_usd=0.5 >>"\$DROVER_OUTPUT"
YAML
run=$("$DROVER" run --detach "$T/resume.yaml")
i=0
until [ "$(step_field "$run" b status)" = running ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
pid=$("$DROVER" ls --json -n 0 | jq -r --argjson r "$run" '.[] | select(.id == $r) | .pid')
kill -KILL "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
touch "$T/go"
"$DROVER" resume --no-tui "$run" >"$T/resume.out" 2>&1; rc=$?
is "resumed, the spend before the crash still counts: over budget" "$rc" 5
is "step a was not run again" "$(step_field "$run" a attempts)" 1
is "the run's cost is counted once" "$("$DROVER" show "$run" --json | jq -r .cost_usd)" 1.1

# --- --dry-run's range brackets the real cost ---
cat >"$T/est.yaml" <<YAML
name: est
args: {topic: {type: string, default: releases}}
steps:
  - id: a
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o, system: be brief, prompt: "write about {{ args.topic }} $long", max_tokens: 40}
  - id: b
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "summarise {{ args.topic }}", max_tokens: 20}
  - id: c
    run: echo not an llm step
YAML
dry=$("$DROVER" run --dry-run --json "$T/est.yaml")
low=$(echo "$dry" | jq .cost.low_usd)
high=$(echo "$dry" | jq .cost.high_usd)
is "--dry-run --json: a command's cost is not known" "$(echo "$dry" | jq -c '.steps[2].cost')" null
is "the llm steps' are bounded" "$(echo "$dry" | jq -c '[.steps[0,1].cost.bounded]')" "[true,true]"
like "--dry-run prints the range per step and in total" "$("$DROVER" run --dry-run "$T/est.yaml")" \
	'^  total +\$0\.[0-9]+ - \$0\.[0-9]+  \([0-9]+ - [0-9]+ tokens\)$'
"$DROVER" run --no-tui "$T/est.yaml" >/dev/null 2>&1
real=$("$DROVER" show "$(last_run)" --json | jq .cost_usd)
ok "the real cost $real lies in the estimated range $low - $high" \
	awk -v l="$low" -v h="$high" -v r="$real" 'BEGIN { exit !(l <= r && r <= h) }'

done_testing
