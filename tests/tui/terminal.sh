#!/bin/sh
# terminal.sh - the console and its terminal (tmux): an unknown TERM falls
# back to line mode before anything is created; pasted text is text, never
# keys, and a confirmation takes no pasted or typed-ahead answer; Ctrl-Z
# and SIGTSTP suspend and resume.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; tap_end' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd "$T" || exit 1

cat >"$T/quick.yaml" <<'EOF'
name: quick
steps:
  - id: hello
    run: echo hello
EOF
cat >"$T/slow.yaml" <<EOF
name: slow
steps:
  - id: nap
    run: while [ ! -e $T/go ]; do sleep 0.05; done
EOF

# Pastes text into the pane as the terminal would: bracketed when the
# program asked for it (-p), or as bare bytes.
paste_text() {
	tui set-buffer -b drover-paste -- "$1"
	tui paste-buffer -d -b drover-paste -t drover ${2:+-p}
}

# An unknown TERM: one note, then the run in line mode; nothing is left
# interrupted.  attach refuses before opening anything.
tui_start 100 30 env TERM=nonexistent-term "$DROVER" run quick.yaml
tui_wait "an unknown TERM is named in a one-line note" \
	"no console: TERM=nonexistent-term is unknown here"
tui_wait "the run goes on in line mode" 'run 1 succeeded'
tui_wait "drover run exits with the run's status" '\[exited 0\]'
tui_stop
is "the run is recorded as succeeded, not interrupted" \
	"$("$DROVER" ls --json | jq -r '.[0].status')" succeeded
tui_start 100 30 env TERM=nonexistent-term "$DROVER" attach 1
tui_wait "attach with an unknown TERM says why" 'no console: TERM=nonexistent-term'
tui_wait "and exits 2" '\[exited 2\]'
tui_stop

# Pasting at the ':' prompt: ESC and the rest are text on the line.
tui_start 100 30 "$DROVER" run slow.yaml
tui_wait "a slow run is running" '▶ nap'
tui_keys :
tui_wait "the prompt opens" '^:'
paste_text "$(printf 'theme default\033cy')" bracketed
tui_wait "a bracketed paste at the prompt is text, ESC made harmless" '^:theme default cy'
tui_keys Enter
tui_wait "Enter runs the line as typed" 'usage: :theme NAME'
like "the run was not cancelled" "$(tui_screen)" '▶ nap'

# File names reach the screen harmless too: Tab lists and completes one
# holding a bidi override.
printf 'name: tricky\nsteps: [{id: a, run: "true"}]\n' >"$T/$(printf 'x\342\200\256lmay.yaml')"
tui_keys :
tui_type "run "
tui_keys Tab Tab
tui_wait "Tab lists a bidi file name with the control named" 'x<U\+202E>lmay.yaml'
tui_type "x"
tui_keys Tab
tui_wait "and completes it on the line the same way" '^:run x<U\+202E>lmay.yaml'
unlike "the control itself never reaches the terminal" "$(tui_screen)" "$(printf '\342\200\256')"
tui_keys Escape

# Elsewhere a paste does nothing.
paste_text "cy" bracketed
tui_wait "a paste outside a prompt is ignored, and says so" 'pasted text ignored'
unlike "it asks nothing" "$(tui_screen)" 'Cancel this run'

# Typed ahead and pasted answers never confirm.
tui_keys c y
tui_wait "c asks; the y typed ahead with it does not answer" 'Cancel this run\?.*y/N'
like "the run goes on" "$(tui_screen)" '▶ nap'
paste_text y bracketed
tui_wait "a pasted answer is refused" 'a paste answers no question: nothing was done'
like "the run still goes on" "$(tui_screen)" '▶ nap'
tui_keys :
tui_wait "the prompt opens again" '^:'
paste_text "$(printf 'theme default\033cy')"
tui_wait "without bracketed paste, ESC leaves the prompt and c asks" 'Cancel this run\?.*y/N'
like "but the pasted y is dropped: the run goes on" "$(tui_screen)" '▶ nap'
tui_keys n
tui_wait "n answers no" 'nothing was done'
tui_keys c
tui_wait "c asks once more" 'Cancel this run\?.*y/N'
tui_keys y
tui_wait "a y pressed after the question cancels" 'cancelled'
tui_keys q
tui_wait "drover run ends cancelled" '\[exited 3\]'
tui_stop

# Suspending: a shell with job control (set -m) around the console.
"$DROVER" run --no-tui quick.yaml >/dev/null
cat >"$T/jobs.sh" <<EOF
set -m
while [ ! -e "$T/piped" ]; do sleep 0.05; done
"$DROVER" attach 3
echo "[suspended \$?]"
read -r line
fg
echo "[suspended again \$?]"
read -r line
fg
echo "[back \$?]"
sleep 30
EOF
tui_start 100 30 bash "$T/jobs.sh"
tui pipe-pane -o -t drover "cat >>'$T/bytes'"
touch "$T/piped"	# every byte drover sends is in $T/bytes
tui_wait "attach opens the run" 'run 3 +quick'
tui_keys C-z
tui_wait "Ctrl-Z hands the terminal back and stops" '^\[suspended 148\]'
tui_keys Enter
tui_wait "fg brings the console back, drawn again" 'run 3 +quick'
unlike "over what the shell printed" "$(tui_screen)" 'suspended'
shell=$(pgrep -P "$(tui display -p -t drover '#{pane_pid}')" -x bash)
pid=$(pgrep -P "$shell" -x drover)
kill -TSTP "$pid"
tui_wait "SIGTSTP from outside suspends too" '^\[suspended again 148\]'
tui_keys Enter
tui_wait "and fg resumes" 'run 3 +quick'
tui_keys q
tui_wait "q then leaves" '^\[back 0\]'
modes() { LC_ALL=C grep -ao "$(printf '\033')\[?2004[hl]" "$T/bytes" | sed 's/.*2004//' | tr -d '\n'; }
i=0
while [ "$(modes)" != hlhlhl ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
tui_stop
is "bracketed paste is on in the console and off while suspended and after" \
	"$(modes)" hlhlhl

# Two signals to the run's process while the history cannot be written
# (another process holds its write lock): the run process gives the run up
# and says in its log how to resume it; the console is not touched, and
# the run is then interrupted.
if command -v sqlite3 >/dev/null 2>&1; then
	rm -f "$T/go"
	tui_start 100 30 "$DROVER" run slow.yaml
	tui_wait "a console on a slow run" 'nap'
	hold_history_lock
	pid=$("$DROVER" ls --json | jq '.[0].pid')
	kill -TERM "$pid"
	sleep 0.5
	kill -TERM "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	ok "a second signal ends the run's process" sh -c "! kill -0 $pid 2>/dev/null"
	release_history_lock
	like "its log says how to go on" "$(cat "$(dirname "$DROVER_DB")"/runs/*.log)" \
		"drover resume [0-9]+"
	is "the run is interrupted" "$("$DROVER" ls --json | jq -r '.[0].status')" interrupted
	like "the console is still there" "$(tui_screen)" 'nap'
	tui_keys q
	tui_wait "and leaves when asked" '\[exited [0-9]+\]'
	tui_stop
fi

done_testing
