#!/bin/sh
# bench.sh - drover's hot paths against their budgets (DESIGN.md); run by
# `make bench`.  Prints figures, asserts nothing.
#
# Every comparison is a pair of whole processes run in alternation
# (A B A B ..., after one warm-up pair): the ratio is taken pair by pair
# and its median and range printed, with both sides' median times.  A run
# of drover's is done when its process has exited, which is when its
# history is committed.  BENCH_PAIRS sets the number of pairs (default 7;
# three times as many for comparisons under a second, which the machine's
# noise swamps otherwise; 3 for the 10M-line step); BENCH_BIG=0 leaves out
# the 100,000-step and 10M-line cases.
set -u
: "${DROVER:=./drover}"
: "${TOP_SRCDIR:=.}"
: "${BENCH_BIN:=tests/bench}"
: "${BENCH_PAIRS:=7}"
: "${BENCH_BIG:=1}"
TIMEIT="$BENCH_BIN/timeit"
B=$(mktemp -d "${TMPDIR:-/tmp}/drover-bench.XXXXXX")
trap 'rm -rf "$B"' EXIT
export DROVER_DB="$B/history.db" DROVER_RUNTIME_DIR="$B/run" NO_COLOR=1
mkdir -p "$B/run" && chmod 700 "$B/run"

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fresh() { rm -rf "$DROVER_DB" "$DROVER_DB-wal" "$DROVER_DB-shm" "$DROVER_DB-logs"; }
gendag() {	# gendag N: $B/dagN/{dag.yaml,build.ninja,Makefile}
	[ -d "$B/dag$1" ] && return
	mkdir -p "$B/dag$1"
	awk -v n="$1" -v seed=7 -v out="$B/dag$1" -f "$TOP_SRCDIR/tests/bench/gendag.awk"
}

# pair LABEL PEER PREP A B: $pairs pairs of `sh -c A` (drover) and `sh -c B`
# (PEER), PREP run before each side, untimed.  Sets A_MS, B_MS, A_RSS
# (medians: ms, KiB), A_OUT (bytes A wrote to storage) and RATIO.
pairs=$BENCH_PAIRS
pair() {
	: >"$B/a.t"
	: >"$B/b.t"
	for i in $(seq 0 "$pairs"); do
		eval "$3"
		"$TIMEIT" "$B/a.t" sh -c "$4" >/dev/null 2>&1
		eval "$3"
		"$TIMEIT" "$B/b.t" sh -c "$5" >/dev/null 2>&1
	done
	sed -i 1d "$B/a.t" "$B/b.t"	# the warm-up
	A_MS=$(awk '{ print $1 }' "$B/a.t" | median)
	B_MS=$(awk '{ print $1 }' "$B/b.t" | median)
	A_RSS=$(awk '{ print $4 }' "$B/a.t" | median)
	A_OUT=$(awk '{ print $5 }' "$B/a.t" | median)
	paste -d' ' "$B/a.t" "$B/b.t" | awk '{ printf "%.3f\n", $1 / $6 }' >"$B/ratio"
	RATIO=$(median <"$B/ratio")
	printf '%-58s %5.2fx (%s-%s)  drover %s ms, %s %s ms, %d pairs\n' "$1" "$RATIO" \
	    "$(sort -n "$B/ratio" | head -1)" "$(sort -n "$B/ratio" | tail -1)" \
	    "$A_MS" "$2" "$B_MS" "$pairs"
}

echo "drover benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(uname -sr)"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
# The CPU time a hypervisor gave to others (steal) says how shared the
# machine was; it is read again at the end.
cpu_times() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t }' /proc/stat; }
CPU_START=$(cpu_times)
echo "each ratio: the median over pairs run in alternation (min-max), whole processes"
echo

# 1. scheduling: the same random DAG of N `true` steps (gendag.awk) run by
#    drover (max_parallel 2, --no-tui: the line printer on) and by ninja
#    -j2, and N `/bin/sh -c true` by a bare posix_spawn loop keeping 2 in
#    flight, output through pipes (spawnfloor.c).  Budgets: 1.1x ninja,
#    1.25x the spawn loop; run process RSS at N=10,000 under 64 MB.
echo "1. scheduling no-op steps, 2 at a time (budgets: 1.1x ninja, 1.25x spawn loop)"
if command -v ninja >/dev/null 2>&1; then
	have_ninja=1
