# tap.sh - a small TAP producer for drover's shell tests.
#
# Source it, then call the checks; each prints one "ok N - name" or
# "not ok N - name" line, with what differed as "#" comments.  Call
# done_testing at the end to print the plan.
#
#   ok NAME CMD...             CMD exits 0
#   fails NAME STATUS CMD...   CMD exits with STATUS
#   is NAME GOT WANT           strings are equal
#   like NAME GOT PATTERN      GOT matches the grep -E PATTERN
#   unlike NAME GOT PATTERN    GOT does not match PATTERN
#   same_file NAME GOT WANT    two files are equal (a diff is shown if not)
#
# $DROVER is the binary under test, $TOP_SRCDIR the source tree; each test
# gets a fresh scratch directory $T (removed at exit) and its own $DROVER_DB.

: "${DROVER:=$(pwd)/drover}"
: "${TOP_SRCDIR:=$(pwd)}"
tap_n=0
tap_failed=0
tap_servers=
T=$(mktemp -d "${TMPDIR:-/tmp}/drover-test.XXXXXX")
# At exit, runs this test left going in their own processes are killed
# (their process and its steps), then the scratch directory goes.
tap_end() {
	"$DROVER" ls --json -n 0 2>/dev/null | jq -r '.[] | select(.status == "running" and
	    .pid != null) | "\(.id) \(.pid)"' 2>/dev/null | while read -r id pid; do
		"$DROVER" cancel --force "$id" >/dev/null 2>&1
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $tap_servers; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	rm -rf "$T"
}
trap tap_end EXIT
export DROVER_DB="$T/history.db"
export DROVER_RUNTIME_DIR="$T/run"
export XDG_CONFIG_HOME="$T/config"
export XDG_STATE_HOME="$T/state"
export NO_COLOR=1
unset DROVER_PATH DROVER_CONFIG DROVER_THEME
# The prices of the source tree, not of an installed drover.
export DROVER_PRICING="$TOP_SRCDIR/pricing.yaml"

