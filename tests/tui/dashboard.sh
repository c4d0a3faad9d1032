#!/bin/sh
# dashboard.sh - the console's dashboard (tmux): d opens it from the run
# view, d and Esc go back; a workflow without history says so instead of
# showing zeros, and so does a step new to it; after runs with known
# sleeps, a live run shows an ETA range, and its ETA and timeline change
# as its steps finish; the critical path of a diamond is marked on its
# long branch; a step made slow by an arg is SLOW; at 80x24 under LANG=C
# every section is there in ASCII, no step name cut but by an ellipsis;
# steps that do not fit scroll.
. "${TOP_SRCDIR:-.}/tests/tap.sh"
. "$TOP_SRCDIR/tests/tui/tmux.sh"
trap 'tui_stop; tap_end' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd "$T" || exit 1

# The screen's lines from the one matching PATTERN on.
from() { tui_screen | sed -n "/$1/,\$p"; }
# The row of the dashboard's table that names step $1.
row_of() { tui_screen | sed -n "/TIMELINE/q; / $1/p"; }

# ---- no history ----
cat >"$T/fresh.yaml" <<YAML
name: fresh
steps:
  - id: only
    run: while [ ! -e $T/fresh-go ]; do sleep 0.05; done
YAML
tui_start 100 30 "$DROVER" run fresh.yaml
tui_wait "a first run opens" 'run 1 +fresh'
like "the run view's footer offers the dashboard" "$(tui_screen | tail -n 1)" 'd dash'
tui_keys d
tui_wait "d opens the dashboard" 'drover +dashboard +run 1'
tui_wait "a workflow without history has no ETA" 'ETA: no history'
like "nor sparklines" "$(tui_screen)" 'no history: no run of it has ended before this one'
like "its step says no history where its p50 and p95 go" "$(row_of only)" \
	'only +[0-9.]+m?s +no history'
unlike "no percentile is shown, not even as a zero" "$(tui_screen)" 'p50 |p95 '
like "a run without a budget says so" "$(tui_screen)" 'no budget'
tui_keys d
tui_wait "d goes back to the run view" 'hjkl move'
unlike "whose header is the run's" "$(tui_screen | head -n 1)" 'dashboard'
tui_keys d
tui_wait "d opens it again" 'drover +dashboard'
tui_keys Escape
tui_wait "Esc goes back too" 'hjkl move'
tui_keys '?'
tui_wait "the run view's help lists d" 'd +the dashboard'
tui_keys x
touch "$T/fresh-go"
tui_wait "the first run ends" 'run 1 +fresh .*succeeded'
tui_stop

# A step the history has never seen: its cells say so, and it is left out
# of the ETA, which says so too.
cat >"$T/fresh2.yaml" <<YAML
name: fresh
steps:
  - id: only
    run: "true"
  - id: added
    run: while [ ! -e $T/fresh-go2 ]; do sleep 0.05; done
YAML
tui_start 100 30 "$DROVER" run fresh2.yaml
tui_wait "a run with a new step opens" 'run 2 +fresh'
tui_keys d
tui_wait "the new step has no history" ' added +[0-9.]+m?s +no history'
like "the step with one has its p50 and p95" "$(row_of only)" \
	'only +[0-9.]+m?s +[0-9.]+m?s +[0-9.]+m?s'
like "and the ETA knows it has none for what is left" "$(tui_screen)" \
	'ETA: no history for the steps left'
touch "$T/fresh-go2"
tui_wait "that run ends" 'dashboard +run 2 +fresh .*succeeded'
tui_stop

# ---- a diamond with known sleeps: fetch, then quick-branch and the long
# one side by side, then merge.  Each step sleeps, then waits for its file
# in the directory hold: the seeded runs find theirs there already.
cat >"$T/diamond.yaml" <<'YAML'
name: diamond
args:
  hold: {type: string}
  slow: {type: number, default: 0}
limits:
  budget: {max_cost: 1, warn_at: 0.8}
steps:
  - id: fetch
    run: sleep 0.2; while [ ! -e {{ args.hold }}/a ]; do sleep 0.05; done
  - id: quick-branch
    depends_on: [fetch]
    run: sleep 0.2; while [ ! -e {{ args.hold }}/b ]; do sleep 0.05; done
  - id: long-branch-of-the-diamond-graph
    depends_on: [fetch]
    run: sleep 0.8; while [ ! -e {{ args.hold }}/c ]; do sleep 0.05; done
  - id: merge
    depends_on: [quick-branch, long-branch-of-the-diamond-graph]
    run: sleep {{ args.slow }}; sleep 0.2; while [ ! -e {{ args.hold }}/d ]; do sleep 0.05; done
YAML
mkdir -p "$T/open" "$T/held"
touch "$T/open/a" "$T/open/b" "$T/open/c" "$T/open/d"
for i in 1 2 3 4 5; do
	"$DROVER" run --no-tui diamond.yaml -a hold="$T/open" >/dev/null 2>&1
done
is "five runs seed the history" "$("$DROVER" ls --json -n 0 |
	jq '[.[] | select(.workflow == "diamond" and .status == "succeeded")] | length')" 5

