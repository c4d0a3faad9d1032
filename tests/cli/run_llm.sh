#!/bin/sh
# run_llm.sh - llm steps against an OpenAI-compatible mock server
# (@dwmkerr/mock-llm, rules in tests/servers/mock-llm.yaml: every reply
# reports 1200 prompt and 300 completion tokens) and, to see exactly what
# is sent, the tests' own HTTP server: the request, the transcript in the
# log, outputs, tokens and cost from the reply's usage and the prices,
# providers and keys from the configuration, retries, and the key, which
# never reaches the history even when the server echoes it.
. "$TOP_SRCDIR/tests/tap.sh"
start_mock_llm
start_httpd

requests() { curl -s "$HTTPD/_requests"; }
run_field() { "$DROVER" show "$1" --json | jq -r ".$2"; }

# --- a call, its transcript, outputs and cost ---
run_wf ask <<YAML
name: ask
steps:
  - id: notes
    llm:
      base_url: $LLM
      model: gpt-4o-mini
      system: You write release notes.
      prompt: Summarise the changes please
      max_tokens: 400
      temperature: 0.2
  - id: verdict
    llm: {base_url: "$LLM/", model: gpt-4o-2024-08-06, prompt: json please, response_format: json}
  - id: use
    run: echo "{{ steps.verdict.outputs.json.verdict }} {{ steps.notes.outputs.usage.prompt_tokens }}"
YAML
is "a run of llm steps succeeds" "$rc" 0
is "outputs.text is the reply" "$(step_field "$run" notes outputs.text)" \
	"echo: Summarise the changes please"
is "outputs.model" "$(step_field "$run" notes outputs.model)" gpt-4o-mini
is "outputs.finish_reason" "$(step_field "$run" notes outputs.finish_reason)" stop
is "outputs.usage from the reply" \
	"$(step_field "$run" notes 'outputs.usage | "\(.prompt_tokens) \(.completion_tokens)"')" "1200 300"
is "cost = tokens x the model's prices (gpt-4o-mini: 0.15 and 0.60 per 1M)" \
	"$(step_field "$run" notes cost_usd)" 0.00036
is "outputs.cost_usd the same" "$(step_field "$run" notes outputs.cost_usd)" 0.00036
is "tokens in the step's record" \
	"$(step_field "$run" notes tokens_in) $(step_field "$run" notes tokens_out)" "1200 300"
is "a dated model is priced as its family (gpt-4o: 2.50 and 10.00)" \
	"$(step_field "$run" verdict cost_usd)" 0.006
is "response_format: json gives outputs.json" "$(step_field "$run" verdict outputs.json.score)" 9
is "which later steps read" "$("$DROVER" logs "$run" use)" "ship 1200"
is "the run's cost is the sum" "$(run_field "$run" cost_usd)" 0.00636
is "and its tokens" "$(run_field "$run" tokens_in) $(run_field "$run" tokens_out)" "2400 600"
is "ls --json has the cost too" \
	"$("$DROVER" ls --json -n 1 | jq -r '.[0] | "\(.cost_usd) \(.tokens_in)"')" "0.00636 2400"
log=$("$DROVER" logs "$run" notes)
like "the log holds the request line" "$log" "^> POST $LLM/chat/completions \\(model gpt-4o-mini\\)\$"
like "the system message" "$log" '^\[system\] You write release notes\.$'
like "the prompt" "$log" '^\[user\] Summarise the changes please$'
like "the reply" "$log" '^\[assistant\] echo: Summarise the changes please$'
like "and the usage" "$log" '^< 1200 tokens in, 300 out, \$0\.000360$'

# --- exactly what is sent ---
run_wf shape <<YAML
name: shape
steps:
  - id: a
    llm:
      base_url: $HTTPD/echo/v1
      model: m-1
      messages:
        - {role: system, content: be brief}
        - {role: user, content: "n is {{ 1 + 2 }}"}
      max_tokens: 50
      temperature: 0.5
      response_format: json
YAML
body=$(requests | jq -c '.[0].body | fromjson')
is "POSTed to BASE/chat/completions" "$(requests | jq -r '.[0] | "\(.method) \(.url)"')" \
	"POST /echo/v1/chat/completions"
is "the body is a chat completion request" "$body" \
	'{"model":"m-1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"n is 3"}],"max_tokens":50,"temperature":0.5,"response_format":{"type":"json_object"}}'
is "no key, no Authorization" "$(requests | jq -r '.[0].headers.authorization')" null
is "a reply that is not a chat completion fails the step" "$(step_field "$run" a error)" \
	"the reply holds no choices[0].message.content"
run_wf huge <<YAML
name: huge
steps:
  - id: a
    llm: {base_url: "$HTTPD/big?bytes=5000000&x=", model: m, prompt: p}
YAML
is "a reply over 4 MiB fails, saying so" "$(step_field "$run" a error)" "the reply is longer than 4 MiB"

# --- providers and keys from the configuration ---
mkdir -p "$XDG_CONFIG_HOME/drover"
cat >"$XDG_CONFIG_HOME/drover/config.yaml" <<YAML
providers:
  mock: {base_url: "$LLM", api_key_env: MOCK_KEY}
  echo: {base_url: "$HTTPD/echo/v1", api_key_env: MOCK_KEY}
pricing:
  house-model: {input: 1.0, output: 2.0}
  gpt-4o-mini: {input: 10.0, output: 10.0}
