#!/bin/sh
# console.sh - the console in a real terminal (tmux): a run shown live,
# its steps' statuses and logs, help, the runs list and its filter, the
# command line, themes, resizing, ASCII under LANG=C, a 1,000-step graph.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; tap_end' EXIT

mkdir -p "$XDG_CONFIG_HOME/drover"
ln -s "$TOP_SRCDIR/themes" "$XDG_CONFIG_HOME/drover/themes"
unset NO_COLOR
export LANG=C.UTF-8 LC_ALL=C.UTF-8

# Each step waits for a file, so the test decides when it may go on.
cat >"$T/live.yaml" <<EOF
name: live
steps:
  - id: build
    run: |
      echo "compiling part 1"
      echo "warning: careful" >&2
      while [ ! -e $T/go ]; do sleep 0.05; done
  - id: test-unit
    run: echo "unit tests pass"
    depends_on: [build]
  - id: test-lint
    run: echo "lint is clean"
    depends_on: [build]
  - id: deploy
    run: echo "deployed version 7"
    depends_on: [test-unit, test-lint]
EOF

cd "$T" || exit 1
tui_start 100 30 "$DROVER" run live.yaml
tui_wait "the graph shows every step id" 'build.*' &&
	like "all four ids are on screen" "$(tui_screen)" 'test-unit' &&
	like "deploy is drawn" "$(tui_screen)" 'deploy'
tui_wait "build is running" '▶ build'
# (The command in the detail pane holds the same words: a log line starts
# with its stream's mark.)
tui_wait "the selected step's log shows its line" '^ compiling part 1'
tui_wait "stderr lines are marked" '^!warning: careful'
like "waiting steps are pending" "$(tui_screen)" '○ test-unit'
touch "$T/go"
tui_wait "statuses change as the run goes on" '✓ deploy'
tui_wait "the header says the run succeeded" 'succeeded.*4/4 done'

tui_wait "the selection followed the run to its last step" '^✓ deploy$'
tui_keys g l
tui_wait "l moves the selection to the next layer" '^✓ test-(unit|lint)$'
tui_keys j
tui_keys Enter
tui_wait "Enter opens the selected step's log" '(unit tests pass|lint is clean)'
tui_keys Escape
tui_keys '?'
tui_wait "? shows the help with every key" 'Keys: run \(graph\)'
like "help lists the list view key" "$(tui_screen)" 'graph or list of steps'
tui_keys x
sleep 0.2
unlike "any key closes the help" "$(tui_screen)" 'Keys: run'

tui_keys v
tui_wait "v shows the steps as a list" 'STEP +STATUS +TRY'
tui_keys v

tui_keys :
tui_type "theme "
tui_keys Tab Tab
tui_wait "Tab lists the themes when several fit" 'default .*light'
tui_keys Escape
tui_keys :
tui_type "theme mo"
tui_keys Tab
tui_wait "Tab completes a theme name" ':theme mono'
tui_keys Enter
tui_wait ":theme mono switches themes" 'theme mono'
tui_keys : 
tui_type "bogus"
tui_keys Enter
tui_wait "an unknown command is explained" "unknown command ':bogus'"

