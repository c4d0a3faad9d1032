#!/bin/sh
# run_socket.sh - a run's control socket: made private by the run's
# process and gone with it; garbage, a 100 MB line, a half message, requests
# out of order and a client that never reads get an error or are
# disconnected, and the run goes on and ends on time; drover cancel cancels
# a live run (which ends cancelled, exit 3) and says why when a run is not
# live; the server takes who connects from the kernel.
. "$TOP_SRCDIR/tests/tap.sh"
SOCKPEER=${TOP_BUILDDIR:-$(pwd)}/tests/cli/sockpeer
[ -x "$SOCKPEER" ] || skip_all "no $SOCKPEER (make check builds it)"

# peer TEXT [OPTIONS]: sends TEXT to the socket $sock (which sockpeer shuts
# after it) and sets $reply to what came back, $closed to what sockpeer
# said of the end.
peer() {
	text=$1; shift
	printf '%s' "$text" | "$SOCKPEER" "$@" "$sock" >"$T/reply" 2>"$T/closed"
	peer_rc=$?
	reply=$(cat "$T/reply")
	closed=$(cat "$T/closed")
}
hello='{"type":"hello","protocol":1,"client":"run_socket.sh"}
'

# A run whose middle step waits for $T/go (for 60 s at most).
cat >"$T/waits.yaml" <<YAML
name: waits
steps:
  - {id: first, run: "true"}
  - id: slow
    depends_on: [first]
    run: |
      touch $T/slow.started
      for i in \$(seq 1 600); do [ -e $T/go ] && exit 0; sleep 0.1; done
      exit 1
  - {id: last, depends_on: [slow], run: "echo done"}
YAML

# start_waits NAME: runs it in the background (output in $T/NAME.out) until
# its slow step has started and its socket is there: $pid, $run, $uuid and
# $sock.
start_waits() {
	rm -f "$T/go" "$T/slow.started"
	"$DROVER" run "$T/waits.yaml" --no-tui >"$T/$1.out" 2>&1 &
	pid=$!
	waitfor "$T/slow.started"
	run=$(last_run)
	uuid=$(last_run uuid)
	sock="$DROVER_RUNTIME_DIR/$uuid.sock"
	waitfor "$sock"
}

start_waits run1
[ -S "$sock" ]; tap_result $? "the run's process listens on RUNTIME_DIR/UUID.sock"
is "the socket is mode 0600" "$(stat -c %a "$sock")" 600
is "in a runtime dir of mode 0700" "$(stat -c %a "$DROVER_RUNTIME_DIR")" 700
is "both are the user's" "$(stat -c %u "$sock") $(stat -c %u "$DROVER_RUNTIME_DIR")" "$(id -u) $(id -u)"

peer "$hello"'{"type":"status","id":"s1"}
'
is "a hello is answered with the protocol and the run" \
	"$(printf '%s\n' "$reply" | head -n 1 | jq -c '[.type, .protocol, .run, .uuid, .you.uid]')" \
	"[\"hello\",1,$run,\"$uuid\",$(id -u)]"
is "status says which steps run, under the request's id" \
	"$(printf '%s\n' "$reply" | sed -n 2p | jq -c '[.type, .id, .status, .steps.succeeded, .steps.pending, .active[0].id, .active[0].status]')" \
	'["status","s1","running",1,1,"slow","running"]'
like "and the connection ends when the client is done" "$closed" "^sockpeer: closed, after sending"

# error_is CODE NAME: the reply is that one error, and the server closed.
error_is() {
	is "$2: error $1" "$(printf '%s\n' "$reply" | jq -r 'select(.type == "error") | .code' | tail -n 1)" "$1"
	is "$2: one reply, then closed" "$(printf '%s\n' "$reply" | wc -l | tr -d ' ') $peer_rc" "1 0"
}
peer 'garbage
'
error_is malformed "garbage"
like "saying what is wrong" "$(printf '%s' "$reply" | jq -r .message)" "^line 1 is not one JSON value$"
head -c 100000000 /dev/zero | tr '\0' x | "$SOCKPEER" "$sock" >"$T/reply" 2>"$T/closed"
peer_rc=$?
reply=$(cat "$T/reply")
error_is too_long "a 100 MB line"
like "refused once past the limit, not read to its end" "$(cat "$T/closed")" \
	"closed( after a write failed: .*)?, after sending [0-9]+ bytes"
