#!/bin/sh
# runs_list.sh - the runs list over a long history (tmux): it pages through
# every run, G reaches the oldest, and a filter finds runs however old; a
# firing alert rule is named in its header.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is not installed"
trap 'tui_stop; tap_end' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd "$T" || exit 1

# Row N of the screen (1-based); the list's rows are 3 to 28 at 100x30.
row() { tui_screen | sed -n "${1}p"; }

# Run 1 is a real failed run; 1,499 newer ones are copies of it made in
# SQL, so the history holds 1,500 runs.  No UUID starts with a number a
# filter below looks for.
cat >"$T/ancient.yaml" <<'YAML'
name: ancient
steps:
  - id: boom
    run: exit 1
YAML
"$DROVER" run --no-tui ancient.yaml >/dev/null
sqlite3 "$DROVER_DB" "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
	INSERT INTO runs (id, uuid, workflow_id, workflow, file, args, user, host, pid, pid_start,
	    status, exit_code, started_at, ended_at, duration_ms)
	SELECT i, printf('%08x-0000-4000-8000-000000000000', i), workflow_id, 'filler', file, args,
	    user, host, pid, pid_start, 'succeeded', 0, started_at + i * 1000000,
	    ended_at + i * 1000000, 5
	FROM n, (SELECT * FROM runs WHERE id = 1);
	UPDATE runs SET uuid = 'ffffffff-0000-4000-8000-000000000001' WHERE id = 1;"
is "the history holds 1,500 runs" "$("$DROVER" ls --limit 0 --json | jq length)" 1500

tui_start 100 30 "$DROVER"
tui_wait "the runs list opens on the newest run" '^ . +1500 succeeded +filler'
like "newest first" "$(row 4)" ' 1499 '
tui_keys G
tui_wait "G reaches the oldest run of the whole history" '^ . +1 failed +ancient'
like "on the last row" "$(row 28)" ' 1 failed +ancient'
like "with the runs above it" "$(row 27)" ' 2 succeeded'
tui_keys g
tui_wait "g goes back to the newest" '^ . +1500 succeeded'
tui_keys -N 300 j
tui_wait "j walks down past what one window holds" '^ . +1200 succeeded'
like "the selection is on the last row" "$(row 28)" ' 1200 succeeded'
tui_keys -N 60 PgDn
tui_wait "PgDn pages to the end" '^ . +1 failed +ancient'
tui_keys -N 60 PgUp
tui_wait "PgUp pages back to the top" '^ . +1500 succeeded'
like "in order" "$(row 3)" ' 1500 succeeded'
tui_keys /
tui_type "ancient"
tui_keys Enter
tui_wait "a filter finds a run older than the newest thousand" 'filter: ancient'
tui_wait "it is listed" '^ . +1 failed +ancient'
like "on the first row" "$(row 3)" ' 1 failed +ancient'
like "alone" "$(row 4)" '^ *$'
tui_keys /
tui_type "status:failed"
tui_keys Enter
tui_wait "a status filter reaches it too" 'filter: status:failed'
tui_wait "the failed run is listed" '^ . +1 failed +ancient'
tui_keys /
tui_type "12"
tui_keys Enter
tui_wait "a number finds its run" 'filter: 12'
tui_wait "it is listed" '^ . +12 succeeded'
like "on the first row" "$(row 3)" ' 12 succeeded'
like "alone: no other run has 12 in its fields" "$(row 4)" '^ *$'
tui_keys /
tui_keys Enter
tui_wait "an empty filter lists every run again" '^ . +1500 succeeded'
tui_keys Enter
tui_wait "Enter opens the selected run" 'run 1500 +ancient'
tui_keys q
tui_wait "q goes back to the list where it was" '^ . +1500 succeeded'

# An alert rule that fires is named in the list's header, while it fires.
mkdir -p "$XDG_CONFIG_HOME/drover"
printf 'alerts:\n  - {name: ancient failing, workflow: ancient, metric: error_rate, above: 0}\n' \
	>"$XDG_CONFIG_HOME/drover/config.yaml"
"$DROVER" run --no-tui ancient.yaml >/dev/null 2>&1
tui_stop
tui_start 100 30 "$DROVER"
tui_wait "a firing alert is named in the header" 'drover  runs  ALERT firing: ancient failing'
like "on the first line" "$(row 1)" 'ALERT firing: ancient failing'
tui_stop
rm "$XDG_CONFIG_HOME/drover/config.yaml"
tui_start 100 30 "$DROVER"
tui_wait "the list opens" '^ . +1501 failed +ancient'
unlike "a rule no longer configured is not named, though its state stays" "$(row 1)" 'ALERT'
tui_stop

done_testing