tui_resize 80 24
i=0
while [ "$(tui_screen | wc -l)" != 24 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.5
tui_wait "at 80x24 the view still shows the graph" 'deploy'
like "and the footer" "$(tui_screen | tail -n 1)" 'help'
is "nothing is wider than 80 columns" "$(tui_screen | wc -L | tr -d ' ')" 80

tui_keys q
tui_wait "q leaves the console and says how the run ended" 'run 1 succeeded'
tui_wait "drover run exits with the run's status" '\[exited 0\]'
tui_stop

# Cancelling asks first, and --readonly hides it.
cat >"$T/slow.yaml" <<'EOF'
name: slow
steps:
  - id: nap
    run: sleep 60
  - id: after
    run: echo never
EOF
tui_start 100 30 "$DROVER" run slow.yaml --readonly
tui_wait "a slow run is running" '▶ nap'
tui_keys c
tui_wait "with --readonly, c does nothing" "'c' does nothing here"
unlike "and the footer does not offer it" "$(tui_screen | tail -n 1)" 'cancel'
tui_keys q
tui_wait "leaving a live run detaches from it" 'detached; run 2 goes on'
tui_wait "and drover run exits 0" '\[exited 0\]'
like "the run goes on in its own process" "$("$DROVER" ls)" ' 2 +running'
"$DROVER" cancel 2 >/dev/null
i=0
until "$DROVER" ls | grep -q ' 2 *cancelled' || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
like "drover cancel ends it from another shell" "$("$DROVER" ls)" ' 2 +cancelled'
tui_stop
tui_start 100 30 "$DROVER" run slow.yaml
tui_wait "the slow run runs again" '▶ nap'
tui_keys c
tui_wait "c asks before cancelling" 'Cancel this run\?.*y/N'
tui_keys n
tui_wait "anything but y leaves the run alone" 'nothing was done'
like "the step still runs" "$(tui_screen)" '▶ nap'
tui_keys c
tui_wait "c asks again" 'Cancel this run\?.*y/N'
tui_keys y
tui_wait "y cancels: the run ends cancelled" 'cancelled'
tui_keys q
tui_wait "drover run exits 3 for a cancelled run" '\[exited 3\]'
tui_stop

# The runs list: newest first, a filter, Enter opens.
cat >"$T/fail.yaml" <<EOF
name: breaks
steps:
  - id: boom
    run: echo "it broke"; exit 3
EOF
"$DROVER" run --no-tui fail.yaml >/dev/null
tui_start 100 30 "$DROVER"
tui_wait "drover alone opens the runs list" 'RUN +STATUS +WORKFLOW'
like "both runs are listed" "$(tui_screen)" 'breaks'
like "the first run too" "$(tui_screen)" 'live'
tui_keys /
tui_type "live"
tui_keys Enter
tui_wait "/ filters the runs" 'runs +filter: live'
unlike "the other run is hidden" "$(tui_screen)" 'breaks'
tui_keys /
tui_type "status:failed"
tui_keys Enter
tui_wait "a status filter keeps the failed run" 'runs +filter: status:failed'
like "the failed run is listed" "$(tui_screen)" 'breaks'
unlike "and drops the others" "$(tui_screen)" ' live '
tui_keys Enter
tui_wait "Enter opens the run" 'run 4 +breaks'
like "its failed step shows the error" "$(tui_screen)" 'exited with status 3'
tui_keys q
tui_wait "q goes back to the runs list" 'RUN +STATUS'
tui_keys q
tui_wait "q there leaves" '\[exited 0\]'
tui_stop

# :run starts a run in a process of its own and opens it.
tui_start 100 30 "$DROVER"
tui_wait "the runs list opens" 'RUN +STATUS'
tui_keys :
tui_type "run fail.yaml"
tui_keys Enter
tui_wait ":run opens the new run" 'run 5 +breaks'
tui_keys :
tui_type "run nosuch.yaml"
tui_keys Enter
tui_wait ":run of a missing file says why" 'nosuch.yaml'
tui_keys q q
tui_stop

# attach and replay open a finished run from the history.
tui_start 100 30 "$DROVER" attach 1
tui_wait "attach shows a finished run" 'run 1 +live .*succeeded'
tui_keys q
tui_wait "q leaves attach" '\[exited 0\]'
tui_stop
tui_start 100 30 "$DROVER" replay 1 --speed 0.02
tui_wait "replay starts from the beginning" '\[replay\]'
like "with steps not yet done" "$(tui_screen)" '○ deploy'
tui_keys q
tui_stop
fails "attach of an unknown run" 2 "$DROVER" attach 99
fails "replay with a bad speed" 2 "$DROVER" replay 1 --speed fast

# A replay shows the times of the replayed moment, not of the wall clock:
# with the run moved a day into the past, nothing may read "24h".
sqlite3 "$DROVER_DB" "UPDATE events SET ts = ts - 86400000000 WHERE run_id = 1;
	UPDATE logs SET ts = ts - 86400000000 WHERE run_id = 1;
	UPDATE runs SET started_at = started_at - 86400000000,
	    ended_at = ended_at - 86400000000 WHERE id = 1;"
tui_start 100 30 "$DROVER" replay 1 --speed 0.02
tui_wait "a replay of a day-old run starts" 'run 1 +live +. running'
like "its clock starts at the run's start" "$(tui_screen | head -n 1)" \
	'running +(-|[0-9]+ms|[0-9]\.[0-9]s) '
unlike "no time on screen is the wall clock's" "$(tui_screen)" '[0-9]+h[0-9][0-9]m'
tui_wait "the running step's time is the replay's" '▶ build +([0-9]+ms|[0-9]\.[0-9]s)'
tui_keys Z
tui_wait "Z pauses the replay" '\[paused\]'
tui_stop
tui_start 100 30 "$DROVER" replay 1 --speed 1000
tui_wait "a fast replay ends as the run ended" 'run 1 +live +. succeeded'
unlike "with the run's own times" "$(tui_screen)" '[0-9]+h[0-9][0-9]m'
tui_stop

# The detail shows the command as it ran, with secrets masked.
cat >"$T/secret.yaml" <<'EOF'
name: secretive
args:
  token: {type: string, secret: true}
  who: {type: string, default: ops}
steps:
  - id: call
    run: echo "calling as {{ args.who }} with {{ args.token }}"
EOF
"$DROVER" run --no-tui secret.yaml -a token=hunter2-very-secret -a who=alice >/dev/null
tui_start 100 30 "$DROVER" attach 6
tui_wait "the detail shows the resolved command" "echo .*calling as .*alice"
like "the log is there" "$(tui_screen)" 'calling as alice with \*\*\*'
unlike "the secret is never on screen" "$(tui_screen)" 'hunter2'
tui_stop

# Hostile input: escape sequences in a log never reach the terminal, a
# bad theme file falls back to the built-in one with a message.
cat >"$T/escape.yaml" <<'EOF'
name: escape
steps:
  - id: noisy
    run: |
      printf 'before \033[2J\033]0;pwned\007 after\n'
      printf 'rtl \342\200\256gnp.exe \342\201\246x\342\201\251 c1 \302\233 raw \233\n'
EOF
"$DROVER" run --no-tui escape.yaml >/dev/null
printf 'name: [broken\n' >"$T/broken-theme.yaml"
tui_start 100 30 "$DROVER" attach 7 --theme "$T/broken-theme.yaml"
tui_wait "control characters in a log show harmless" 'before \^\[\[2J\^\[\]0;pwned\^G after'
like "bidi and C1 controls show by name, stray bytes by value" "$(tui_screen)" \
	'rtl <U\+202E>gnp.exe <U\+2066>x<U\+2069> c1 <U\+009B> raw \\x9b'
unlike "no bidi control reaches the terminal" "$(tui_screen)" "$(printf '\342\200\256')"
like "a broken theme file is reported with its position" "$(tui_screen)" 'broken-theme.yaml:[0-9]+:[0-9]+'
tui_stop
tui_start 100 30 "$DROVER" attach nosuchrun
tui_wait "attach of an unknown run says so" "'nosuchrun' is not a run"
tui_stop

# LANG=C: nothing but ASCII reaches the terminal.
LANG=C LC_ALL=C tui_start 100 30 env LANG=C LC_ALL=C "$DROVER" attach 1
tui_wait "in ASCII the graph uses plain glyphs" 'v deploy'
is "the screen holds only ASCII" \
	"$(tui_screen | LC_ALL=C grep -c '[^ -~]' | tr -d ' ')" 0
tui_stop

# A 1,000-step graph opens and can be walked.
awk 'BEGIN {
	print "name: big"; print "limits: {max_parallel: 8}"; print "steps:"
	for (i = 0; i < 1000; i++) {
		printf "  - id: s%04d\n    run: \"true\"\n", i
		if (i < 10) print "    depends_on: []"
		else printf "    depends_on: [s%04d, s%04d]\n", i - 10, i - 1 - (i % 9)
	}
}' >"$T/big.yaml"
ok "the big workflow is valid" "$DROVER" validate big.yaml
"$DROVER" run --no-tui big.yaml >/dev/null
tui_start 100 30 "$DROVER" attach 8
tui_wait "a 1,000-step run opens" 'run 8 +big .*1000/1000 done'
tui_keys G
tui_wait "G selects the last step" '^. s0999$'
tui_keys g
tui_wait "g goes back to the first" '^. s0000$'
tui_keys l l j j
tui_wait "moving right and down selects a later step" '^. s0(0[1-9][0-9]|[1-9][0-9][0-9])$'
tui_keys /
tui_type "s0500"
tui_keys Enter
tui_wait "/ finds a step by id and shows it" '^. s0500$'
tui_stop

