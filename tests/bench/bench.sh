#!/bin/sh
# bench.sh - drover's hot paths against their budgets (DESIGN.md); run by
# `make bench`.  Prints figures, asserts nothing.
#   1. scheduling: the same random DAG of N no-op steps run by drover
#      (max_parallel 2) and by ninja (-j2); budget: within 1.3x of ninja.
#   2. persisting log lines: lines/s a step's output reaches the history;
#      budget: >= 1,000,000 lines/s.
set -u
: "${DROVER:=./drover}"
: "${TOP_SRCDIR:=.}"
B=$(mktemp -d "${TMPDIR:-/tmp}/drover-bench.XXXXXX")
trap 'rm -rf "$B"' EXIT
export DROVER_DB="$B/history.db" DROVER_RUNTIME_DIR="$B/run" NO_COLOR=1
mkdir -p "$B/run" && chmod 700 "$B/run"

now_ms() { date +%s%3N; }

best_of() {	# best_of N CMD...: the fastest of N runs, in ms
	best=
	for i in $(seq 1 "$1"); do
		rm -rf "$DROVER_DB"*
		t0=$(now_ms)
		sh -c "$2" >/dev/null 2>&1
		t=$(( $(now_ms) - t0 ))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}

echo "drover benchmarks ($(nproc) CPUs, $(uname -r))"
if command -v ninja >/dev/null 2>&1; then
	for n in 1000 10000; do
		mkdir -p "$B/dag$n"
		awk -v n=$n -v seed=7 -v out="$B/dag$n" -f "$TOP_SRCDIR/tests/bench/gendag.awk"
		tn=$(best_of 3 "cd $B/dag$n && rm -f .ninja_log .ninja_deps && ninja -j2")
		td=$(best_of 3 "$DROVER run $B/dag$n/dag.yaml")
		ratio=$(awk -v a="$td" -v b="$tn" 'BEGIN { printf "%.2f", a / b }')
		echo "scheduling $n no-op steps: drover ${td} ms, ninja ${tn} ms, ratio ${ratio}x (budget 1.3x)"
	done
else
	echo "scheduling: skipped (ninja is not installed: apt-get install ninja-build)"
fi

cat >"$B/lines.yaml" <<'YAML'
name: lines
steps:
  - id: count
    run: seq 1 2000000
YAML
rm -rf "$DROVER_DB"*
"$DROVER" run "$B/lines.yaml" >/dev/null 2>&1
ms=$("$DROVER" show 1 --json | awk -F: '/"duration_ms"/ { gsub(/[ ,]/, "", $2); print $2; exit }')
lines=$("$DROVER" logs 1 count | wc -l)
echo "persisting log lines: $lines lines in ${ms} ms of the step = $(awk -v l="$lines" -v m="$ms" 'BEGIN { printf "%d", l / (m / 1000) }') lines/s (budget 1000000)"

# 3. the console: CPU per frame of a 1,000-step graph (budget 2 ms; the
#    layout is made once per run), and bytes sent to the terminal.
: "${BENCH_BIN:=tests/bench}"
mkdir -p "$B/dag1000"
awk -v n=1000 -v seed=7 -v out="$B/dag1000" -f "$TOP_SRCDIR/tests/bench/gendag.awk"
"$BENCH_BIN/bench_frame" "$B/dag1000/dag.yaml" 80 24
"$BENCH_BIN/bench_frame" "$B/dag1000/dag.yaml" 200 50
export XDG_CONFIG_HOME="$B/config" LANG=C.UTF-8
mkdir -p "$XDG_CONFIG_HOME/drover" && ln -s "$TOP_SRCDIR/themes" "$XDG_CONFIG_HOME/drover/themes"
unset NO_COLOR
rm -rf "$DROVER_DB"*
"$DROVER" run --no-tui "$B/dag1000/dag.yaml" >/dev/null 2>&1
printf 'idle console on a finished 1,000-step run (budget 0): '
"$BENCH_BIN/ptycount" 2 10 80 24 "$DROVER" attach 1
printf 'idle runs list (budget 0): '
"$BENCH_BIN/ptycount" 2 10 80 24 "$DROVER"
cat >"$B/busy.yaml" <<'YAML'
name: busy
steps:
  - id: chatter
    run: i=0; while [ $i -lt 3000 ]; do echo "line $i of a busy step"; i=$((i+1)); sleep 0.004; done
  - id: ticker
    depends_on: []
    run: for i in $(seq 1 20); do echo "tick $i"; sleep 0.5; done
