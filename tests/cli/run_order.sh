#!/bin/sh
# run_order.sh - SPEC 4.1: the order steps run in.
. "$TOP_SRCDIR/tests/tap.sh"

# Each step appends "start ID" and "end ID" to a file, so the order of
# events can be read back.
run_wf order <<YAML
name: order
steps:
  - id: a
    run: echo start a >> $T/log; sleep 0.2; echo end a >> $T/log
  - id: b
    run: echo start b >> $T/log; echo end b >> $T/log
  - id: c
    parallel_with: [b]
    run: echo start c >> $T/log; sleep 0.3; echo end c >> $T/log
  - id: d
    run: echo start d >> $T/log; echo end d >> $T/log
  - id: free
    depends_on: []
    run: echo start free >> $T/log; echo end free >> $T/log
  - id: e
    depends_on: [a]
    run: echo start e >> $T/log; echo end e >> $T/log
YAML
is "the run succeeds" "$rc" 0
line() { grep -n "^$1\$" "$T/log" | cut -d: -f1; }
[ "$(line 'end a')" -lt "$(line 'start b')" ]
tap_result $? "by default a step waits for the step written before it"
[ "$(line 'start c')" -lt "$(line 'end b')" ] || [ "$(line 'start b')" -lt "$(line 'end c')" ]
tap_result $? "parallel_with steps run at the same time"
[ "$(line 'end a')" -lt "$(line 'start c')" ]
tap_result $? "a parallel group takes the dependencies of its first member"
[ "$(line 'end c')" -lt "$(line 'start d')" ] && [ "$(line 'end b')" -lt "$(line 'start d')" ]
tap_result $? "the step after a group waits for all of it"
[ "$(line 'start free')" -lt "$(line 'end a')" ]
tap_result $? "depends_on: [] waits for nothing"
[ "$(line 'end a')" -lt "$(line 'start e')" ]
tap_result $? "depends_on waits for the steps it names"

# max_parallel: never more than N steps at once.  Each step marks its
# start (+) and end (-) in one file and notes how many are running as it
# starts: at most that many, as a step's marks lie within its run.
cat >"$T/slot.sh" <<SH
echo + >> $T/par
echo \$((\$(grep -c '^+' $T/par) - \$(grep -c '^-' $T/par))) >> $T/peak
sleep 0.3
echo - >> $T/par
SH
run_wf limit <<YAML
name: limit
limits: {max_parallel: 2}
steps:
  - {id: s1, depends_on: [], run: "sh $T/slot.sh"}
  - {id: s2, depends_on: [], run: "sh $T/slot.sh"}
  - {id: s3, depends_on: [], run: "sh $T/slot.sh"}
  - {id: s4, depends_on: [], run: "sh $T/slot.sh"}
YAML
is "max_parallel run succeeds" "$rc" 0
is "every step noted how many ran with it" "$(grep -c . "$T/peak")" 4
peak=$(sort -n "$T/peak" | tail -n 1)
[ "$peak" -le 2 ] 2>/dev/null
tap_result $? "never more than max_parallel steps run at once"
is "and max_parallel steps do run at once" "$peak" 2
starts=$("$DROVER" show "$run" --json | jq -r '[.steps[].started_at] | sort | .[]')
third=$(printf '%s\n' "$starts" | sed -n 3p)
firstend=$("$DROVER" show "$run" --json | jq -r '[.steps[].ended_at] | sort | .[0]')
[ "$third" \> "$firstend" ] || [ "$third" = "$firstend" ]
tap_result $? "with max_parallel 2 the third step starts after one of the first two ended"

# Pools: a bulkhead of one.
run_wf pool <<YAML
name: pool
pools: {db: 1}
steps:
  - {id: p1, depends_on: [], pool: db, run: "echo start p1 >> $T/plog; sleep 0.2; echo end p1 >> $T/plog"}
  - {id: p2, depends_on: [], pool: db, run: "echo start p2 >> $T/plog; sleep 0.2; echo end p2 >> $T/plog"}
YAML
is "pool run succeeds" "$rc" 0
is "steps of a pool of 1 never overlap" "$(tr '\n' ' ' < "$T/plog")" "start p1 end p1 start p2 end p2 "

done_testing
