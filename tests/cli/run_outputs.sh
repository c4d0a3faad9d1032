#!/bin/sh
# run_outputs.sh - what a step publishes: $DROVER_OUTPUT is read only as
# the regular file drover named, and bounded; stdout and stderr are kept
# byte for byte, cut into log lines at 64 KiB.
. "$TOP_SRCDIR/tests/tap.sh"

cat >"$T/out.yaml" <<'YAML'
name: outputs
steps:
  - id: fifo
    run: rm -f "$DROVER_OUTPUT"; mkfifo "$DROVER_OUTPUT"
    allow_failure: true
  - id: link
    run: echo "stolen=yes" >"$DROVER_OUTPUT.x"; rm -f "$DROVER_OUTPUT"; ln -s "$DROVER_OUTPUT.x" "$DROVER_OUTPUT"
    allow_failure: true
  - id: dir
    run: rm -f "$DROVER_OUTPUT"; mkdir -p "$DROVER_OUTPUT/a/b"; echo x >"$DROVER_OUTPUT/a/b/f"; ln -s "$KEEP" "$DROVER_OUTPUT/a/keep"
    allow_failure: true
  - id: big
    run: head -c 2000000 /dev/zero | tr '\0' a | sed 's/^/k=/' >"$DROVER_OUTPUT"
    allow_failure: true
  - id: fine
    run: echo "k=v" >>"$DROVER_OUTPUT"
YAML
mkdir "$T/keep" && echo kept >"$T/keep/f"
KEEP="$T/keep" timeout 60 "$DROVER" run "$T/out.yaml" >"$T/log" 2>&1; rc=$?
is "a FIFO, a link, a directory or 2 MB in \$DROVER_OUTPUT never hang the run" "$rc" 0
run=$(last_run)
is "a FIFO there fails the step" "$(step_field "$run" fifo error)" \
	'$DROVER_OUTPUT was replaced by a FIFO; drover reads outputs only from a regular file'
is "a symbolic link is not followed" "$(step_field "$run" link error)" \
	'$DROVER_OUTPUT was replaced by a symbolic link; drover reads outputs only from the file it named'
is "and what it points to is not read" "$(step_field "$run" link outputs.stolen)" null
like "a directory fails the step" "$(step_field "$run" dir error)" 'replaced by a directory'
like "more than 1 MiB fails the step" "$(step_field "$run" big error)" 'holds more than 1 MiB'
is "a regular file is read" "$(step_field "$run" fine outputs.k)" v
is "what steps left in place of their outputs goes with the run's directory" \
	"$(ls -A "$DROVER_RUNTIME_DIR" | grep -c "^run-" || true)" 0
is "a link in it is removed, not followed" "$(cat "$T/keep/f")" kept

# Lines: one of exactly 64 KiB is one line, a longer one is cut; outputs
# keep the bytes as they came.
cat >"$T/lines.yaml" <<'YAML'
name: lines
steps:
  - id: exact
    run: head -c 65536 /dev/zero | tr '\0' x; sleep 0.2; echo
  - id: longer
    run: head -c 65537 /dev/zero | tr '\0' y; echo
YAML
"$DROVER" run "$T/lines.yaml" >/dev/null 2>&1
run=$(last_run)
is "a line of exactly 64 KiB is one line" "$("$DROVER" logs "$run" exact | awk '{ print length($0) }')" 65536
is "a longer line is cut at 64 KiB" "$("$DROVER" logs "$run" longer | awk '{ print length($0) }' | tr '\n' ' ')" \
	"65536 1 "
is "outputs.stdout holds no newline the cut made" \
	"$(step_field "$run" longer outputs.stdout | tr -d y | wc -c)" 1
is "and is its last 64 KiB, less the final newline" "$(step_field "$run" longer outputs.stdout | tr -d '\n' | wc -c)" 65535

# What a step left read-only, or unreadable, goes too: as a user the kernel
# holds to permissions (root is not).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; then
	chmod 0711 "$T"
	N="$T/nobody"
	mkdir -p "$N/rt" && chmod 0700 "$N/rt" && cp "$DROVER" "$N/drover" &&
		chmod 0755 "$N/drover" && chown -R nobody "$N"
	cat >"$N/ro.yaml" <<'YAML'
name: read-only
steps:
  - id: a
    run: |
      d=$(dirname "$DROVER_OUTPUT")
      mkdir -p "$d/tree/ro/sub" "$d/tree/locked/in" && touch "$d/tree/ro/sub/f" "$d/tree/locked/in/f"
      chmod 0500 "$d/tree/ro/sub" "$d/tree/ro"; chmod 0 "$d/tree/locked"; chmod 0500 "$d"
