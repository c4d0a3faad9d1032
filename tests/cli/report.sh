#!/bin/sh
# report.sh - drover report profile and cost (SPEC 9), on histories made by
# running real workflows with known sleeps, failures and llm calls: the
# verdicts land on the right steps, the critical path and speedup of a
# diamond are right, recommendations name the right steps, the cost totals
# are the sum of the runs, the JSON shapes hold, and bad usage is refused.
. "$TOP_SRCDIR/tests/tap.sh"
start_httpd

prof() { "$DROVER" report profile "$1" --json; }
verdicts() { prof "$1" | jq -c --arg s "$2" '.steps[] | select(.id == $s) | .verdicts'; }

# --- a diamond: a, then b and c side by side, then d; c is the long one ---
cat >"$T/diamond.yaml" <<'YAML'
name: diamond
args: {slow: {type: number, default: 0.3}}
steps:
  - id: a
    run: sleep 0.1
  - id: b
    depends_on: [a]
    run: sleep 0.1
  - id: c
    depends_on: [a]
    run: sleep {{ args.slow }}
  - id: d
    depends_on: [b, c]
    run: echo {{ steps.c.exit_code }}
YAML
"$DROVER" run --no-tui "$T/diamond.yaml" >/dev/null 2>&1
first=$(last_run)
p=$(prof "$first")
is "without history every p50 is null, not zero" "$(echo "$p" | jq -c '[.steps[].p50_ms]')" "[null,null,null,null]"
is "and nothing is called slow" "$(echo "$p" | jq -c '[.steps[].verdicts | index("SLOW")] | unique')" "[null]"
is "history_runs is 0" "$(echo "$p" | jq .history_runs)" 0
like "the text says so" "$("$DROVER" report profile "$first")" '0 earlier runs in its history'
for i in 2 3 4 5 6; do "$DROVER" run --no-tui "$T/diamond.yaml" >/dev/null 2>&1; done
"$DROVER" run --no-tui "$T/diamond.yaml" -a slow=1.5 >/dev/null 2>&1
slow=$(last_run)
p=$(prof "$slow")
is "the critical path of the diamond goes through c" "$(echo "$p" | jq -c .critical_path)" '["a","c","d"]'
is "its steps are marked critical" "$(echo "$p" | jq -c '[.steps[] | select(.critical) | .id]')" '["a","c","d"]'
is "c is SLOW and the BOTTLENECK" "$(verdicts "$slow" c)" '["SLOW","BOTTLENECK"]'
is "b is OK" "$(verdicts "$slow" b)" '["OK"]'
is "a is OK" "$(verdicts "$slow" a)" '["OK"]'
is "c's history: 6 earlier runs" "$(echo "$p" | jq '.steps[] | select(.id == "c") | .history')" 6
ok "c's p95 is under a second, its duration above" \
	sh -c "echo '$p' | jq -e '.steps[] | select(.id == \"c\") | .p95_ms < 1000 and .duration_ms >= 1500' >/dev/null"
# speedup = the sum of the steps' durations / the run's wall time, from show.
want=$("$DROVER" show "$slow" --json | jq '([.steps[].duration_ms] | add) / .duration_ms * 100 | round / 100')
is "the speedup is the sum of step durations over wall time" "$(echo "$p" | jq .speedup)" "$want"
is "the critical path's length is a + c + d" "$(echo "$p" | jq .critical_path_ms)" \
	"$("$DROVER" show "$slow" --json | jq '[.steps[] | select(.id == "a" or .id == "c" or .id == "d") | .duration_ms] | add')"
is "the slowest step is c" "$(echo "$p" | jq -r .slowest.step)" c
is "nothing was priced: no most expensive step" "$(echo "$p" | jq .most_expensive)" null
is "parallel: c waits for a without reading it" \
	"$(echo "$p" | jq -c '[.recommendations[] | select(.kind == "parallel") | .step]')" '["c"]'