YAML
printf 'console watching a busy run (~200 lines/s, 80x24): '
"$BENCH_BIN/ptycount" 1 10 80 24 "$DROVER" run "$B/busy.yaml"

# 4. runs in their own process (issue 9): attaching to a live 10,000-step
#    run until the console's first whole frame (budget 200 ms); the bytes a
#    busy run sends one attached client; and what the run process costs on
#    the no-op scheduling benchmark against the foreground engine, in
#    pairs run in alternation (median ratio and its range).
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
export NO_COLOR=1
rm -rf "$DROVER_DB"*
mkdir -p "$B/dag10000"
awk -v n=10000 -v seed=7 -v out="$B/dag10000" -f "$TOP_SRCDIR/tests/bench/gendag.awk"
sed 's/max_parallel: 2/max_parallel: 1/' "$B/dag10000/dag.yaml" >"$B/dag10000/slow.yaml"
: >"$B/attach.ms"
for i in 1 2 3 4 5; do
	run=$("$DROVER" run --detach "$B/dag10000/slow.yaml")
	sleep 1
	"$BENCH_BIN/firstframe" 200 50 'back' "$DROVER" attach "$run" >>"$B/attach.ms"
	"$DROVER" cancel --force "$run" >/dev/null 2>&1
	"$DROVER" logs "$run" -f >/dev/null 2>&1
done
echo "attach to a live 10,000-step run, first whole frame at 200x50: median $(median <"$B/attach.ms") ms of $(tr '\n' ' ' <"$B/attach.ms")(budget 200)"

SOCKPEER="$BENCH_BIN/../cli/sockpeer"
run=$("$DROVER" run --detach "$B/busy.yaml")
uuid=$("$DROVER" show "$run" --json | awk -F'"' '/"uuid"/ { print $4; exit }')
i=0
while [ ! -S "$DROVER_RUNTIME_DIR/$uuid.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
t0=$(now_ms)
bytes=$(printf '{"type":"hello","protocol":1}\n{"type":"attach"}\n' |
	"$SOCKPEER" -k -t 60 "$DROVER_RUNTIME_DIR/$uuid.sock" 2>/dev/null | wc -c)
t=$(( $(now_ms) - t0 ))
echo "one client attached to a busy run (~200 lines/s): $bytes bytes in $t ms = $(awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%d", b / (t / 1000) }') bytes/s"

: >"$B/own.ratio"
for i in 1 2 3 4 5 6 7; do
	rm -rf "$DROVER_DB"*
	t0=$(now_ms)
	"$DROVER" run --no-tui "$B/dag1000/dag.yaml" >/dev/null 2>&1
	ta=$(( $(now_ms) - t0 ))
	rm -rf "$DROVER_DB"*
	t0=$(now_ms)
	run=$("$DROVER" run --detach "$B/dag1000/dag.yaml")
	"$DROVER" logs "$run" -f >/dev/null 2>&1
	tb=$(( $(now_ms) - t0 ))
	echo "$tb $ta" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$B/own.ratio"
done
echo "1,000 no-op steps in a run process (--detach, then logs -f to its end) against the foreground (--no-tui): median ratio $(median <"$B/own.ratio"), range $(sort -n "$B/own.ratio" | head -1)-$(sort -n "$B/own.ratio" | tail -1), 7 pairs"
