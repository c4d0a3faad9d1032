#!/bin/sh
# run_procs.sh - a step's processes never outlive it: what leaves its
# process group (setsid, a double fork) is stopped with it on a timeout, a
# cancel and when the step ends, in both ways of tracking processes
# (process_tracking: cgroup and subreaper).
. "$TOP_SRCDIR/tests/tap.sh"

alive() {	# alive PID: running and not a zombie
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! awk '{ exit $3 != "Z" }' "/proc/$1/stat"
}

use_mode() {	# use_mode MODE: a config with it and a 1 s grace period
	printf 'kill_grace: 1s\nprocess_tracking: %s\n' "$1" >"$T/config-$1.yaml"
	export DROVER_CONFIG="$T/config-$1.yaml"
}

# The grandchild each test checks: a session of its own, its pid in $1.
escapee() {
	echo "setsid sh -c 'echo \$\$ > $1; exec sleep 300'"
}

for mode in cgroup subreaper; do
	use_mode $mode
	m="$mode:"
	cat >"$T/which.yaml" <<'YAML'
name: which
steps:
  - {id: where, run: "grep '^0::' /proc/self/cgroup"}
YAML
	out=$("$DROVER" run "$T/which.yaml" --json 2>&1); rc=$?
	if [ $mode = cgroup ] && [ $rc = 2 ]; then
		echo "# cgroup tracking is not possible here (not root?): $out"
		tap_result 0 "$m skipped: this user cannot create cgroups"
		continue
	fi
	is "$m the run says which tracking it uses" \
		"$(printf '%s\n' "$out" | head -n 1 | jq -r .process_tracking)" $mode
	uuid=$(printf '%s\n' "$out" | head -n 1 | jq -r .uuid)
	where=$(printf '%s\n' "$out" | jq -r 'select(.type == "log") | .line')
	if [ $mode = cgroup ]; then
		like "$m the step runs in a cgroup leaf of its run" "$where" "^0::.*/drover-$uuid/[0-9]+\$"
		cg=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo | head -n 1)
		[ -z "$(find "$cg" -maxdepth 3 -type d -name "drover-$uuid" 2>/dev/null)" ]
		tap_result $? "$m and the run's cgroup is removed when it ends"
	else
		unlike "$m the step runs in drover's cgroup" "$where" "drover-"
	fi

	# A timeout: the grandchild that left the process group goes too.
	rm -f "$T/pid"
	run_wf timeout <<YAML
name: timeout
steps:
  - id: slow
    run: $(escapee "$T/pid") & sleep 30
    timeout: 1s
YAML
	is "$m a timed-out step fails the run" "$rc" 1
	is "$m the step is timed_out" "$(step_field "$run" slow status)" timed_out
	wait_until test -s "$T/pid"
	! alive "$(cat "$T/pid")"; tap_result $? "$m its setsid grandchild was killed too"

	# Each process gets one SIGTERM (some take a second for "now").
	rm -f "$T/terms"
	run_wf once <<YAML
name: once
steps:
  - id: count
    run: trap 'echo term >> $T/terms' TERM; while :; do sleep 0.1; done
    timeout: 300ms
YAML
	is "$m a stopped step's process gets SIGTERM once" "$(cat "$T/terms" 2>/dev/null | wc -l)" 1

	# A cancel (SIGTERM to drover).
	rm -f "$T/pid"
	cat >"$T/cancel.yaml" <<YAML
name: cancel
steps:
  - id: long
    run: $(escapee "$T/pid") & sleep 30
YAML
	"$DROVER" run "$T/cancel.yaml" >"$T/cancel.out" 2>&1 &
	pid=$!
	wait_until test -s "$T/pid"
	alive "$(cat "$T/pid")"; tap_result $? "$m the grandchild runs while its step does"
	kill -TERM $pid
	wait $pid; rc=$?
	is "$m SIGTERM cancels the run" "$rc" 3
	! alive "$(cat "$T/pid")"; tap_result $? "$m and kills the grandchild"

	# A double-forked daemon, its output elsewhere: stopped when its step
	# ends, before the next step starts.
	rm -f "$T/pid"
	run_wf daemon <<YAML
name: daemon
steps:
  - id: start
    run: |
      ( $(escapee "$T/pid") </dev/null >/dev/null 2>&1 & )
      while [ ! -s $T/pid ]; do sleep 0.05; done
  - id: after
    run: if awk '{ exit \$3 == "Z" }' /proc/\$(cat $T/pid)/stat 2>/dev/null; then echo alive; else echo gone; fi
YAML
	is "$m a step that leaves a daemon succeeds" "$(step_field "$run" start status)" succeeded
	is "$m the daemon is stopped when its step ends" "$("$DROVER" logs "$run" after)" gone
	! alive "$(cat "$T/pid")"; tap_result $? "$m and is gone after the run"

	# What ignores SIGTERM gets SIGKILL after the grace period.
	rm -f "$T/pid"
	run_wf deaf <<YAML
name: deaf
steps:
  - id: start
    run: |
      ( setsid sh -c 'trap "" TERM; echo \$\$ > $T/pid; while :; do sleep 0.2; done' >/dev/null 2>&1 & )
      while [ ! -s $T/pid ]; do sleep 0.05; done