like "and names a" "$(echo "$p" | jq -r '.recommendations[] | select(.kind == "parallel") | .text')" "waits for 'a'"
is "d reads c: no parallel advice for it" "$(echo "$p" | jq '[.recommendations[] | select(.step == "d" and .kind == "parallel")] | length')" 0
is "the JSON's fields" "$(echo "$p" | jq -c 'keys')" \
	'["attempts","cost_usd","critical_path","critical_path_ms","graph","history_runs","most_expensive","recommendations","resumed","run","slowest","speedup","status","steps","sum_ms","tokens_in","tokens_out","wall_ms","workflow"]'
is "a step's fields" "$(echo "$p" | jq -c '.steps[0] | keys')" \
	'["attempts","cached","cost_usd","critical","duration_ms","history","id","p50_ms","p95_ms","status","tokens_in","tokens_out","verdicts"]'
t=$("$DROVER" report profile "$slow")
like "the text: a line per step with its verdicts" "$t" '^\* c +succeeded +1\.5s +[0-9]+ms +[0-9]+ms +1 +0\.000000  SLOW BOTTLENECK$'
like "the critical path" "$t" '^critical path \(\*\): a -> c -> d \(1\.[5-9]s\); parallel speedup'
like "the slowest step and its share" "$t" '^slowest: c, 1\.5s \([0-9]+% of the run\)$'
like "the recommendations" "$t" '^  c \(parallel\): '

# --- flaky, cacheable and short-reply steps ---
cat >"$T/mixed.yaml" <<YAML
name: mixed
steps:
  - id: flaky
    retry: {attempts: 2, delay: 10ms}
    run: n=\$(cat "$T/count" 2>/dev/null || echo 0); echo \$((n + 1)) >"$T/count"; [ \$((n % 2)) = 1 ]
  - id: stable
    run: sleep 0.12; echo the same answer
  - id: changing
    run: sleep 0.4; date +%s%N
  - id: brittle
    run: n=\$(cat "$T/b" 2>/dev/null || echo 0); echo \$((n + 1)) >"$T/b"; [ \$n != 1 ]
    allow_failure: true
  - id: ask
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o, prompt: "yes or no?", max_tokens: 5}
YAML
for i in 1 2 3; do "$DROVER" run --no-tui "$T/mixed.yaml" >/dev/null 2>&1; done
mixed=$(last_run)
p=$(prof "$mixed")
is "a step retried in every run is FLAKY" "$(verdicts "$mixed" flaky)" '["FLAKY"]'
is "a step that failed once in three runs, not retried, is FLAKY" "$(verdicts "$mixed" brittle)" '["FLAKY"]'
is "steps that never fail are not" "$(verdicts "$mixed" stable)" '["OK"]'
recs() { echo "$p" | jq -c --arg k "$1" '[.recommendations[] | select(.kind == $k) | .step]'; }
is "retries: advice for the flaky and the brittle step" "$(recs retries)" '["flaky","brittle"]'
like "naming the evidence" "$(echo "$p" | jq -r '.recommendations[] | select(.step == "flaky") | .text')" \
	'needed a retry in 3 of its last 3 runs'
like "and the lack of a retry" "$(echo "$p" | jq -r '.recommendations[] | select(.step == "brittle") | .text')" \
	'failed in 1 of its last 3 runs and is not retried'
is "cache: the steps whose outputs repeat (not the one whose output changes)" "$(recs cache)" '["stable","ask"]'
is "model: the llm step with short replies" "$(recs model)" '["ask"]'
like "which says how short and what it costs" "$(echo "$p" | jq -r '.recommendations[] | select(.kind == "model") | .text')" \
	'replies average 5 tokens and it costs \$0\.0000[0-9]+ a run on gpt-4o'
is "the most expensive step is the llm call, all of the cost" "$(echo "$p" | jq -c '[.most_expensive.step, .most_expensive.share]')" '["ask",1]'
is "tokens are counted" "$(echo "$p" | jq -c '[.tokens_in, .tokens_out]')" '[3,5]'

# --- report cost ---
c=$("$DROVER" report cost --json)
is "cost: every run is counted" "$(echo "$c" | jq .runs)" "$("$DROVER" ls --json -n 0 | jq length)"
is "the total is the sum of the runs' costs" "$(echo "$c" | jq '.total_usd * 1e9 | round')" \
	"$("$DROVER" ls --json -n 0 | jq '[.[].cost_usd] | add * 1e9 | round')"