sent=$(sed -n 's/.*after sending \([0-9]*\) bytes.*/\1/p' "$T/closed")
[ "$sent" -lt 4194304 ]; tap_result $? "the server stopped reading ($sent of 100000000 bytes sent)"
peer '{"type":"status"'
error_is truncated "a half message (the client ends its side inside a line)"
peer "$hello"'{"type":"status","id":1}
{"type":"stat'
is "what came whole before a half message is answered" \
	"$(printf '%s\n' "$reply" | jq -r .type | tr '\n' ' ')" "hello status error "
peer '{"type":"status"}
'
error_is hello_first "a request before the hello"
peer '{"type":"hello","protocol":99}
'
error_is version "a hello of another protocol version"
peer "$hello"'{"type":"format-disk"}
'
is "an unknown request: error unknown after the hello" \
	"$(printf '%s\n' "$reply" | jq -r .type | tr '\n' ' ')$(printf '%s\n' "$reply" | jq -r '.code // empty')" \
	"hello error unknown"
peer "$hello"'{"type":"status","id":{"a":1}}
'
is "a bad id: error bad_request" "$(printf '%s\n' "$reply" | tail -n 1 | jq -r .code)" bad_request

# A client that asks and asks but never reads is disconnected once its
# replies fill what the server keeps for it.
{ printf '%s' "$hello"; yes '{"type":"status"}'; } | "$SOCKPEER" -R -t 20 "$sock" >/dev/null 2>"$T/closed"
peer_rc=$?
is "a client that never reads is disconnected" "$peer_rc" 0
like "while it was still writing" "$(cat "$T/closed")" "closed after a write failed"

# attach: a snapshot of the run as it is, then events; twice is refused.
peer "$hello"'{"type":"attach","id":"a1"}
' -k -t 1
snap=$(printf '%s\n' "$reply" | sed -n 2p)
is "attach answers with a snapshot under the request's id" \
	"$(printf '%s' "$snap" | jq -c '[.type, .id, .status, .n_steps, .from, .more]')" \
	'["snapshot","a1","running",3,0,false]'
is "which has each step as the history does" \
	"$(printf '%s' "$snap" | jq -r '[.steps[].status] | join(" ")')" "succeeded running pending"
is "up to the history's last event" "$(printf '%s' "$snap" | jq -r .seq)" \
	"$("$DROVER" show "$run" --json | jq -r .last_seq)"
peer "$hello"'{"type":"attach"}
{"type":"attach"}
' -k -t 1
is "attaching twice: error bad_request" \
	"$(printf '%s\n' "$reply" | jq -r 'select(.type == "error") | .code')" bad_request
# A client that attaches and never reads, while the run writes a lot.
"$SOCKPEER" -R -k -t 30 "$sock" >/dev/null 2>"$T/never.closed" <<EOF &
$hello{"type":"attach"}
EOF
never=$!

peer "$hello"'{"type":"status"}
'
is "after all that the run's process still answers" \
	"$(printf '%s\n' "$reply" | sed -n 2p | jq -r .status)" running
kill -0 "$pid" 2>/dev/null; tap_result $? "and the run goes on"
start=$(date +%s)
touch "$T/go"
wait "$pid"; rc=$?
took=$(($(date +%s) - start))
is "the run succeeds" "$rc" 0
[ "$took" -le 5 ]; tap_result $? "on time (${took}s after its step was let go)"
wait "$never"; never_rc=$?
is "the attached client that never read is let go when the run ends" "$never_rc" 0
is "its history is complete" "$(step_field "$run" last status)" succeeded
[ ! -e "$sock" ]; tap_result $? "its socket is removed when it exits"
fails "drover cancel of a finished run" 2 "$DROVER" cancel "$run"
is "says so" "$out" "drover: run $run cannot be cancelled: it is not running (it ended succeeded)"

# drover cancel: the run ends cancelled, and its process exits 3.
start_waits run2
out=$("$DROVER" cancel "$run" 2>&1); rc=$?
is "drover cancel of a live run succeeds" "$rc" 0
like "saying what happens" "$out" "^cancelling run $run: its running steps get SIGTERM, then SIGKILL 10s later$"
wait "$pid"; rc=$?
is "the run's process exits 3" "$rc" 3
is "the run ended cancelled" "$("$DROVER" show "$run" --json | jq -r .status)" cancelled
is "its running step was cancelled" "$(step_field "$run" slow status)" cancelled
is "and the one after it never ran" "$(step_field "$run" last status)" cancelled
[ ! -e "$sock" ]; tap_result $? "its socket is gone"
fails "cancelling it again" 2 "$DROVER" cancel "$run"
is "is refused: it is not running" "$out" "drover: run $run cannot be cancelled: it is not running (it ended cancelled)"

# A run whose process was killed: interrupted, its stale socket answers
# nobody, and a resume's process replaces it.
start_waits run3
kill -KILL "$pid"; wait "$pid" 2>/dev/null
"$SOCKPEER" "$sock" </dev/null >/dev/null 2>"$T/closed"
is "its stale socket answers nobody" "$? $(cat "$T/closed")" \
	"2 sockpeer: connect $sock: Connection refused"
fails "drover cancel of an interrupted run" 2 "$DROVER" cancel "$run"
is "says what to do" "$out" "drover: run $run cannot be cancelled: its drover process ended before the run did (it is interrupted); 'drover resume $run' continues it"
rm -f "$T/slow.started"
"$DROVER" resume "$run" >"$T/run3b.out" 2>&1 &
pid=$!
waitfor "$T/slow.started"
peer "$hello"
is "the resumed run's process serves the socket anew" "$(printf '%s' "$reply" | jq -r .run)" "$run"
out=$("$DROVER" cancel --force "$run" 2>&1)
is "drover cancel --force kills at once" "$out" "killing every running step of run $run"
wait "$pid"; rc=$?
is "the resumed run ends cancelled" "$rc $("$DROVER" show "$run" --json | jq -r .status)" "3 cancelled"

# The server believes the kernel, not the file modes: as root, with the
# modes opened up, another user still cannot connect.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	start_waits run4
	chmod 711 "$T" "$DROVER_RUNTIME_DIR"
	chmod 666 "$sock"
	printf '%s' "$hello" | setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SOCKPEER" "$sock" >"$T/reply" 2>"$T/closed"
	reply=$(cat "$T/reply")
	is "another user is refused by the server: error denied" "$(printf '%s' "$reply" | jq -r .code)" denied
	like "naming who owns the run" "$(printf '%s' "$reply" | jq -r .message)" \
		"^run $run belongs to $(id -un): user nobody may not connect to it$"
	chmod 700 "$T" "$DROVER_RUNTIME_DIR"
	touch "$T/go"
	wait "$pid"
	is "and the run is not disturbed" "$?" 0
else
	tap_result 0 "# SKIP another user's connection needs root and setpriv"
fi

# An attached client that never reads while a step writes 300,000 lines:
# the run is not slowed and its history is whole.
rm -f "$T/go2"
cat >"$T/loud.yaml" <<YAML
name: loud
steps:
  - id: loud
    run: while [ ! -e $T/go2 ]; do sleep 0.05; done; seq 1 300000
YAML
run=$("$DROVER" run --detach "$T/loud.yaml")
uuid=$("$DROVER" show "$run" --json | jq -r .uuid)
sock="$DROVER_RUNTIME_DIR/$uuid.sock"
waitfor "$sock"
"$SOCKPEER" -R -k -t 60 "$sock" >/dev/null 2>"$T/loud.closed" <<EOF &
$hello{"type":"attach"}
EOF
deaf=$!
sleep 0.3
start=$(date +%s)
touch "$T/go2"
i=0
until [ "$("$DROVER" show "$run" --json | jq -r .status)" != running ] || [ $i -gt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
took=$(($(date +%s) - start))
is "a loud run with a deaf client attached succeeds" "$("$DROVER" show "$run" --json | jq -r .status)" \
	succeeded
[ "$took" -le 15 ]; tap_result $? "in ${took}s"
is "every line is in the history" "$("$DROVER" logs "$run" | wc -l | tr -d ' ')" 300000
wait "$deaf"
like "the deaf client is let go at the end" "$(cat "$T/loud.closed")" "^sockpeer: closed"

# A client that falls behind (reads nothing for a while, then catches up)
# gets a fresh snapshot instead of every event it missed.  The last step
# keeps the run going until the client reads again (a client of a run that
# has ended is given only CTL_LINGER_MS to read what is queued).
awk 'BEGIN { print "name: many\nlimits: {max_parallel: 2}\nsteps:"
	print "  - id: gate\n    run: while [ ! -e '"$T"'/go3 ]; do sleep 0.05; done"
	for (i = 0; i < 3000; i++) printf "  - id: s%d\n    depends_on: [gate]\n    run: \"true\"\n", i
	print "  - id: last\n    run: sleep 4" }' \
	>"$T/many.yaml"
rm -f "$T/go3"
run=$("$DROVER" run --detach "$T/many.yaml")
uuid=$("$DROVER" show "$run" --json | jq -r .uuid)
sock="$DROVER_RUNTIME_DIR/$uuid.sock"
waitfor "$sock"
"$SOCKPEER" -k -p 4000 -t 120 "$sock" >"$T/slow.out" 2>"$T/slow.closed" <<EOF &
$hello{"type":"attach"}
EOF
slow=$!
sleep 0.3
touch "$T/go3"
wait "$slow"
is "the run it watched succeeded" "$("$DROVER" show "$run" --json | jq -r .status)" succeeded
snaps=$(jq -r 'select(.type == "snapshot" and .from == 0) | .seq' "$T/slow.out" | wc -l)
ok "the client that fell behind got a fresh snapshot ($snaps in all)" [ "$snaps" -ge 2 ]
is "every event it got came in order, a snapshot going back to none" \
	"$(jq -s '[.[] | select(.type == "snapshot" and .from == 0 or .type == "event") | .seq] |
	    . as $s | [range(1; length) | select($s[.] < $s[. - 1])] | length' "$T/slow.out")" 0
is "what it got last says how the run ended" "$(jq -s -r '[.[] | select(.type == "event" or
	(.type == "snapshot" and .from == 0))] | last | if .type == "event" then .ev else
	"snapshot \(.status)" end' "$T/slow.out")" "$(jq -s -r '[.[] | select(.type == "event" or
	(.type == "snapshot" and .from == 0))] | last | if .type == "event" then "run_end" else
	"snapshot succeeded" end' "$T/slow.out")"

done_testing