YAML
	d=$(step_field "$run" start duration_ms)
	is "$m a step whose leftover ignores SIGTERM still succeeds" "$(step_field "$run" start status)" succeeded
	[ "$d" -ge 900 ] && [ "$d" -lt 8000 ]; tap_result $? "$m after the 1s grace period (took ${d}ms)"
	! alive "$(cat "$T/pid")"; tap_result $? "$m and the leftover is gone"
done

# Subreaper: orphans that end on their own do not stay zombies of drover.
use_mode subreaper
run_wf zombies <<'YAML'
name: zombies
steps:
  - {id: orphan, run: "(sleep 0.1 &); sleep 0.5"}
  - {id: count, run: "ps -o stat= --ppid $PPID | grep -c Z || true"}
YAML
is "subreaper: orphans that ended are reaped" "$("$DROVER" logs "$run" count)" 0

# cgroup: what a killed drover left running, even with no DROVER_
# variables in its environment, is killed by resume through the cgroup
# recorded in the run's lock.
use_mode cgroup
if "$DROVER" run "$T/which.yaml" >/dev/null 2>&1; then
	rm -f "$T/pid" "$T/again"
	cat >"$T/crash.yaml" <<YAML
name: crash
steps:
  - id: a
    run: if [ -e $T/again ]; then exit 0; fi; env -i $(escapee "$T/pid") & exec sleep 300
YAML
	"$DROVER" run "$T/crash.yaml" >/dev/null 2>&1 &
	pid=$!
	wait_until test -s "$T/pid"
	kill -KILL $pid; wait $pid 2>/dev/null
	run=$(last_run)
	alive "$(cat "$T/pid")"; tap_result $? "cgroup: a killed drover's step processes live on"
	touch "$T/again"
	ok "cgroup: resume takes the run over" "$DROVER" resume "$run"
	! alive "$(cat "$T/pid")"; tap_result $? "cgroup: and kills them, environment or not"
fi

# Without the rights for cgroups (a normal user): auto falls back, and
# asking for cgroup says why not.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	U="$T/user"
	mkdir -p "$U" && chmod 777 "$U" && chmod 711 "$T"
	cp "$T/which.yaml" "$U/which.yaml"
	printf 'process_tracking: auto\n' >"$U/auto.yaml"
	printf 'process_tracking: cgroup\n' >"$U/cgroup.yaml"
	as_user() {
		setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$U" \
			DROVER_DB="$U/history.db" DROVER_RUNTIME_DIR="$U/run" XDG_CONFIG_HOME="$U" \
			XDG_RUNTIME_DIR= "$@"
	}
	out=$(as_user DROVER_CONFIG="$U/auto.yaml" "$DROVER" run "$U/which.yaml" --json 2>&1); rc=$?
	is "as a normal user, auto runs the steps" "$rc" 0
	is "tracking them as their subreaper" "$(printf '%s\n' "$out" | head -n 1 | jq -r .process_tracking)" subreaper
	out=$(as_user DROVER_CONFIG="$U/cgroup.yaml" "$DROVER" run "$U/which.yaml" 2>&1); rc=$?
	is "process_tracking: cgroup without a cgroup to write: refused" "$rc" 2
	like "saying why and what to do" "$out" \
		"process_tracking is cgroup, but .*: run drover as root or in a cgroup delegated to you"
	is "and nothing is recorded" "$(as_user "$DROVER" ls --json | jq length)" 1
else
	tap_result 0 "# SKIP the normal-user fallback needs root and setpriv"
fi

# Without /proc: auto still runs steps (by their process groups), asking
# for cgroup says what is missing.
noproc() {
	unshare -m sh -c 'mount -t tmpfs none /proc && exec "$@"' sh "$@"
}
# (A sanitizer build cannot start without /proc at all.)
if [ "$(id -u)" = 0 ] && noproc "$DROVER" --version >/dev/null 2>&1; then
	use_mode auto
	printf 'name: plain\nsteps:\n  - {id: a, run: "sleep 30", timeout: 300ms}\n' >"$T/plain.yaml"
	out=$(noproc "$DROVER" run "$T/plain.yaml" --json 2>&1); rc=$?
	is "without /proc, auto runs the steps (a timeout still stops them)" "$rc" 1
	is "and says the step timed out" "$(printf '%s\n' "$out" | jq -r 'select(.type == "step" and .status != "running") | .status')" timed_out
	is "as their subreaper" "$(printf '%s\n' "$out" | head -n 1 | jq -r .process_tracking)" subreaper
	use_mode cgroup
	out=$(noproc "$DROVER" run "$T/which.yaml" 2>&1); rc=$?
	is "without /proc, cgroup is refused" "$rc" 2
	like "saying why" "$out" "process_tracking is cgroup, but cannot read /proc/self/cgroup"
else
	tap_result 0 "# SKIP running without /proc needs root, unshare and a drover that starts without it"
fi

printf 'process_tracking: sometimes\n' >"$T/bad.yaml"
out=$(DROVER_CONFIG="$T/bad.yaml" "$DROVER" run "$T/which.yaml" 2>&1); rc=$?
is "an unknown process_tracking is a usage error" "$rc" 2
like "naming the choices" "$out" "'process_tracking' is auto, cgroup or subreaper"

done_testing