is "the max is the largest run" "$(echo "$c" | jq '.max_usd * 1e9 | round')" \
	"$("$DROVER" ls --json -n 0 | jq '[.[].cost_usd] | max * 1e9 | round')"
is "the min is 0 (the diamond costs nothing)" "$(echo "$c" | jq .min_usd)" 0
is "by model: gpt-4o, three calls, at the endpoint" \
	"$(echo "$c" | jq -c '.by_model[] | [.provider, .model, .calls, .share]')" "[\"$HTTPD\",\"gpt-4o\",3,1]"
is "by step: the llm step first, with all of the cost" \
	"$(echo "$c" | jq -c '.by_step[0] | [.workflow, .step, .executions, .share]')" '["mixed","ask",3,1]'
is "by workflow" "$(echo "$c" | jq -c '[.by_workflow[] | [.workflow, .runs]]')" '[["mixed",3],["diamond",7]]'
is "by day: one day, every run" "$(echo "$c" | jq -c '[.by_day[] | .runs]')" '[10]'
is "the report's fields" "$(echo "$c" | jq -c keys)" \
	'["average_usd","by_day","by_model","by_step","by_workflow","cache","max_usd","min_usd","runs","since","tokens_in","tokens_out","total_usd","unfinished","workflow"]'
is "only one workflow" "$("$DROVER" report cost --workflow diamond --json | jq -c '[.runs, .total_usd, (.by_model | length)]')" '[7,0,0]'
is "--since leaves out older runs" "$("$DROVER" report cost --since 1ms --json | jq .runs)" 0
t=$("$DROVER" report cost)
like "the text: totals" "$t" '^10 runs$'
like "by provider and model" "$t" "^  $HTTPD gpt-4o +3 +0\.000[0-9]+ +0\.0000[0-9]+ +100\.0%"
like "by step" "$t" '^  mixed ask +3 '
unlike "no day table unless asked" "$t" 'by day'
like "--by day shows the day table" "$("$DROVER" report cost --by day)" '^by day \(UTC\):'
unlike "and only it" "$("$DROVER" report cost --by day)" 'by step'

# the cache: one result kept, then reused twice
cat >"$T/cached.yaml" <<YAML
name: cached
steps:
  - id: ask
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o, prompt: "cache me", max_tokens: 10}
    cache: 1h
YAML
for i in 1 2 3; do "$DROVER" run --no-tui "$T/cached.yaml" >/dev/null 2>&1; done
c=$("$DROVER" report cost --workflow cached --json)
is "cache: two reuses of one kept result" "$(echo "$c" | jq -c '[.cache.hits, .cache.kept, (.cache.hit_rate * 1000 | round)]')" '[2,1,667]'
is "saving twice what the one call cost" "$(echo "$c" | jq '(.cache.saved_usd - 2 * .total_usd) * 1e12 | round')" 0
is "the cached ends are not model calls" "$(echo "$c" | jq -c '[.by_model[].calls]')" '[1]'
like "the text says it" "$("$DROVER" report cost --workflow cached)" '^cache: 2 reuses of 3 cached ends \(67%\), saved \$0\.000[0-9]+$'

# --- sections, gates, whole reads, a paid reply that failed ---
cat >"$T/tail.yaml" <<'YAML'
name: tail
steps:
  - {id: a, run: sleep 0.1}
  - {id: b, depends_on: [a], run: "sleep 0.15; echo '{{ toJSON(steps) }}' >/dev/null"}
finally:
  - {id: z, run: sleep 0.3}
YAML
"$DROVER" run --no-tui "$T/tail.yaml" >/dev/null 2>&1
p=$(prof "$(last_run)")
is "the critical path goes on through the finally steps" "$(echo "$p" | jq -c .critical_path)" '["a","b","z"]'
is "which make the bottleneck" "$(echo "$p" | jq -c '[.steps[] | select(.verdicts | index("BOTTLENECK")) | .id]')" '["z"]'
is "a step that reads all of steps gets no parallel advice" \
	"$(echo "$p" | jq '[.recommendations[] | select(.kind == "parallel")] | length')" 0

cat >"$T/gated.yaml" <<YAML
name: gated
steps:
  - {id: build, run: sleep 0.5}
  - {id: ok, depends_on: [build], approval: {message: ship?}}
  - {id: deploy, depends_on: [ok], run: sleep 0.2}