else
	have_ninja=0
	echo "   ninja is not installed (apt-get install ninja-build): its pairs are left out"
fi
for n in 1000 10000; do
	gendag $n
	d="$B/dag$n"
	[ $n = 1000 ] && pairs=$((3 * BENCH_PAIRS)) || pairs=$BENCH_PAIRS
	[ $have_ninja = 1 ] && pair "   $n steps against ninja -j2" ninja fresh \
	    "exec '$DROVER' run --no-tui '$d/dag.yaml'" \
	    "cd '$d' && rm -f .ninja_log .ninja_deps && exec ninja -j2"
	pair "   $n steps against the spawn loop" spawnloop fresh \
	    "exec '$DROVER' run --no-tui '$d/dag.yaml'" \
	    "exec '$BENCH_BIN/spawnfloor' $n 2"
done
echo "   run process memory at 10,000 steps: $((A_RSS / 1024)) MiB peak RSS (budget 64)"
if [ $have_ninja = 1 ]; then
	sed 's/max_parallel: 2/max_parallel: 1/' "$B/dag10000/dag.yaml" >"$B/dag10000/one.yaml"
	pair "   10000 steps one at a time against ninja -j1" ninja fresh \
	    "exec '$DROVER' run --no-tui '$B/dag10000/one.yaml'" \
	    "cd '$B/dag10000' && rm -f .ninja_log .ninja_deps && exec ninja -j1"
fi
if [ "$BENCH_BIG" = 1 ]; then
	gendag 100000
	fresh
	: >"$B/big.t"
	"$TIMEIT" "$B/big.t" "$DROVER" run --no-tui "$B/dag100000/dag.yaml" >/dev/null 2>&1
	echo "   100000 steps: $(awk '{ printf "%d ms, %d MiB peak RSS", $1, $4 / 1024 }' "$B/big.t") (one run)"
fi
echo

# 2. persisting log lines: one step printing 10M lines of 58 bytes,
#    against the same command run by the same shell into a file; budget
#    1.3x.  Every byte is checked by digest; write amplification is the
#    bytes the run wrote to storage over the bytes of its log.
echo "2. persisting a step's log (budget 1.3x the command > file)"
if [ "$BENCH_BIG" = 1 ]; then
	lines=10000000
else
	lines=1000000
fi
cmd="yes 'a line of the log of a busy step, 58 bytes with its end.' | head -n $lines"
printf 'name: lines\nsteps:\n  - id: print\n    run: "%s"\n' "$cmd" >"$B/lines.yaml"
pair "   $lines lines against the same command > file" "> file" fresh \
    "exec '$DROVER' run --no-tui '$B/lines.yaml'" \
    "exec /bin/sh -c \"$cmd\" >'$B/lines.out'"
pairs=$BENCH_PAIRS
fresh
"$DROVER" run --no-tui "$B/lines.yaml" >/dev/null 2>&1
want=$(sha256sum <"$B/lines.out" | cut -d' ' -f1)
got=$("$DROVER" logs 1 print | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] && same="every byte the same (sha256)" || same="THE LOG DIFFERS from the command's output"
size=$(wc -c <"$B/lines.out")
echo "   $same; write amplification $(awk -v o="$A_OUT" -v s="$size" 'BEGIN { printf "%.2f", o / s }') (bytes written / bytes of log)"
echo

