# tmux.sh - drive the console in a real terminal: a private tmux server,
# one window of a fixed size, keys sent with send-keys, the screen read
# with capture-pane.  Source it after tests/tap.sh.
#
#   tui_start COLS ROWS CMD...   start CMD in a fresh pane (env from this shell)
#   tui_keys KEY...              tmux send-keys (names like Enter, Escape, C-c)
#   tui_type TEXT                type TEXT literally
#   tui_screen                   the screen as text
#   tui_wait NAME PATTERN [SECS] ok when the screen matches grep -E PATTERN (20 s)
#   tui_resize COLS ROWS
#   tui_alive                    the pane's command is still running
#   tui_stop

command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"
TUI_SOCK="$T/tmux.sock"
TUI_FAILED_SCREEN=

tui() { tmux -S "$TUI_SOCK" -f /dev/null "$@"; }

tui_start() {
	cols=$1; rows=$2; shift 2
	# The pane runs a script so its environment is exactly this shell's;
	# the script survives a Ctrl-C meant for drover to report its status.
	{
		echo '#!/bin/sh'
		echo "trap 'true' INT"
		export -p
		printf 'command'
		for a in "$@"; do
			printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
		done
		printf '\necho "[exited $?]"; sleep 30\n'
	} >"$T/pane.sh"
	chmod +x "$T/pane.sh"
	tui -u start-server \; set-option -g default-terminal xterm-256color \; \
	    set-option -g status off \; \
	    new-session -d -s drover -x "$cols" -y "$rows" "$T/pane.sh"
}

# TUI_TARGET names another session to look at (tui_screen, tui_wait).
tui_keys() { tui send-keys -t drover "$@"; }
tui_type() { tui send-keys -t drover -l "$1"; }
tui_screen() { tui capture-pane -p -t "${TUI_TARGET:-drover}"; }
tui_resize() { tui resize-window -t drover -x "$1" -y "$2"; }
tui_alive() { ! tui_screen | grep -q '^\[exited'; }
tui_stop() { tui kill-server 2>/dev/null; }

tui_wait() {
	name=$1; pat=$2; secs=${3:-20}
	i=0
	while [ "$i" -lt $((secs * 20)) ]; do
		if tui_screen | grep -Eq -- "$pat"; then
			tap_result 0 "$name"
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	tap_result 1 "$name"
	tap_diag "wanted a match for: $pat" "the screen:" "$(tui_screen)"
	return 1
}