YAML
"$DROVER" run --no-tui "$T/gated.yaml" >/dev/null 2>&1 &
pid=$!
i=0; until "$DROVER" ls --waiting --json 2>/dev/null | jq -e 'length > 0' >/dev/null || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 1
"$DROVER" approve "$(last_run)" ok >/dev/null 2>&1
wait "$pid"
p=$(prof "$(last_run)")
is "the gate is on the critical path" "$(echo "$p" | jq -c .critical_path)" '["build","ok","deploy"]'
is "but the time people took is no bottleneck" \
	"$(echo "$p" | jq -c '[.steps[] | select(.verdicts | index("BOTTLENECK")) | .id]')" '["build"]'
is "and no advice to run past it" "$(echo "$p" | jq '[.recommendations[] | select(.kind == "parallel")] | length')" 0

cat >"$T/badjson.yaml" <<YAML
name: badjson
steps:
  - id: ask
    llm: {base_url: "$HTTPD/llm/v1", model: gpt-4o, prompt: "json please", max_tokens: 5, response_format: json}
YAML
"$DROVER" run --no-tui "$T/badjson.yaml" >/dev/null 2>&1
is "a reply that is not the JSON asked for fails the step" "$(step_field "$(last_run)" ask status)" failed
is "and is still paid for" "$("$DROVER" show "$(last_run)" --json | jq -c '.steps[0] | [.tokens_in, .tokens_out, (.cost_usd > 0)]')" '[3,5,true]'
like "report cost counts it as a call without a reply" "$("$DROVER" report cost --workflow badjson --json | jq -c '.by_model[0] | [.model, .calls]')" '\["\(no reply\)",1\]'

# --- a run killed, then resumed ---
cat >"$T/crash.yaml" <<YAML
name: crash
steps:
  - {id: first, run: sleep 0.1}
  - {id: long, depends_on: [first], run: "touch $T/long-started; sleep 2"}
YAML
rm -f "$T/long-started"
crash_run "$T/crash.yaml" "$T/long-started"
crashed=$run
like "an interrupted run is counted as not ended" "$("$DROVER" report cost --workflow crash)" \
	'^1 run of crash \(1 not ended, going on or interrupted: counted as far as they got\)$'
is "its profile names no share of an unknown wall time" "$(prof "$crashed" | jq -c '[.wall_ms, .slowest]')" '[null,null]'
"$DROVER" resume "$crashed" >/dev/null 2>&1
p=$(prof "$crashed")
is "resumed: no speedup, as the wall time holds the time it was stopped" "$(echo "$p" | jq -c '[.resumed, .speedup]')" '[true,null]'
like "the text says why" "$("$DROVER" report profile "$crashed")" 'no speedup: the run was resumed'
is "the step run again after the interruption is no retry: not FLAKY" \
	"$(echo "$p" | jq -c '.steps[] | select(.id == "long") | [.attempts, .verdicts]')" '[2,["BOTTLENECK"]]'

# --- a history that does not exist yet, and bad usage ---
DROVER_DB="$T/none.db" "$DROVER" report cost --json >"$T/none.json"; rc=$?
is "no history: an empty report" "$rc $(jq -c '[.runs, .total_usd, .by_step]' "$T/none.json")" "0 [0,0,[]]"
ok "and no database made" test ! -e "$T/none.db"
fails "report alone" 2 "$DROVER" report
fails "an unknown report" 2 "$DROVER" report patterns
like "says which there are" "$("$DROVER" report patterns 2>&1)" "there is no report 'patterns'; there are profile and cost"
fails "profile without a run" 2 "$DROVER" report profile
fails "profile of no such run" 2 "$DROVER" report profile 999
fails "cost options on profile" 2 "$DROVER" report profile "$slow" --since 1d
fails "a bad --by" 2 "$DROVER" report cost --by month
like "says what --by takes" "$("$DROVER" report cost --by month 2>&1)" 'step, model, workflow or day'
fails "a bad --since" 2 "$DROVER" report cost --since soon
fails "an extra argument" 2 "$DROVER" report cost extra
done_testing
