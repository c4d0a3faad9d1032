#!/bin/sh
# alerts.sh - alert rules (config `alerts:`): judged when a run ends, a rule
# fires once when its condition becomes true (its command runs once, told
# of the alert in its environment; its HTTP notification is POSTed), stays
# quiet while it holds, and fires again after it cleared; however many runs
# end at once, one notification goes out; `drover alerts` shows each rule's
# value and state; broken rules are refused with their position.
. "$TOP_SRCDIR/tests/tap.sh"
start_httpd

conf="$XDG_CONFIG_HOME/drover/config.yaml"
mkdir -p "$XDG_CONFIG_HOME/drover"
cat >"$conf" <<YAML
alerts:
  - name: flip failing
    workflow: flip
    metric: error_rate
    above: 40%
    window: 1h
    notify: {run: 'echo "\$DROVER_ALERT|\$DROVER_ALERT_METRIC|\$DROVER_ALERT_VALUE|\$DROVER_ALERT_THRESHOLD|\$DROVER_ALERT_WORKFLOW|\$DROVER_ALERT_RUN" >>"$T/fired"'}
  - name: flip healthy
    workflow: flip
    metric: success_rate
    below: 0.5
    min_runs: 3
  - name: other workflow
    workflow: something-else
    metric: error_rate
    above: 0
    notify: {run: 'echo other >>"$T/other"'}
YAML
cat >"$T/flip.yaml" <<'YAML'
name: flip
args: {ok: {type: boolean, default: true}}
steps:
  - id: s
    run: "{{ args.ok }}"
YAML
flip() { "$DROVER" run --no-tui "$T/flip.yaml" -a ok="$1" >>"$T/runs.out" 2>>"$T/runs.err"; }
rule() { "$DROVER" alerts --json | jq -c --arg n "$1" ".[] | select(.name == \$n) | $2"; }
fired() { [ -f "$T/fired" ] && wc -l <"$T/fired" | tr -d ' ' || echo 0; }

like "no rules judged yet: no data" "$("$DROVER" alerts)" '^flip healthy +ok +success_rate +below 50\.0% over 1d +no data +never$'
flip true
is "a success: not firing" "$(rule 'flip failing' '[.firing, .value, .runs, .fired]')" '[false,0,1,0]'
is "min_runs: too few runs to judge" "$(rule 'flip healthy' '[.value, .runs]')" '[null,1]'
flip false
is "one failure in two is 50%, above 40%: it fired" "$(rule 'flip failing' '[.firing, .value, .fired]')" '[true,0.5,1]'
is "its command ran once" "$(fired)" 1
is "told of the alert in its environment" "$(cat "$T/fired")" "flip failing|error_rate|0.5|>0.4|flip|2"
like "the run said so" "$(cat "$T/runs.err")" "drover: alert 'flip failing' fired: error_rate is 50\.0%, above 40\.0% \(the last 1h, 2 runs\)"
flip false
is "still above: still firing" "$(rule 'flip failing' '[.firing, .fired]')" '[true,1]'
is "and silent" "$(fired)" 1
is "3 runs: the success rate is judged, 1/3 below 50%" "$(rule 'flip healthy' '[.firing, (.value * 1000 | round)]')" '[true,333]'
flip true; flip true; flip true
is "below again after successes: cleared" "$(rule 'flip failing' '[.firing, (.value * 1000 | round), .fired]')" '[false,333,1]'
flip false
is "above again: fires a second time" "$(rule 'flip failing' '[.firing, .fired]')" '[true,2]'
is "its command ran again" "$(fired)" 2
ok "a rule of another workflow was never judged" test ! -e "$T/other"
is "nor recorded" "$(rule 'other workflow' '[.firing, .fired, .fired_at]')" '[false,0,null]'
t=$("$DROVER" alerts)
like "the table: a firing rule" "$t" '^flip failing +FIRING +error_rate +above 40\.0% over 1h +[0-9.]+% +2[0-9-]+T[0-9:.]+Z \(and before\)$'
like "and one that is ok" "$t" '^other workflow +ok +error_rate +above 0\.0% over 1d +no data +never$'
is "the JSON's fields" "$("$DROVER" alerts --json | jq -c '.[0] | keys')" \
	'["condition","fired","fired_at","firing","metric","name","runs","step","threshold","value","window_ms","workflow"]'