YAML
	runuser -u nobody -- env HOME="$N" XDG_STATE_HOME="$N/state" DROVER_DB="$N/h.db" \
		DROVER_RUNTIME_DIR="$N/rt" "$N/drover" run "$N/ro.yaml" >"$N/out" 2>&1
	is "a run whose step left read-only and unreadable directories succeeds" "$?" 0
	is "and its directory is gone after it" "$(ls -A "$N/rt" | grep -c '^run-' || true)" 0
else
	tap_result 0 "# SKIP read-only leftovers need root (to run as nobody) and runuser"
fi

# Every attempt has a $DROVER_OUTPUT of its own: 60 steps, 4 at a time,
# get back their own outputs and nobody else's, failed steps too.
{
	printf 'name: reuse\nlimits: {max_parallel: 4}\nsteps:\n'
	for i in $(seq 1 60); do
		case $((i % 3)) in
		0) printf '  - {id: s%d, run: "sleep 0.0%d; echo me=s%d >>\\"$DROVER_OUTPUT\\""}\n' $i $((i % 7)) $i ;;
		1) printf '  - {id: s%d, run: "echo me=s%d >>\\"$DROVER_OUTPUT\\"; exit 3", allow_failure: true}\n' $i $i ;;
		2) printf '  - {id: s%d, run: "echo nothing"}\n' $i ;;
		esac
	done
} >"$T/reuse.yaml"
mkdir -m 700 "$T/rt2"
DROVER_RUNTIME_DIR="$T/rt2" "$DROVER" run "$T/reuse.yaml" >"$T/reuse.out" 2>&1
run=$(last_run)
"$DROVER" show "$run" --json | jq -r '.steps[] | "\(.id) \(.outputs.me // "-")"' >"$T/reuse.got"
for i in $(seq 1 60); do
	case $((i % 3)) in 2) echo "s$i -" ;; *) echo "s$i s$i" ;; esac
done >"$T/want"
same_file "60 steps, 4 at a time, each get their own outputs" "$T/reuse.got" "$T/want"
is "and the run's directory is gone after it" "$(ls "$T/rt2" | grep -c '^run-' || true)" 0

# A process outside the step's tracking (here one the test started) that
# writes to a step's $DROVER_OUTPUT by name after the step ended reaches
# no later step's outputs.
(
	wait_until test -s "$T/late.req" && sleep 0.3 &&
	echo injected=yes >>"$(cat "$T/late.req")" && touch "$T/late.done"
) &
late=$!
run_wf late <<YAML
name: late
steps:
  - {id: a, run: "echo mine=a >>\"\$DROVER_OUTPUT\"; echo \"\$DROVER_OUTPUT\" >$T/late.tmp; mv $T/late.tmp $T/late.req"}
  - {id: b, depends_on: [a], run: "while [ ! -e $T/late.done ]; do sleep 0.05; done; echo mine=b >>\"\$DROVER_OUTPUT\""}
YAML
wait $late
is "a late writer to an ended step's \$DROVER_OUTPUT changes no later step's outputs" \
	"$(step_field "$run" b 'outputs | "\(.mine) \(.injected)"')" "b null"
is "and what it wrote goes with the run's directory" \
	"$(ls -A "$DROVER_RUNTIME_DIR" | grep -c '^run-' || true)" 0

# The environment a step gets: its own env over the workflow's, and
# drover's entries for the run and the attempt, never the ones drover's
# own environment had (a drover inside a step of another one).
cat >"$T/envs.yaml" <<'YAML'
name: envs
env:
  FOO: workflow
  BAR: workflow
steps:
  - id: a
    env:
      FOO: step
    run: env | grep -E '^(FOO|BAR|DROVER_RUN_UUID|DROVER_STEP_ID|DROVER_ATTEMPT|DROVER_OUTPUT|DROVER_ARG_X)=' | sort
YAML
DROVER_RUN_UUID=outer DROVER_STEP_ID=outer DROVER_OUTPUT=/tmp/outer DROVER_ARG_X=outer \
	"$DROVER" run "$T/envs.yaml" >/dev/null 2>&1
run=$(last_run)
uuid=$(last_run uuid)
"$DROVER" logs "$run" a >"$T/envs.got"
is "the step's env wins over the workflow's; drover's entries are its own" \
	"$(sed "s|=$DROVER_RUNTIME_DIR/run-$uuid/[0-9]*\.out$|=RUN/N.out|; s|=$uuid\$|=UUID|" "$T/envs.got" | tr '\n' ' ')" \
	"BAR=workflow DROVER_ATTEMPT=1 DROVER_OUTPUT=RUN/N.out DROVER_RUN_UUID=UUID DROVER_STEP_ID=a FOO=step "
is "each entry once" "$(cut -d= -f1 "$T/envs.got" | sort | uniq -d)" ""
fails "a workflow that sets one of drover's names is refused" 2 "$DROVER" validate \
	"$TOP_SRCDIR/tests/workflows/invalid/env_drovers.yaml"

done_testing