tap_result() {	# tap_result OK NAME
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

tap_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

ok() {
	name=$1; shift
	out=$("$@" 2>&1); rc=$?
	tap_result "$rc" "$name"
	[ "$rc" = 0 ] || tap_diag "command: $*" "exit status $rc" "$out"
}

fails() {
	name=$1; want=$2; shift 2
	out=$("$@" 2>&1); rc=$?
	[ "$rc" = "$want" ]; tap_result $? "$name"
	[ "$rc" = "$want" ] || tap_diag "command: $*" "exit status $rc, wanted $want" "$out"
}

is() {
	[ "$2" = "$3" ]; r=$?
	tap_result "$r" "$1"
	[ "$r" = 0 ] || tap_diag "got:" "$2" "wanted:" "$3"
}

like() {
	printf '%s\n' "$2" | grep -Eq -- "$3"; r=$?
	tap_result "$r" "$1"
	[ "$r" = 0 ] || tap_diag "got:" "$2" "wanted a match for: $3"
}

unlike() {
	! printf '%s\n' "$2" | grep -Eq -- "$3"; r=$?
	tap_result "$r" "$1"
	[ "$r" = 0 ] || tap_diag "got:" "$2" "wanted no match for: $3"
}

same_file() {
	d=$(diff -u "$3" "$2" 2>&1); r=$?
	tap_result "$r" "$1"
	[ "$r" = 0 ] || tap_diag "$d"
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
}

# Runs a workflow written on stdin (saved as $T/NAME.yaml) and sets $rc to
# drover's exit status and $run to the new run's number; extra arguments go
# to drover run.
run_wf() {
	name=$1; shift
	cat >"$T/$name.yaml"
	"$DROVER" run "$T/$name.yaml" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	run=$(last_run)
}

# hold_history_lock [DB] / release_history_lock: another process (the
# sqlite3 shell) holds the history's write lock, which stops drover from
# writing it just as a full disk would.
hold_history_lock() {
	rm -f "$T/lockfifo"
	mkfifo "$T/lockfifo"
	sqlite3 "${1:-$DROVER_DB}" <"$T/lockfifo" >/dev/null 2>&1 &
	tap_lockpid=$!
	exec 7>"$T/lockfifo"
	printf 'BEGIN EXCLUSIVE;\nSELECT 1;\n' >&7
	sleep 0.3
}
release_history_lock() {
	echo 'COMMIT;' >&7
	exec 7>&-
	wait "$tap_lockpid"
}

# start_httpd: starts the tests' HTTP server (tests/servers/httpd.js) on
# 127.0.0.1 and sets $HTTPD to its base URL; the test is skipped when
# node is missing.  It goes at exit.
start_httpd() {
	command -v node >/dev/null 2>&1 || skip_all "node is not installed (the tests' HTTP server needs it)"
	rm -f "$T/httpd.port"
	node "$TOP_SRCDIR/tests/servers/httpd.js" >"$T/httpd.port" 2>"$T/httpd.err" &
	tap_servers="$tap_servers $!"
	i=0
	until grep -q '^port ' "$T/httpd.port" 2>/dev/null || [ $i -gt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	HTTPD="http://127.0.0.1:$(sed -n 's/^port //p' "$T/httpd.port")"
	[ "$HTTPD" != "http://127.0.0.1:" ] || { cat "$T/httpd.err"; echo "Bail out! httpd did not start"; exit 1; }
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
}

# start_mock_llm: starts the OpenAI-compatible mock server (npm's
# @dwmkerr/mock-llm, installed by `npm ci --prefix tests`) with the rules
# of tests/servers/mock-llm.yaml, and sets $LLM to its base URL (as
# OpenAI clients write it: .../v1); the test is skipped when node or the
# server is missing.  It goes at exit.
start_mock_llm() {
	main="$TOP_SRCDIR/tests/node_modules/@dwmkerr/mock-llm/dist/main.js"
	command -v node >/dev/null 2>&1 || skip_all "node is not installed (the mock LLM server needs it)"
	[ -f "$main" ] || skip_all "the mock LLM server is not installed: run npm ci --prefix tests"
	port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
	HOST=127.0.0.1 PORT=$port node "$main" --config "$TOP_SRCDIR/tests/servers/mock-llm.yaml" \
		>"$T/mock-llm.out" 2>&1 &
	tap_servers="$tap_servers $!"
	LLM="http://127.0.0.1:$port/v1"
	i=0
	until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 || [ $i -gt 300 ]; do
		sleep 0.05; i=$((i + 1))
	done
	curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 ||
		{ cat "$T/mock-llm.out"; echo "Bail out! the mock LLM server did not start"; exit 1; }
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
}

# last_run [FIELD]: a field of the newest run in the history (its id
# unless FIELD is given).
last_run() { "$DROVER" ls --json -n 1 | jq -r ".[0].${1:-id}"; }

# wait_until CMD...: runs CMD every 50 ms until it succeeds (status 0),
# for 20 s at most (status 1).  waitfor FILE: until FILE exists.
wait_until() {
	_i=0
	until "$@"; do
		[ $_i -ge 400 ] && return 1
		sleep 0.05; _i=$((_i + 1))
	done
}
waitfor() { wait_until test -e "$1"; }

# crash_run WF MARKER: runs WF in the background and SIGKILLs its drover
# (pid in $pid) once the file MARKER exists; $run is the run it left.
crash_run() {
	"$DROVER" run "$1" >"$T/crash.out" 2>&1 &
	pid=$!
	waitfor "$2"
	kill -KILL $pid
	wait $pid 2>/dev/null
	run=$(last_run)
}

# step_field RUN STEP FIELD: a field of a step in drover show --json.
step_field() {
	"$DROVER" show "$1" --json | jq -r --arg s "$2" ".steps[] | select(.id == \$s) | .$3"
}