live=$(($(last_run) + 1))
tui_start 100 30 "$DROVER" run diamond.yaml -a hold="$T/held"
tui_wait "a live run opens" "run $live +diamond"
tui_keys d
tui_wait "its dashboard shows an ETA range from the history" \
	'ETA [0-9.]+m?s-[0-9.]+m?s left \(from 5 runs\)'
like "the budget as a gauge" "$(tui_screen)" 'cost +[^ ]+ \$0\.0000 of \$1\.0000 \(0%\) warn 80%'
like "the workflow's sparklines" "$(tui_screen)" 'success .* 100% of 5 runs'
like "with their values" "$(tui_screen)" 'duration .*p50 [0-9.]+m?s p95 [0-9.]+m?s'
tui_wait "the first step runs" '▶  fetch '
before_eta=$(tui_screen | grep 'ETA')
before_gantt=$(from TIMELINE)
touch "$T/held/a"
tui_wait "once it finished, the branches run" '▶  quick-branch '
sleep 0.3
after_eta=$(tui_screen | grep 'ETA')
after_gantt=$(from TIMELINE)
ok "the ETA changed as the step finished" [ "$before_eta" != "$after_eta" ]
ok "and so did the timeline" [ "$before_gantt" != "$after_gantt" ]
like "the timeline has a bar for the finished step" "$(from TIMELINE | grep ' fetch ')" \
	'fetch +█'
touch "$T/held/b"
sleep 1
touch "$T/held/c"
tui_wait "merge runs last" '▶  merge '
touch "$T/held/d"
tui_wait "the run ends" 'took [0-9.]+m?s, succeeded'
like "the critical path starts at fetch" "$(row_of fetch)" '^ ● ✓  fetch '
like "goes through the long branch" "$(row_of long-branch)" '^ ● ✓  long-branch'
like "and ends at merge" "$(row_of merge)" '^ ● ✓  merge '
like "the quick branch is not on it" "$(row_of quick-branch)" '^   ✓  quick-branch '
tui_stop

# ---- a step made slow, at 80x24 in ASCII ----
"$DROVER" run --no-tui diamond.yaml -a hold="$T/open" -a slow=1.5 >/dev/null 2>&1
slow=$(last_run)
tui_start 80 24 env LANG=C LC_ALL=C "$DROVER" attach "$slow"
tui_wait "the slow run opens at 80x24 in ASCII" "run $slow +diamond"
tui_keys d
tui_wait "its dashboard opens" 'drover +dashboard'
like "the step made slow is SLOW" "$(row_of merge)" 'merge .* SLOW '
unlike "the others are not" "$(row_of fetch; row_of quick-branch)" 'SLOW'
s=$(tui_screen)
for section in '^ RUN +took' '^ cost ' '^ tokens ' '^ WORKFLOW diamond' '^ success ' \
	'^ per day ' '^ duration ' '^ cost .* a run' '^CP ST STEP' 'TIMELINE +0-+' ; do
	like "at 80x24 the section '$section' is there" "$s" "$section"
done
is "the screen is ASCII only" "$(printf '%s' "$s" | LC_ALL=C tr -d '\000-\177' | wc -c)" 0
ok "nothing is wider than 80 columns" [ "$(printf '%s\n' "$s" | wc -L)" -le 80 ]
# Every appearance of a step's name is whole, or ends in the ellipsis.
for name in fetch quick-branch long-branch-of-the-diamond-graph merge; do
	cut=$(printf '%s\n' "$s" | grep -o "${name%"${name#????}"}[a-z-]*~*" |
		while read -r w; do
			case "$name" in
			"$w") ;;
			"${w%\~}"*) [ "${w%\~}" != "$w" ] || echo "$w" ;;
			*) echo "$w" ;;
			esac
		done)
	is "step $name is never cut but by an ellipsis" "$cut" ""
done
like "the long name is cut with one in the table" "$s" 'long-branch-of-the-diamond-g[a-z]*~'
like "the critical path is marked in ASCII" "$(row_of merge)" '^ o v  merge '
tui_stop

# ---- more steps than fit at 80x24: the table and the timeline scroll
# together.
{
	echo "name: many"
	echo "steps:"
	for i in $(seq -w 1 20); do
		printf '  - id: step-%s\n    run: "true"\n' "$i"
	done
} >"$T/many.yaml"
"$DROVER" run --no-tui many.yaml >/dev/null 2>&1
tui_start 80 24 "$DROVER" attach "$(last_run)"
tui_wait "a run of 20 steps opens" 'run [0-9]+ +many'
tui_keys d
tui_wait "its dashboard starts at the first step" ' ✓  step-01 '
unlike "the last is not in view" "$(tui_screen)" 'step-20'
tui_keys G
tui_wait "G scrolls to the last step, in the table" ' ✓  step-20 .* 1$'
like "and in the timeline" "$(from TIMELINE)" ' step-20 '
unlike "the first is out of view" "$(tui_screen)" 'step-01'
tui_keys g j
tui_wait "g then j scrolls a step down from the top" ' ✓  step-09 '
like "in the table" "$(tui_screen | sed -n '/^CP ST STEP/{n;p;}')" ' step-02 '
like "and in the timeline" "$(tui_screen | sed -n '/TIMELINE/{n;p;}')" ' step-02 '
tui_stop

done_testing
