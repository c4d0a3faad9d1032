#!/bin/sh
# run_history.sh - nothing is lost: every line, in order, in the history;
# ls, show and logs read it back.
. "$TOP_SRCDIR/tests/tap.sh"

run_wf lines <<'YAML'
name: lines
steps:
  - id: count
    run: seq 1 1000000
  - id: mixed
    run: for i in $(seq 1 3000); do echo out$i; echo err$i >&2; done
  - id: long
    run: head -c 200000 /dev/zero | tr '\0' x; echo; printf 'no newline at the end'
  - id: pieces
    run: for i in $(seq 1 200); do head -c 1000 /dev/zero | tr '\0' y; done; echo; echo short
YAML
is "a million lines: the run succeeds" "$rc" 0
"$DROVER" logs "$run" count >"$T/count"
seq 1 1000000 >"$T/want"
same_file "all 1,000,000 lines are in the history, in order" "$T/count" "$T/want"
"$DROVER" logs "$run" mixed --stream stdout >"$T/out"
for i in $(seq 1 3000); do echo out$i; done >"$T/want"
same_file "stdout keeps its own order" "$T/out" "$T/want"
"$DROVER" logs "$run" mixed --stream stderr >"$T/err"
for i in $(seq 1 3000); do echo err$i; done >"$T/want"
same_file "stderr keeps its own order" "$T/err" "$T/want"
is "both streams together hold every line" "$("$DROVER" logs "$run" mixed | wc -l)" 6000
like "without a step, lines say where they come from" "$("$DROVER" logs "$run" | sed -n 1p)" '^count \| 1$'
is "a very long line is cut into 64 KiB lines, nothing dropped" \
	"$("$DROVER" logs "$run" long | head -n 4 | awk '{ printf "%d ", length($0) }')" \
	"65536 65536 65536 3392 "
is "a long line written in small pieces is cut the same way" \
	"$("$DROVER" logs "$run" pieces | awk '{ printf "%d ", length($0) }')" \
	"65536 65536 65536 3392 5 "
is "a last line without a newline is kept" "$("$DROVER" logs "$run" long | tail -n 1)" \
	"no newline at the end"
is "outputs.stdout keeps the last 64 KiB without the final newline" \
	"$(step_field "$run" count outputs.stdout | tail -n 1)" 1000000

json=$("$DROVER" ls --json)
is "ls --json lists the run" "$(printf '%s' "$json" | jq -r '.[0].workflow')" lines
is "ls --json has the run fields" "$(printf '%s' "$json" | jq -r '.[0] | [has("uuid"), has("status"), has("exit_code"), has("user"), has("started_at"), has("ended_at"), has("duration_ms"), has("cost_usd"), has("tokens_in"), has("tokens_out"), has("args")] | all')" true
show=$("$DROVER" show "$run" --json)
is "show --json: steps in file order" "$(printf '%s' "$show" | jq -r '[.steps[].id] | join(" ")')" "count mixed long pieces"
is "show --json: step fields" "$(printf '%s' "$show" | jq -r '.steps[0] | [has("attempts"), has("exit_code"), has("started_at"), has("ended_at"), has("duration_ms"), has("cached"), has("cost_usd"), has("outputs"), has("error")] | all')" true
uuid=$(printf '%s' "$show" | jq -r .uuid)
is "a run can be named by a UUID prefix" "$("$DROVER" show "$(echo "$uuid" | cut -c1-8)" --json | jq -r .id)" "$run"
fails "an unknown run is an error" 2 "$DROVER" show 999999
like "and says so" "$("$DROVER" show 999999 2>&1)" "no run 999999"
fails "logs of an unknown step is an error" 2 "$DROVER" logs "$run" cuont
like "with a suggestion" "$("$DROVER" logs "$run" cuont 2>&1)" "did you mean 'count'"
like "show prints a table of steps" "$("$DROVER" show "$run")" 'count +succeeded +1 +0'
like "ls prints a table" "$("$DROVER" ls)" "^ +$run +succeeded +lines"
is "ls --status filters" "$("$DROVER" ls --status failed --json)" "[]"
is "ls --workflow filters" "$("$DROVER" ls --workflow lines --json | jq length)" 1
fails "ls rejects an unknown status" 2 "$DROVER" ls --status great

# Several drover processes write one history at the same time.
cat >"$T/together.yaml" <<'YAML'
name: together
steps:
  - {id: a, run: seq 1 20000}
  - {id: b, run: echo done}
YAML
before=$("$DROVER" ls --json -n 0 | jq length)
for i in 1 2 3 4; do "$DROVER" run "$T/together.yaml" >/dev/null 2>&1 & done
wait
is "four runs at once all finished" "$("$DROVER" ls --workflow together --json | jq -r '[.[].status] | join(" ")')" \
	"succeeded succeeded succeeded succeeded"
is "with four different numbers" "$("$DROVER" ls --workflow together --json | jq -r '[.[].id] | unique | length')" 4
is "and every line of each" "$(for r in $("$DROVER" ls --workflow together --json | jq -r '.[].id'); do "$DROVER" logs "$r" a | wc -l; done | sort -u)" 20000

# A printer whose reader stalls while a step writes far more than the
# ring holds is lapped: it fills the gap from the history, so -v still
# prints every line once, in order.
cat >"$T/burst.yaml" <<'YAML'
name: burst
steps:
  - id: a
    run: seq 1 1000000
YAML
"$DROVER" run --no-tui -v "$T/burst.yaml" 2>&1 | { sleep 4; cat; } >"$T/burst.out"
grep '^a | ' "$T/burst.out" | sed 's/^a | //' >"$T/burst.lines"
seq 1 1000000 >"$T/want"
same_file "a lapped printer still prints each of 1,000,000 lines once, in order" \
	"$T/burst.lines" "$T/want"
like "and then the run's end" "$(tail -n 1 "$T/burst.out")" 'run [0-9]+ succeeded'

done_testing