# 3. listing the history: `drover ls -n 0` over 100,000 runs (one real run,
#    its row copied) against the same query in the sqlite3 shell; budget
#    2x and constant memory.
echo "3. listing 100,000 runs (budget 2x the sqlite3 shell, constant memory)"
if command -v sqlite3 >/dev/null 2>&1; then
	fresh
	printf 'name: listed\nsteps:\n  - id: one\n    run: "true"\n' >"$B/listed.yaml"
	"$DROVER" run --no-tui "$B/listed.yaml" >/dev/null 2>&1
	sqlite3 "$DROVER_DB" "WITH RECURSIVE c(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
	    INSERT INTO runs (id, uuid, workflow_id, workflow, file, args, user, host, status,
	    exit_code, started_at, ended_at, duration_ms, last_seq)
	    SELECT i, lower(hex(randomblob(16))), workflow_id, workflow, file, args, user, host,
	    status, exit_code, started_at + i, ended_at + i, duration_ms, last_seq FROM runs, c
	    WHERE runs.id = 1"
	query="SELECT r.id, r.uuid, r.workflow, r.status, r.exit_code, r.user, r.host, r.started_at,
	    r.ended_at, r.duration_ms, r.cost_usd, r.tokens_in, r.tokens_out, r.args, r.file,
	    r.retry_of, r.error, r.last_seq, r.pid FROM runs r ORDER BY r.id DESC"
	pairs=$((3 * BENCH_PAIRS))
	pair "   ls -n 0 against sqlite3" sqlite3 true \
	    "exec '$DROVER' ls -n 0" "exec sqlite3 '$DROVER_DB' \"$query\""
	ls_rss=$A_RSS
	pair "   ls -n 0 --json against sqlite3 -json" sqlite3 true \
	    "exec '$DROVER' ls -n 0 --json" "exec sqlite3 -json '$DROVER_DB' \"$query\""
	pairs=$BENCH_PAIRS
	echo "   memory: ls $((ls_rss / 1024)) MiB, ls --json $((A_RSS / 1024)) MiB peak RSS"
else
	echo "   sqlite3 is not installed (apt-get install sqlite3): left out"
fi
echo

# 4. the graph of 10,000 steps as JSON against ninja's graph; budget 1.2x.
echo "4. drover graph of 10,000 steps (budget 1.2x ninja -t graph)"
if [ $have_ninja = 1 ]; then
	pairs=$((3 * BENCH_PAIRS))
	pair "   graph --format json against ninja -t graph" ninja true \
	    "exec '$DROVER' graph --format json '$B/dag10000/dag.yaml'" \
	    "cd '$B/dag10000' && exec ninja -t graph"
	pairs=$BENCH_PAIRS
fi
echo

# 5. the console: CPU per frame of a 1,000-step graph (budget 2 ms; the
#    layout is made once per run), the same for the dashboard of that run
#    with 1,000 past runs recorded first (its open reads their history,
#    as it does again when a step finishes, at most once a second), and
#    bytes sent to the terminal.
echo "5. the console"
gendag 1000
"$BENCH_BIN/bench_frame" "$B/dag1000/dag.yaml" 80 24
"$BENCH_BIN/bench_frame" "$B/dag1000/dag.yaml" 200 50
"$BENCH_BIN/bench_frame" -d 1000 "$B/dag1000/dag.yaml" 80 24
export XDG_CONFIG_HOME="$B/config" LANG=C.UTF-8
mkdir -p "$XDG_CONFIG_HOME/drover" && ln -s "$TOP_SRCDIR/themes" "$XDG_CONFIG_HOME/drover/themes"
unset NO_COLOR
fresh
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
echo

# 6. runs in their own process: attaching to a live 10,000-step run until
#    the console's first whole frame (budget 200 ms); the bytes a busy run
#    sends one attached client; and what the run process costs on the
#    no-op scheduling benchmark against the foreground engine.
echo "6. runs in their own process"
export NO_COLOR=1
fresh
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
pairs=$((3 * BENCH_PAIRS))
pair "1000 no-op steps: run process (--detach, logs -f) / --no-tui" "--no-tui" fresh \
    "run=\$('$DROVER' run --detach '$B/dag1000/dag.yaml') && exec '$DROVER' logs \"\$run\" -f" \
    "exec '$DROVER' run --no-tui '$B/dag1000/dag.yaml'"
echo