YAML
cat >"$T/prov.yaml" <<YAML
name: prov
steps:
  - id: a
    llm: {provider: mock, model: house-model, prompt: show the key}
  - id: b
    llm: {provider: mock, model: gpt-4o-mini, prompt: hello}
  - id: c
    llm: {provider: echo, model: x, prompt: hello}
    allow_failure: true
YAML
unset MOCK_KEY
out=$("$DROVER" run --no-tui "$T/prov.yaml" 2>&1); rc=$?
is "a provider's key that is not set: refused before the run" "$rc" 2
is "saying which variable" "$out" "drover: step 'a' needs its API key in \$MOCK_KEY, which is not set"
key=sk-test-$$-Hx7
MOCK_KEY=$key "$DROVER" run --no-tui "$T/prov.yaml" >/dev/null 2>&1; rc=$?
run=$(last_run)
is "with the key set it runs" "$rc" 0
is "the key went to the server as a bearer token" \
	"$(requests | jq -r '[.[] | select(.url == "/echo/v1/chat/completions")] | last | .headers.authorization')" \
	"Bearer $key"
is "a reply that echoes the key shows it masked" "$(step_field "$run" a outputs.text)" \
	"you sent Bearer ***"
ok "the key is nowhere in the history" sh -c "! grep -rqa -- '$key' '$T'/history.db*"
is "a model priced only in the configuration" "$(step_field "$run" a cost_usd)" 0.0018
is "the configuration's price wins over the shipped one" "$(step_field "$run" b cost_usd)" 0.015
cat >"$T/noprov.yaml" <<YAML
name: noprov
steps:
  - id: a
    llm: {provider: nowhere, model: m, prompt: p}
YAML
out=$("$DROVER" run --no-tui "$T/noprov.yaml" 2>&1); rc=$?
is "an unknown provider is refused" "$rc" 2
like "naming it" "$out" "step 'a' uses provider 'nowhere', which the configuration does not define"
rm "$XDG_CONFIG_HOME/drover/config.yaml"

# --- prices that are not known, usage that is not given ---
run_wf unknown <<YAML
name: unknown
steps:
  - id: a
    llm: {base_url: "$LLM", model: no-such-model, prompt: hello}
  - id: b
    llm: {base_url: "$LLM", model: gpt-4o-mini, prompt: no usage}
YAML
is "an unknown model still runs" "$rc" 0
is "and costs 0" "$(step_field "$run" a cost_usd)" 0
is "flagged as not priced" "$(step_field "$run" a outputs.priced)" false
like "drover show says so" "$("$DROVER" show "$run")" '^ +! model not priced: its cost counts as 0$'
is "show --json too, on that step only" \
	"$("$DROVER" show "$run" --json | jq -c '[.steps[] | .notice]')" \
	'["model not priced: its cost counts as 0",null]'
like "with a warning" "$(cat "$T/unknown.out")" \
	"step 'a': model 'no-such-model' has no price in the pricing file or the configuration"
is "a reply without usage costs 0" "$(step_field "$run" b cost_usd)" 0
like "and says so" "$(cat "$T/unknown.out")" "step 'b': the reply says nothing of its usage"

# --- failures ---
run_wf fail <<YAML
name: fail
steps:
  - id: five
    llm: {base_url: "$LLM", model: m, prompt: fail 500}
    retry: {attempts: 2, delay: 10ms}
    allow_failure: true
  - id: auth
    llm: {base_url: "$LLM", model: m, prompt: fail 401}
    retry: {attempts: 3, delay: 10ms}
    allow_failure: true
  - id: notjson
    llm: {base_url: "$LLM", model: m, prompt: hello, response_format: json}
    allow_failure: true
YAML
is "a 500 is retried" "$(step_field "$run" five attempts)" 2
is "then fails" "$(step_field "$run" five error)" "HTTP status 500, expected a 2xx status"
like "the server's error is in the log" "$("$DROVER" logs "$run" five)" 'the mock fails on purpose'
is "a 401 is not retried" "$(step_field "$run" auth attempts)" 1
is "a reply that is not the JSON asked for fails" "$(step_field "$run" notjson error)" \
	"response_format is json, and the reply's text is not JSON"

# --- what validate says ---
cat >"$T/bad.yaml" <<YAML
name: bad
steps:
  - id: a
    llm: {model: m, prompt: p}
  - id: b
    llm: {base_url: "$LLM", model: m, prompt: p, messages: [{role: user, content: x}]}
  - id: c
    llm: {base_url: "$LLM", model: m, messages: [{role: robot, content: x}]}
  - id: d
    llm: {base_url: "$LLM", model: m, prompt: p, api_key_env: "not a var"}
YAML
out=$("$DROVER" validate "$T/bad.yaml" 2>&1); rc=$?
is "validate refuses bad llm steps" "$rc" 2
like "no endpoint" "$out" "bad\\.yaml:4:[0-9]+: error: 'llm' needs a 'provider' \\(from the configuration\\) or a 'base_url'"
like "prompt and messages" "$out" "bad\\.yaml:6:[0-9]+: error: give either 'prompt' or 'messages', not both"
like "a role that is not one" "$out" "bad\\.yaml:8:[0-9]+: error: .*robot"
like "a key variable that cannot be one" "$out" "bad\\.yaml:10:[0-9]+: error: 'api_key_env' is the name of an environment variable"

done_testing
