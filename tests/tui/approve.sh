#!/bin/sh
# approve.sh - runs outlive their consoles, and gates are decided from
# anywhere (tmux): the console announces a gate that waits and shows, in
# its dialog, what the gated step will run; q detaches and the run goes
# on; drover approve from another shell decides it; attaching again shows
# the decision and the end.  A console killed by a hang-up or SIGKILL
# never touches the run.  Two consoles on one run see the same; one
# approves and the other's dialog closes.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; tap_end' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd "$T" || exit 1

cat >"$T/gated.yaml" <<YAML
name: gated
args:
  tag: {type: string, default: v42}
steps:
  - id: build
    run: echo built
  - id: deploy
    depends_on: [build]
    approval:
      message: "Ship {{ args.tag }}?"
    run: echo shipping {{ args.tag }} to prod
YAML
cat >"$T/slow.yaml" <<YAML
name: slow
steps:
  - id: first
    run: echo one
  - id: nap
    depends_on: [first]
    run: while [ ! -e "$T/go" ]; do sleep 0.05; done; echo woke
  - id: last
    depends_on: [nap]
    run: echo done
YAML

status_of() { "$DROVER" ls --json -n 0 | jq -r --argjson r "$1" '.[] | select(.id == $r) | .status'; }
wait_status() {
	i=0
	while [ "$(status_of "$1")" != "$2" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
}

# A second console, in a session of its own on the same tmux server.
tui2_start() {
	{
		echo '#!/bin/sh'
		export -p
		printf "command '%s' attach %s\n" "$DROVER" "$1"
		printf 'echo "[exited $?]"; sleep 30\n'
	} >"$T/pane2.sh"
	chmod +x "$T/pane2.sh"
	tui new-session -d -s two -x 100 -y 30 "$T/pane2.sh"
}
tui2_wait() {
	TUI_TARGET=two
	tui_wait "$@"
	TUI_TARGET=
}

# --- a gate, the dialog, detach, approve from a shell, attach again ---
tui_start 100 30 "$DROVER" run gated.yaml
tui_wait "a gate that waits is announced on a band" 'deploy waits for approval: Ship v42\?'
run=$(last_run)
like "the gate is a node state of its own" "$(tui_screen)" '◆ deploy'
like "the footer offers to review it" "$(tui_screen | tail -n 1)" 'A approve'
tui_keys A
tui_wait "A opens the dialog with the gate's message" 'gate +Ship v42\?'
like "who may decide and how many are needed" "$(tui_screen)" \
	'who +anyone who can reach the run; 1 more approval needed'
like "and what will actually run, rendered" "$(tui_screen)" 'will run +echo shipping v42 to prod'
tui_keys a
tui_wait "approving asks first" "Approve step 'deploy'\\? .*\\(y/N\\)"
tui_keys n
tui_wait "anything but y decides nothing" 'nothing was done'
is "the step still waits" "$(status_of "$run")" running
tui_keys Escape
tui_wait "Esc closes the dialog" '▶ running|◆ deploy'
tui_keys q
tui_wait "q detaches and says the run goes on" "detached; run $run goes on"
tui_wait "drover run exits 0" '\[exited 0\]'
tui_stop
is "the run still waits, with no console" "$(status_of "$run")" running
tui_start 100 30 "$DROVER"
tui_wait "the runs list names the gate that waits for you" \
	"1 gate waits for you: run $run deploy \\(Ship v42\\?\\)"
like "and the run's row says it waits" "$(tui_screen)" "^ .? +$run waiting +gated"
like "it comes first, selected" "$(tui_screen | sed -n 4p)" \
	"$run for you +gated +deploy: Ship v42\\?"
tui_keys Enter
tui_wait "Enter opens it, with the gate's band" 'deploy waits for approval: Ship v42\?'
tui_keys q q
tui_stop
out=$("$DROVER" approve "$run" deploy -m "from a shell" 2>&1); rc=$?
is "drover approve from another shell" "$rc" 0
wait_status "$run" succeeded
is "and the run finishes" "$(status_of "$run")" succeeded
tui_start 100 30 "$DROVER" attach "$run"
tui_wait "attaching again shows the finished run" '✓ succeeded'
like "with the gated step done" "$(tui_screen)" '✓ deploy'
tui_stop
like "the decision is in the history" "$("$DROVER" show "$run")" \
	"deploy +approved by $(id -un) at .*: from a shell"

# --- the console dies by SIGHUP (the tmux server goes), then by SIGKILL ---
for how in hangup kill; do
	rm -f "$T/go"
	tui_start 100 30 "$DROVER" run slow.yaml
	tui_wait "$how: a console on a slow run" '▶ nap'
	run=$(last_run)
	console=$(pgrep -P "$(tui display-message -p -t drover '#{pane_pid}')" -x drover)
	if [ "$how" = kill ]; then
		kill -KILL "$console"
		sleep 0.3
	fi
	tui_stop		# the pane's terminal goes: SIGHUP
	i=0
	while kill -0 "$console" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	ok "$how: the console is gone" sh -c "! kill -0 $console 2>/dev/null"
	is "$how: the run goes on" "$(status_of "$run")" running
	touch "$T/go"
	wait_status "$run" succeeded
	is "$how: and finishes" "$(status_of "$run")" succeeded
	is "$how: its history is complete" \
		"$("$DROVER" show "$run" --json | jq -r '[.steps[].status] | join(" ")')" \
		"succeeded succeeded succeeded"
	is "$how: with the step's output" "$("$DROVER" logs "$run" nap)" woke
	tui_start 100 30 "$DROVER" attach "$run"
	tui_wait "$how: attaching again shows all of it" '✓ last'
	tui_stop
done

# --- two consoles on one run: one approves, the other's dialog closes ---
tui_start 100 30 "$DROVER" run gated.yaml -a tag=v43
tui_wait "the first console sees the gate" 'deploy waits for approval: Ship v43\?'
run=$(last_run)
tui2_start "$run"
tui2_wait "a second console attached to the same run sees it too" \
	'deploy waits for approval: Ship v43\?'
tui send-keys -t two A
tui2_wait "the second opens the dialog" 'will run +echo shipping v43 to prod'
tui_keys A
tui_wait "the first opens it as well" 'will run +echo shipping v43 to prod'
tui_keys a
tui_wait "the first approves (asked first)" "Approve step 'deploy'"
tui_keys y
tui_wait "and sees the run finish" '✓ succeeded'
tui2_wait "the second console's dialog closes" "the gate of step 'deploy' is decided"
tui2_wait "and it sees the same end" '✓ succeeded'
tui_keys q
tui_wait "leaving a finished run says how it ended" "run $run succeeded"
tui_stop

# --- a gated llm call: the dialog shows the prompt and what it may cost ---
long=$(printf '%0396d' 0)
cat >"$T/ask.yaml" <<YAML
name: ask
steps:
  - id: ask
    approval: {message: "Spend on this?"}
    llm: {base_url: "http://127.0.0.1:9/v1", model: gpt-4o-mini, prompt: "say $long", max_tokens: 50}
YAML
tui_start 100 30 "$DROVER" run ask.yaml
tui_wait "a gated llm call is announced" 'ask waits for approval: Spend on this\?'
tui_keys A
tui_wait "its dialog shows the prompt it will send" 'will run +llm gpt-4o-mini'
like "and its estimated cost (gpt-4o-mini: 100 tokens in, 1 to 50 out)" "$(tui_screen)" \
	'cost +\$0\.000016 - \$0\.000045 \(101 - 150 tokens, estimated\)'
run=$(last_run)
"$DROVER" reject "$run" ask -m "too dear" >/dev/null 2>&1
tui_wait "rejected from a shell, nothing is sent" 'rejected'
tui_stop

# --- what a run spends, in the header against its budget, and per step ---
cat >"$T/spend.yaml" <<YAML
name: spend
limits: {budget: {max_cost: 0.05}}
steps:
  - id: pay
    run: printf 'cost_usd=0.0123\\ntokens_in=1000\\ntokens_out=200\\n' >>"\$DROVER_OUTPUT"
  - id: hold
    run: while [ ! -e "$T/spent" ]; do sleep 0.05; done
YAML
tui_start 100 30 "$DROVER" run spend.yaml
tui_wait "the header shows what the run spent of its budget" '\$0\.0123 of \$0\.0500'
tui_keys Home
tui_wait "Home (as tmux sends it) selects the first step: its detail shows its cost and tokens" '\$0\.012300 \(1000 in, 200 out\)'
touch "$T/spent"
tui_wait "and the run ends" '✓ succeeded'
tui_stop

# --- a circuit that opens is in the header while it is open ---
cat >"$T/circuit.yaml" <<YAML
name: circuit
limits: {circuit_breaker: {failures: 2, window: 1m, open_for: 1h}}
steps:
  - {id: a, http: {url: "http://127.0.0.1:9/"}, allow_failure: true}
  - {id: b, http: {url: "http://127.0.0.1:9/"}, allow_failure: true}
  - {id: c, http: {url: "http://127.0.0.1:9/"}, allow_failure: true}
  - id: hold
    run: while [ ! -e "$T/circuit-go" ]; do sleep 0.05; done
YAML
tui_start 100 30 "$DROVER" run circuit.yaml
tui_wait "two failed calls open the endpoint's circuit: the header says so" \
	'circuit open: http://127\.0\.0\.1:9'
tui_wait "a step that failed at once on it is marked in the graph" '✗ c +circuit'
touch "$T/circuit-go"
tui_wait "the run goes on to its end" '✓ succeeded'
tui_stop

# --- an llm call whose model has no price says so in its detail ---
if command -v node >/dev/null 2>&1; then
	start_httpd
	cat >"$T/unpriced.yaml" <<YAML
name: unpriced
steps:
  - id: ask
    llm: {base_url: "$HTTPD/llm/v1", model: house-model-9, prompt: hello, max_tokens: 5}
  - id: hold
    run: while [ ! -e "$T/unpriced-go" ]; do sleep 0.05; done
YAML
	tui_start 100 30 "$DROVER" run unpriced.yaml
	tui_wait "the run reaches its second step" '▶ hold|hold +running'
	tui_keys g
	tui_wait "the llm step's detail says its model is not priced" \
		'succeeded, attempt 1, .*\(2 in, 5 out\), model not priced'
	touch "$T/unpriced-go"
	tui_wait "and the run ends" '✓ succeeded'
	tui_stop
else
	echo "# node is not installed: the unpriced model's console check is not run"
fi

done_testing