# 7. http steps: 200 requests in flight at once against a local server
#    (the tests' own, tests/servers/httpd.js), against the same 200
#    requests made by curl --parallel --parallel-max 200; and the CPU the
#    whole drover process spends per request (executor, history writer and
#    line printer together: an upper bound of the executor's).
echo "7. 200 concurrent http steps (against curl --parallel --parallel-max 200)"
if command -v node >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
	node "$TOP_SRCDIR/tests/servers/httpd.js" >"$B/httpd.port" 2>/dev/null &
	httpd=$!
	i=0
	until grep -q '^port ' "$B/httpd.port" 2>/dev/null || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
	url="http://127.0.0.1:$(sed -n 's/^port //p' "$B/httpd.port")/slow?ms=50"
	{
		printf 'name: http200\nlimits: {max_parallel: 200}\nsteps:\n'
		for i in $(seq 1 200); do
			printf '  - {id: h%d, depends_on: [], http: {url: "%s&i=%d"}}\n' "$i" "$url" "$i"
		done
	} >"$B/http200.yaml"
	for i in $(seq 1 200); do printf 'url = "%s&i=%d"\noutput = /dev/null\n' "$url" "$i"; done \
	    >"$B/curl200.cfg"
	pairs=$((3 * BENCH_PAIRS))
	pair "   200 requests (each answered after 50 ms) against curl" curl fresh \
	    "exec '$DROVER' run --no-tui '$B/http200.yaml'" \
	    "exec curl -s --parallel --parallel-max 200 --config '$B/curl200.cfg'"
	pairs=$BENCH_PAIRS
	cpu=$(awk '{ print $2 + $3 }' "$B/a.t" | median)
	ccpu=$(awk '{ print $2 + $3 }' "$B/b.t" | median)
	echo "   CPU per request: drover $(awk -v c="$cpu" 'BEGIN { printf "%.3f", c / 200 }') ms (whole process), curl $(awk -v c="$ccpu" 'BEGIN { printf "%.3f", c / 200 }') ms"
	kill "$httpd" 2>/dev/null
else
	echo "   node or curl is not installed: left out"
fi
echo

# 8. statistics over a long history: a workflow of 10 steps with 10,000
#    past runs (one real run, copied in SQL with its steps: running 10,000
#    would take the benchmark's whole time), then report profile (two
#    windows of the last 100 runs, the graph, verdicts) and report cost
#    (every run) as whole processes.  Budget: 50 ms for the statistics.
echo "8. statistics over 10,000 past runs (budget 50 ms)"
fresh
{
	printf 'name: stats10\nsteps:\n'
	for i in $(seq 1 10); do printf '  - {id: s%d, run: "echo %d"}\n' "$i" "$i"; done
} >"$B/stats10.yaml"
"$DROVER" run --no-tui "$B/stats10.yaml" >/dev/null 2>&1
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$DROVER_DB" "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 10001)
		INSERT INTO runs (id, uuid, workflow_id, workflow, file, args, user, host, pid, pid_start,
		    status, exit_code, started_at, ended_at, duration_ms, cost_usd)
		SELECT i, printf('%08x-0000-4000-8000-000000000000', i), workflow_id, workflow, file, args,
		    user, host, pid, pid_start, 'succeeded', 0, started_at - i * 60000000,
		    ended_at - i * 60000000, duration_ms + i % 7, 0.001 * (i % 5)
		FROM n, (SELECT * FROM runs WHERE id = 1);
		INSERT INTO steps (run_id, idx, id, section, kind, status, attempts, exit_code, started_at,
		    ended_at, duration_ms, outputs)
		SELECT r.id, s.idx, s.id, s.section, s.kind, s.status, s.attempts, s.exit_code,
		    s.started_at, s.ended_at, s.duration_ms + r.id % 11, s.outputs
		FROM runs r, steps s WHERE r.id > 1 AND s.run_id = 1;"
	"$DROVER" run --no-tui "$B/stats10.yaml" >/dev/null 2>&1
	last=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
	for what in "report profile $last" "report cost"; do
		: >"$B/s.t"
		for i in $(seq 0 "$BENCH_PAIRS"); do
			"$TIMEIT" "$B/s.t" sh -c "exec '$DROVER' $what --json" >/dev/null 2>&1
		done
		sed -i 1d "$B/s.t"
		printf '   %-36s median %s ms (%s-%s), %d runs, whole process\n' "$what" \
		    "$(awk '{ print $1 }' "$B/s.t" | median)" "$(awk '{ print $1 }' "$B/s.t" | sort -n | head -1)" \
		    "$(awk '{ print $1 }' "$B/s.t" | sort -n | tail -1)" "$BENCH_PAIRS"
	done
else
	echo "   sqlite3 is not installed: left out"
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$CPU_START $(cpu_times)" | awk '$4 > $2 { printf "CPU time stolen by the hypervisor meanwhile: %.1f%%\n", 100 * ($3 - $1) / ($4 - $2) }'
