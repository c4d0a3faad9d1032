#!/bin/sh
# run_cache.sh - the result cache (`cache:`): a step whose inputs (or
# cache.key) match a fresh kept result is not run and sends nothing; it is
# succeeded and cached, with the kept outputs, costing nothing, and the
# reuse is counted; results expire; failures are not kept; drover cache ls
# and clear.  The tests' server counts the requests (tests/servers/httpd.js).
. "$TOP_SRCDIR/tests/tap.sh"
start_httpd

count() { curl -s "$HTTPD/_count?path=$1"; }

cat >"$T/llm.yaml" <<YAML
name: cached-llm
args: {topic: {type: string, default: cats}}
steps:
  - id: ask
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o-mini, prompt: "write about {{ args.topic }}", max_tokens: 20}
    cache: 1h
YAML
"$DROVER" run --no-tui "$T/llm.yaml" >/dev/null 2>&1
first=$(last_run)
"$DROVER" run --no-tui "$T/llm.yaml" >"$T/second.out" 2>&1; rc=$?
second=$(last_run)
is "the second run succeeds" "$rc" 0
is "and sends nothing: one request in all" "$(count /llm/v1/chat/completions)" 1
is "its step is cached" "$(step_field "$second" ask cached)" true
is "succeeded" "$(step_field "$second" ask status)" succeeded
is "with the first run's outputs" "$(step_field "$second" ask outputs.text)" \
	"$(step_field "$first" ask outputs.text)"
is "costing nothing" "$(step_field "$second" ask cost_usd) $(step_field "$second" ask attempts)" "0 0"
is "the first run paid (4 tokens in, 20 out)" "$(step_field "$first" ask 'cost_usd * 1e7 | round')" 126
like "the line printer says cached" "$(cat "$T/second.out")" 'ask +succeeded .*\(cached\)'
ls=$("$DROVER" cache ls --json)
is "cache ls counts the reuse" "$(echo "$ls" | jq -c '.[0] | [.workflow, .step, .hits, .run]')" \
	"[\"cached-llm\",\"ask\",1,$first]"
is "and what it saved" "$(echo "$ls" | jq '.[0].saved_usd * 1e7 | round')" 126
like "cache ls as a table" "$("$DROVER" cache ls)" '^cached-llm +ask +[0-9a-f]{12} +[0-9-]+ [0-9:]+ +1 +0\.000013  [0-9]+$'
"$DROVER" run --no-tui "$T/llm.yaml" -a topic=dogs >/dev/null 2>&1
is "other inputs are another key: sent" "$(count /llm/v1/chat/completions)" 2
is "and kept apart" "$("$DROVER" cache ls --json | jq length)" 2

# --- expiry, failures ---
cat >"$T/short.yaml" <<YAML
name: short
steps:
  - id: get
    http: {url: "$HTTPD/status/200?short"}
    cache: 1s
  - id: bad
    http: {url: "$HTTPD/status/500?bad"}
    cache: 1h
    allow_failure: true
YAML
"$DROVER" run --no-tui "$T/short.yaml" >/dev/null 2>&1
"$DROVER" run --no-tui "$T/short.yaml" >/dev/null 2>&1
is "within its ttl a result is reused" "$(count /status/200)" 1
is "a failure is not kept" "$(count /status/500)" 2
sleep 1.2
"$DROVER" run --no-tui "$T/short.yaml" >/dev/null 2>&1
is "after its ttl it is not" "$(count /status/200)" 2
sleep 1.2
like "cache ls marks what expired" "$("$DROVER" cache ls --workflow short)" '\(expired\)'

# --- commands, and a key of one's own ---
cat >"$T/cmd.yaml" <<YAML
name: cmd
args: {v: {type: string, default: one}}
steps:
  - id: stamp
    run: echo "made \$\$" >>"$T/ran"; echo made \$\$
    cache: 1h
  - id: keyed
    run: echo "keyed \$\$"
    cache: {ttl: 1h, key: "{{ args.v }}"}
YAML
"$DROVER" run --no-tui "$T/cmd.yaml" >/dev/null 2>&1
a=$(last_run)
"$DROVER" run --no-tui "$T/cmd.yaml" >/dev/null 2>&1
b=$(last_run)
is "a run step is cached on its command: it ran once" "$(wc -l <"$T/ran" | tr -d ' ')" 1
is "its stdout is the kept one" "$(step_field "$b" stamp outputs.stdout)" \
	"$(step_field "$a" stamp outputs.stdout)"
is "a step keyed by cache.key is reused for the same key" \
	"$(step_field "$b" keyed outputs.stdout)" "$(step_field "$a" keyed outputs.stdout)"
"$DROVER" run --no-tui "$T/cmd.yaml" -a v=two >/dev/null 2>&1
c=$(last_run)
is "another key runs it again" "$(step_field "$c" keyed cached)" false

# --- secrets, clear, refusals ---
cat >"$T/secret.yaml" <<YAML
name: secret
args: {token: {type: string, secret: true}}
steps:
  - id: get
    http: {url: "$HTTPD/echo/secret", headers: {Authorization: "Bearer {{ args.token }}"}}
    cache: 1h
YAML
"$DROVER" run --no-tui "$T/secret.yaml" -a token=sekrit-one-Qz >/dev/null 2>&1
"$DROVER" run --no-tui "$T/secret.yaml" -a token=sekrit-two-Qz >/dev/null 2>&1
is "a secret is not part of the key: two tokens share the result" "$(count /echo/secret)" 1
ok "no secret is in the history, cache included" \
	sh -c "! grep -rqa -e sekrit-one -e sekrit-two '$T'/history.db*"
is "cache clear --workflow drops that workflow's entries" \
	"$("$DROVER" cache clear --workflow secret)" "dropped 1 cached result"
"$DROVER" run --no-tui "$T/secret.yaml" -a token=sekrit-one-Qz >/dev/null 2>&1
is "after which the step runs again" "$(count /echo/secret)" 2
like "cache clear drops the rest" "$("$DROVER" cache clear)" '^dropped [0-9]+ cached results$'
is "and ls says there is nothing" "$("$DROVER" cache ls)" "no cached results"

printf 'name: gate\nsteps:\n  - {id: g, approval: {}, cache: 1h}\n' >"$T/gate.yaml"
out=$("$DROVER" run --no-tui "$T/gate.yaml" 2>&1); rc=$?
is "an approval cannot be cached" "$rc" 2
like "saying why" "$out" "step 'g' uses cache, and an approval step has no result to keep"
printf 'name: w\nsteps:\n  - {id: w, wait: 10ms, cache: 1h}\n' >"$T/wait.yaml"
out=$("$DROVER" run --no-tui "$T/wait.yaml" 2>&1); rc=$?
is "a step with no inputs to key on needs a key" "$rc" 2
like "saying so" "$out" "give one \\(cache: \\{ttl: \\.\\.\\., key: \\.\\.\\.\\}\\)"
out=$("$DROVER" cache 2>&1); rc=$?
is "cache without ls or clear is a usage error" "$rc" 2
out=$("$DROVER" cache drop 2>&1); rc=$?
like "naming what is wrong" "$out" "'drop' is neither ls nor clear"

done_testing