# --- many runs end at once: one notification ---
rm -f "$T/fired"
"$DROVER" run --no-tui "$T/flip.yaml" >/dev/null 2>&1	# clears it: 4 of 9 failed
pids=
for i in 1 2 3 4 5 6; do
	"$DROVER" run --no-tui "$T/flip.yaml" -a ok=false >/dev/null 2>&1 &
	pids="$pids $!"
done
wait $pids
is "six failing runs ending together fire it once" "$(fired)" 1

# --- no data is not firing; the command sees none of drover's files ---
cat >"$conf" <<YAML
alerts:
  - name: brief
    workflow: flip
    metric: error_rate
    above: 0
    window: 2s
    min_runs: 2
    notify: {run: 'find /proc/\$\$/fd -mindepth 1 -fprintf "$T/fds.tmp" "%f\\n"; mv "$T/fds.tmp" "$T/fds"'}
YAML
sleep 2.1
flip false 3>"$T/held"; flip false 3>"$T/held"
is "two failures within 2 s: firing" "$(rule brief '[.firing, .runs]')" '[true,2]'
wait_until test -s "$T/fds"
is "the command has only standard input, output and error" "$(sort -n "$T/fds" | tr '\n' ' ')" "0 1 2 "
sleep 2.1
flip true
is "the window then holds one run, below min_runs: no data, not firing" "$(rule brief '[.firing, .value, .fired]')" '[false,null,1]'

# --- a notification that never answers is bounded, and a signal stops it ---
cat >"$conf" <<YAML
alerts:
  - {name: hang1, workflow: flip, metric: error_rate, above: 0, notify: {http: "$HTTPD/hang?1"}}
  - {name: hang2, workflow: flip, metric: error_rate, above: 0, notify: {http: "$HTTPD/hang?2"}}
YAML
timeout 40 "$DROVER" run --no-tui "$T/flip.yaml" -a ok=false >/dev/null 2>"$T/hang.err"; rc=$?
is "two webhooks that never answer: the run still ends, with its own status" "$rc" 1
like "the first one timed out" "$(cat "$T/hang.err")" "alert 'hang1': its notification to .*/hang\\?1 failed: .*timed out after 10[0-9]{3} milliseconds"
like "the second had no time left" "$(cat "$T/hang.err")" "alert 'hang2': no time was left to notify"
"$DROVER" run --no-tui "$T/flip.yaml" >/dev/null 2>&1	# clears them: 2 of many failed is still above 0
sqlite3 "$DROVER_DB" "UPDATE alerts SET firing = 0"
"$DROVER" run --no-tui "$T/flip.yaml" -a ok=false >/dev/null 2>"$T/term.err" &
pid=$!
i=0; until [ "$(curl -s "$HTTPD/_count?path=/hang")" -ge 2 ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$pid"
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
ok "SIGTERM while a webhook hangs stops drover at once" sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid"; rc=$?
is "with the run's own status" "$rc" 1
like "saying the notification was stopped" "$(cat "$T/term.err")" "its notification to .* failed: stopped"

# --- cost per day and a step's p95, with an HTTP notification ---
cat >"$conf" <<YAML
alerts:
  - name: spend
    metric: cost_per_day
    above: 0.00001
    notify: {http: {url: "$HTTPD/status/200?alert", headers: {X-Team: ops}}}
  - name: slow s
    metric: step_p95
    step: wait
    above: 150ms
    notify: {http: "$HTTPD/status/500?alert"}
YAML
cat >"$T/spend.yaml" <<YAML
name: spend
steps:
  - id: wait
    run: sleep 0.2
  - id: ask
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o, prompt: "a long answer please", max_tokens: 50}
YAML
"$DROVER" run --no-tui "$T/spend.yaml" >"$T/spend.out" 2>"$T/spend.err"; rc=$?
is "a notification's failure does not fail the run" "$rc" 0
spent=$(last_run)
body=$(curl -s "$HTTPD/_requests" | jq -c '[.[] | select(.url == "/status/200?alert")] | .[0]')
is "the cost rule POSTed the alert as JSON" "$(echo "$body" | jq -c '.body | fromjson | [.alert, .metric, .condition, .workflow, .run]')" \
	"[\"spend\",\"cost_per_day\",\"above\",\"spend\",$spent]"