# :run with a secret: the console history keeps *** for it, the run's
# process gets its args through a pipe (never on its command line, which
# every user can read), and the run gets the real value.
cat >"$T/guarded.yaml" <<EOF
name: guarded
args:
  tok: {type: string, secret: true}
  who: {type: string, default: ops}
steps:
  - id: check
    run: test "\$DROVER_ARG_TOK" = hunter2-very-secret && test "\$DROVER_ARG_WHO" = alice
  - id: hold
    run: while [ ! -e $T/release ]; do sleep 0.05; done
EOF
hist="$XDG_STATE_HOME/drover/console_history"
tui_start 100 30 "$DROVER"
tui_wait "the runs list opens" 'RUN +STATUS'
tui_keys :
tui_type "run guarded.yaml tok=hunter2-very-secret who=alice"
tui_keys Enter
tui_wait ":run opens the run" 'run 9 +guarded'
tui_wait "its step got the secret and the other arg" '✓ check'
pid=$(sqlite3 "$DROVER_DB" "SELECT pid FROM runs WHERE id = 9")
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
like "the run's process takes its args from a pipe" "$cmdline" '--args-file /dev/stdin'
unlike "and its command line holds no secret" "$cmdline" 'hunter2'
unlike "nor any arg" "$cmdline" 'alice'
like "the console history is kept under XDG_STATE_HOME" "$(cat "$hist")" \
	'^run guarded.yaml tok=\*\*\* who=alice$'
unlike "and never holds the secret" "$(cat "$hist")" 'hunter2'
ok "nothing is written beside the database" test ! -e "$T/console_history"
is "the history file is private" "$(stat -c %a "$hist")" 600
touch "$T/release"
tui_wait "the run ends" 'run 9 +guarded .*succeeded'
tui_keys q
tui_wait "q goes back to the runs list" 'RUN +STATUS'
tui_keys :
tui_keys Up
tui_wait "Up recalls the line with *** for the secret" \
	'^:run guarded.yaml tok=\*\*\* who=alice'
tui_keys Enter
tui_wait "a recalled *** is refused, not run" 'tok is a secret: type its value'
is "no run was started with it" "$("$DROVER" ls --json | jq -r '.[0].id')" 9
tui_stop

done_testing
