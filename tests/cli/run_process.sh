#!/bin/sh
# run_process.sh - a run in a process of its own (drover run on a
# terminal, and --detach): it starts only once it is recorded, in its own
# session, with no terminal; errors before that come back to the command
# that started it; it ignores hang-ups, serves its control socket while it
# lives and removes it when the run has ended; killed, the run is
# interrupted and drover resume finishes it without running twice what
# had succeeded.
. "$TOP_SRCDIR/tests/tap.sh"

status_of() { "$DROVER" ls --json -n 0 | jq -r --argjson r "$1" '.[] | select(.id == $r) | .status'; }
pid_of() { "$DROVER" ls --json -n 0 | jq -r --argjson r "$1" '.[] | select(.id == $r) | .pid'; }

cat >"$T/gate.yaml" <<YAML
name: gate
steps:
  - id: build
    run: echo once >>"$T/builds"; grep SigIgn /proc/self/status >"$T/sigign"
  - id: wait
    depends_on: [build]
    run: while [ ! -e "$T/go" ]; do sleep 0.05; done; echo went
YAML

# --- --detach ---
out=$("$DROVER" run --detach "$T/gate.yaml" 2>"$T/err"); rc=$?
is "--detach exits 0 at once" "$rc" 0
like "printing the run's number alone" "$out" '^[0-9]+$'
is "and nothing on standard error" "$(cat "$T/err")" ""
run=$out
is "the run goes on" "$(status_of "$run")" running
pid=$(pid_of "$run")
like "owned by a process of its own" "$pid" '^[0-9]+$'
ok "which is not this shell's child" sh -c "! grep -q '^PPid:[[:space:]]*$$\$' /proc/$pid/status"
is "in a session of its own" "$(ps -o sid= -p "$pid" | tr -d ' ')" \
	"$(ps -o pgid= -p "$pid" | tr -d ' ')"
ok "not this shell's session" sh -c "[ \"\$(ps -o sid= -p $pid)\" != \"\$(ps -o sid= -p $$)\" ]"
is "its standard input is /dev/null" "$(readlink "/proc/$pid/fd/0")" /dev/null
log=$(readlink "/proc/$pid/fd/1")
like "its output goes to the run's log beside the history" "$log" \
	"^$(dirname "$DROVER_DB")/runs/[0-9a-f-]{36}\\.log\$"
is "and so do its messages" "$(readlink "/proc/$pid/fd/2")" "$log"
is "the log is private" "$(stat -c %a "$log")" 600
is "in a private directory" "$(stat -c %a "$(dirname "$log")")" 700
uuid=$("$DROVER" ls --json -n 0 | jq -r --argjson r "$run" '.[] | select(.id == $r) | .uuid')
[ -S "$T/run/$uuid.sock" ]; tap_result $? "it serves the run's control socket"
kill -HUP "$pid"
sleep 0.3
ok "a hang-up does not stop it" kill -0 "$pid"
is "nor the run" "$(status_of "$run")" running
touch "$T/go"
wait_until sh -c "! kill -0 $pid 2>/dev/null"
ok "it exits once the run has ended" sh -c "! kill -0 $pid 2>/dev/null"
is "with the run succeeded" "$(status_of "$run")" succeeded
[ ! -e "$T/run/$uuid.sock" ]; tap_result $? "and its socket is gone"
like "its log has the run's lines" "$(cat "$log")" "run $run succeeded"
ign=$(awk '{print $2}' "$T/sigign")
is "its steps do not inherit the ignored hang-up" "$(( 0x$ign & 1 ))" 0

# --- drover logs -f follows a run of another process through its socket ---
cat >"$T/talk.yaml" <<YAML
name: talk
steps:
  - id: talk
    run: for i in 1 2 3 4 5; do echo "line \$i"; sleep 0.1; done; printf 'no newline'
YAML
run=$("$DROVER" run --detach "$T/talk.yaml")
"$DROVER" logs "$run" talk -f >"$T/follow.out" 2>&1; rc=$?
is "logs -f ends when the run does" "$rc" 0
is "having printed every line, exactly" "$(cat "$T/follow.out")" "line 1
line 2
line 3
line 4
line 5
no newline"

# --- errors come back before anything is left behind ---
n=$("$DROVER" ls --json -n 0 | jq length)
printf 'name: broken\nsteps:\n  - id: a\n    runn: x\n' >"$T/broken.yaml"
out=$("$DROVER" run --detach "$T/broken.yaml" 2>&1); rc=$?
is "a workflow that does not load: exit 2" "$rc" 2
like "with its error" "$out" "broken.yaml:4:5: error: unknown key 'runn'"
out=$("$DROVER" run --detach --no-tui "$T/gate.yaml" 2>&1); rc=$?
is "--detach with --no-tui is a usage error" "$rc" 2
like "saying why" "$out" '--detach shows nothing of the run here'
if command -v sqlite3 >/dev/null 2>&1; then
	hold_history_lock
	out=$("$DROVER" run --detach "$T/gate.yaml" 2>&1); rc=$?
	release_history_lock
	is "a history that cannot be written: exit 2" "$rc" 2
	like "the run process's message comes back" "$out" 'locked'
fi
is "nothing was recorded by any of them" "$("$DROVER" ls --json -n 0 | jq length)" "$n"

# killed_mid_run: a run of gate.yaml whose process is SIGKILLed while its
# second step runs ($run, and $pid the process that died).
killed_mid_run() {
	rm -f "$T/go" "$T/builds"
	run=$("$DROVER" run --detach "$T/gate.yaml")
	wait_until sh -c "[ \"\$(\"$DROVER\" show $run --json | jq -r '.steps[1].status')\" = running ]"
	pid=$(pid_of "$run")
	kill -KILL "$pid"
	wait_until sh -c "! kill -0 $pid 2>/dev/null"
}

# --- killed: interrupted, then resumed ---
killed_mid_run
is "a killed run process leaves the run interrupted" "$(status_of "$run")" interrupted
is "and no pid" "$(pid_of "$run")" null
touch "$T/go"
"$DROVER" resume "$run" >"$T/resume.out" 2>&1; rc=$?
is "drover resume finishes it" "$rc" 0
is "succeeded" "$(status_of "$run")" succeeded
is "the step that had succeeded ran once" "$(cat "$T/builds")" once

# resume --detach: the run goes on in a new run process of its own.
killed_mid_run
out=$("$DROVER" resume --detach "$run" 2>&1); rc=$?
is "resume --detach exits 0" "$rc" 0
is "printing the run's number" "$out" "$run"
newpid=$(pid_of "$run")
ok "a new process owns the run" sh -c "[ '$newpid' != null ] && [ '$newpid' != '$pid' ]"
like "its log goes on from the first one's" "$(cat "$(dirname "$DROVER_DB")"/runs/*.log)" \
	"run $run started"
touch "$T/go"
"$DROVER" logs "$run" -f >/dev/null 2>&1
is "and it finishes the run" "$(status_of "$run")" succeeded
is "without building again" "$(cat "$T/builds")" once
out=$("$DROVER" retry --detach "$run" 2>&1); rc=$?
is "retry --detach starts the new run in its own process" "$rc" 0
"$DROVER" logs "$out" -f >/dev/null 2>&1
is "which finishes" "$(status_of "$out")" succeeded

done_testing