is "with its value" "$(echo "$body" | jq '.body | fromjson | (.value * 1e6 | round)')" \
	"$("$DROVER" show "$spent" --json | jq '.cost_usd * 1e6 | round')"
is "and its headers" "$(echo "$body" | jq -r '[.method, .headers["content-type"], .headers["x-team"]] | join(" ")')" \
	"POST application/json ops"
is "the p95 rule fired on the step's 200 ms" "$(rule 'slow s' '[.firing, (.value >= 200)]')" '[true,true]'
like "its server's 500 was said" "$(cat "$T/spend.err")" "alert 'slow s': its notification to $HTTPD/status/500\?alert got HTTP 500"

# --- broken rules ---
bad() {
	printf 'alerts:\n%s\n' "$1" >"$conf"
	"$DROVER" alerts >/dev/null 2>"$T/bad.err"; rc=$?
	is "$2: refused" "$rc" 2
	like "$2: says where and what" "$(cat "$T/bad.err")" "$3"
}
bad '  - {name: x, metric: latency, above: 1}' "an unknown metric" 'config.yaml:2:[0-9]+: .*error_rate, success_rate, cost_per_day or step_p95'
bad '  - {name: x, metric: error_rate}' "no threshold" "alert 'x': give one of 'above' and 'below'"
bad '  - {name: x, metric: error_rate, above: 0.1, below: 0.2}' "both thresholds" "give one of 'above' and 'below'"
bad '  - {name: x, metric: error_rate, above: 150%}' "a rate over 100%" 'must lie between 0 and 1'
bad '  - {name: x, metric: step_p95, above: 1s}' "a p95 without its step" "step_p95 needs the 'step'"
bad '  - {name: x, metric: error_rate, above: 0.1, step: s}' "a step for another metric" "'step' is only for the metric step_p95"
bad '  - {name: x, metric: error_rate, above: 0.1, windw: 1h}' "an unknown field" "unknown field 'windw'"
bad '  - {name: x, metric: error_rate, above: 0.1, window: soon}' "a bad window" "'window' is a duration"
bad '  - {name: x, metric: error_rate, above: 0.1, notify: {mail: me}}' "an unknown notification" "'notify' is \\{run: COMMAND\\}"
bad '  - {name: x, metric: error_rate, above: 0.1, notify: {http: "ftp://x"}}' "a URL that is not http" 'must start with http:// or https://'
bad '  - {metric: error_rate, above: 0.1}' "a rule without a name" 'an alert needs a name'
bad '  - {name: x, metric: error_rate, above: 0.1, min_runs: 0}' "min_runs 0" "'min_runs' is a whole number of at least 1"
bad '  - {name: x, metric: error_rate, above: 0.1, notify: {http: {url: "http://h", headers: {X: "a\nb"}}}}' \
	"a header with a line break" "needs a one-line text value"
bad '  name: x' "not a list" "'alerts' is a list of rules"
bad '  - {name: x, metric: error_rate, above: "0x10%"}' "a percentage that is not one" 'a fraction \(0\.2\) or a percentage'
bad '  - {name: x, metric: cost_per_day, above: .inf}' "an infinite threshold" 'must lie between 0 and any positive number'
bad '  - {name: x, metric: error_rate, above: 0.1}
  - {name: x, metric: error_rate, above: 0.2}' "a name used twice" "alert 'x' is defined twice"
"$DROVER" run --no-tui "$T/flip.yaml" >/dev/null 2>"$T/bad.err"; rc=$?
is "a run is refused too, before it starts" "$rc" 2
printf 'alerts:\n' >"$conf"
is "an empty alerts: is no rules" "$("$DROVER" alerts --json)" "[]"
rm "$conf"
like "no rules: says how to add them" "$("$DROVER" alerts)" "^no alert rules: add them to the configuration's 'alerts:'"
is "and --json is an empty array" "$("$DROVER" alerts --json)" "[]"
fails "an unexpected argument" 2 "$DROVER" alerts now
done_testing
