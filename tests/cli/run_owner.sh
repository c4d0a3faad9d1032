#!/bin/sh
# run_owner.sh - a run has one owner at a time, held by a lock: two resumes
# of one run never both run it, a live run cannot be resumed, an owner that
# dies leaves its attempts interrupted, and lock files that are not plain
# files are refused.
. "$TOP_SRCDIR/tests/tap.sh"

uuid_of() { "$DROVER" show "$1" --json | jq -r .uuid; }

# A run killed in its second step.  Resumed, that step waits for $T/go.
cat >"$T/twice.yaml" <<YAML
name: twice
steps:
  - {id: one, run: "echo x >> $T/count-one"}
  - id: slow
    run: |
      echo x >> $T/count-slow
      if [ ! -e $T/killed ]; then touch $T/slow-started; exec sleep 300; fi
      touch $T/resumed.\$\$
      while [ ! -e $T/go ]; do sleep 0.1; done
  - {id: two, run: "echo x >> $T/count-two"}
YAML
crash_run "$T/twice.yaml" "$T/slow-started"
touch "$T/killed"

# Two resumes at once: one gets the run, the other is refused while the
# first still holds it (the resumed step waits until one has exited).
"$DROVER" resume "$run" >"$T/a.out" 2>&1 &
pa=$!
"$DROVER" resume "$run" >"$T/b.out" 2>&1 &
pb=$!
for i in $(seq 1 200); do
	kill -0 $pa 2>/dev/null && kill -0 $pb 2>/dev/null || break
	sleep 0.1
done
touch "$T/go"
wait $pa; ra=$?
wait $pb; rb=$?
is "one resume runs the run, the other is refused" "$(echo $ra $rb | tr ' ' '\n' | sort | tr '\n' ' ')" "0 2 "
if [ $ra = 0 ]; then winner=$pa; loser="$T/b.out"; else winner=$pb; loser="$T/a.out"; fi
like "the refusal names the owner and what to do" "$(cat "$loser")" \
	"run $run is being run by drover pid $winner \\(user .+ on host .+, since .+\\): wait for it to end \\(drover ls\\), or stop that process \\(kill $winner\\)"
is "the interrupted step ran once more, not twice" "$(wc -l <"$T/count-slow")" 2
is "the step after it ran once" "$(wc -l <"$T/count-two")" 1
is "the step before it did not run again" "$(wc -l <"$T/count-one")" 1
is "the run succeeded" "$("$DROVER" show "$run" --json | jq -r .status)" succeeded
is "the attempt the dead owner left is interrupted" \
	"$(step_field "$run" slow 'attempt_list | map(.status) | join(" ")')" "interrupted succeeded"
like "with why" "$(step_field "$run" slow 'attempt_list[0].error')" \
	"its drover process \\(pid $pid on .+\\) ended while it ran; pid $winner took the run over"
like "drover show says so" "$("$DROVER" show "$run")" "attempt 1 interrupted: its drover process \\(pid $pid"
[ ! -e "$T/history.db-locks/$(uuid_of "$run").lock" ]; tap_result $? "a finished run's lock file is removed"

# An owner that dies after taking over: the run is interrupted again and a
# third owner finishes it.
rm -f "$T/killed" "$T/slow-started" "$T/go" "$T"/resumed.*
crash_run "$T/twice.yaml" "$T/slow-started"
rm -f "$T/slow-started"
"$DROVER" resume "$run" >/dev/null 2>&1 &
pid2=$!
waitfor "$T/slow-started"
is "a resumed run is running while its owner lives" "$(last_run status)" running
out=$("$DROVER" resume "$run" 2>&1); rc=$?
is "resuming a run that has an owner is refused" "$rc" 2
like "naming it" "$out" "run $run is being run by drover pid $pid2 "
kill -KILL $pid2; wait $pid2 2>/dev/null
is "its owner killed, it is interrupted again" "$("$DROVER" show "$run" --json | jq -r .status)" interrupted
touch "$T/killed" "$T/go"
ok "a third owner finishes it" "$DROVER" resume "$run"
is "both dead owners' attempts are interrupted" \
	"$(step_field "$run" slow 'attempt_list | map(.status) | join(" ")')" "interrupted interrupted succeeded"
like "the second one names its owner" "$(step_field "$run" slow 'attempt_list[1].error')" "pid $pid2 on "

# A live run of `drover run` cannot be resumed either.
rm -f "$T/started"
cat >"$T/live.yaml" <<YAML
name: live
steps:
  - {id: wait, run: "touch $T/started; while [ ! -e $T/stop ]; do sleep 0.1; done"}
YAML
"$DROVER" run "$T/live.yaml" >/dev/null 2>&1 &
pid=$!
waitfor "$T/started"
run=$(last_run)
out=$("$DROVER" resume "$run" 2>&1); rc=$?
is "a live run cannot be resumed" "$rc" 2
like "its owner is named" "$out" "run $run is being run by drover pid $pid "
touch "$T/stop"
wait $pid; rc=$?
is "and it goes on to succeed" "$rc" 0

# Lock files that are not plain files: refused with a message, not
# followed, not waited on.
cat >"$T/short.yaml" <<YAML
name: short
steps:
  - {id: a, run: "touch $T/short-started; exec sleep 300"}
YAML
crash_run "$T/short.yaml" "$T/short-started"
lock="$T/history.db-locks/$(uuid_of "$run").lock"
rm -f "$lock"
ln -s "$T/elsewhere" "$lock"
out=$(timeout 20 "$DROVER" resume "$run" 2>&1); rc=$?
is "a lock file replaced by a symbolic link: resume refused" "$rc" 2
like "saying why" "$out" "lock file .*\\.lock: it is a symbolic link, which drover does not follow: remove it"
[ ! -e "$T/elsewhere" ]; tap_result $? "the link is not followed"
rm -f "$lock"
mkfifo "$lock"
out=$(timeout 20 "$DROVER" resume "$run" 2>&1); rc=$?
is "a FIFO: refused at once, not waited on" "$rc" 2
like "saying why" "$out" "is not a plain file \\(a FIFO, a device or a directory\\): remove it"
rm -f "$lock"
ok "once removed, the run resumes" "$DROVER" resume "$run" 2>/dev/null

# No place for locks: nothing is recorded.
mkdir "$T/nolocks"
touch "$T/nolocks/history.db-locks"
out=$(DROVER_DB="$T/nolocks/history.db" "$DROVER" run "$T/live.yaml" 2>&1); rc=$?
is "a run that cannot take its lock does not start" "$rc" 2
like "saying why" "$out" "cannot open the lock directory .*nolocks/history.db-locks: it is not a directory"
is "and nothing is recorded" "$(DROVER_DB="$T/nolocks/history.db" "$DROVER" ls --json | jq length)" 0

done_testing
