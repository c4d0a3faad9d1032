#!/bin/sh
# shared.sh - shared mode on a bastion (SPEC 10), with real Unix users the
# test creates: two members of a group and one outsider.  The second
# member sees the first one's run, follows it and approves it under
# separate_duty while its owner is refused; the outsider cannot connect; a
# member who is not an approver is refused, and the refusal is recorded;
# min_approvals: 2 needs both; only the owner cancels.  drover doctor
# says what is missing, and then that all is right.
. "$TOP_SRCDIR/tests/tap.sh"
[ "$(id -u)" = 0 ] || skip_all "shared mode needs real users: run as root to create them"
for tool in useradd groupadd userdel groupdel runuser; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done

tag=$$
grp=drvg$tag
alice=drva$tag bob=drvb$tag eve=drve$tag
cleanup() {
	pkill -KILL -u "$alice" 2>/dev/null
	for u in "$alice" "$bob" "$eve"; do userdel "$u" 2>/dev/null; done
	groupdel "$grp" 2>/dev/null
	tap_end
}
trap cleanup EXIT
groupadd "$grp" || skip_all "groupadd failed"
useradd -M -N -g users -G "$grp" -s /bin/sh "$alice" &&
	useradd -M -N -g users -G "$grp" -s /bin/sh "$bob" &&
	useradd -M -N -g users -s /bin/sh "$eve" || skip_all "useradd failed"

# The users reach the test's files: a copy of drover anyone may run, and
# a scratch directory anyone may pass through.
chmod 0711 "$T"
mkdir -m 0755 "$T/bin"
cp "$DROVER" "$T/bin/drover"
cp "${TOP_BUILDDIR:-$(pwd)}/tests/cli/sockpeer" "$T/bin/sockpeer"
chmod 0755 "$T/bin/drover" "$T/bin/sockpeer"
cat >"$T/system.yaml" <<YAML
shared:
  group: $grp
  history: $T/shared/lib/history.db
  runtime_dir: $T/shared/run
YAML
chmod 0644 "$T/system.yaml"
for u in "$alice" "$bob" "$eve"; do
	mkdir -m 0700 "$T/home-$u"
	chown "$u" "$T/home-$u"
done

# as USER CMD...: CMD as USER, in shared mode, with a home of its own.
as() {
	u=$1; shift
	runuser -u "$u" -- env -u DROVER_DB -u DROVER_RUNTIME_DIR -u XDG_RUNTIME_DIR \
	    DROVER_SYSTEM_CONFIG="$T/system.yaml" HOME="$T/home-$u" \
	    XDG_CONFIG_HOME="$T/home-$u/config" XDG_STATE_HOME="$T/home-$u/state" \
	    PATH="$T/bin:$PATH" "$@"
}

# --- drover doctor: what is missing, then all right ---
out=$(as "$alice" drover doctor 2>&1); rc=$?
is "doctor with the shared directories missing: exit 1" "$rc" 1
like "it names the runtime directory" "$out" \
	"problem +runtime directory $T/shared/run: No such file or directory"
like "and says how to make it" "$out" \
	"fix: sudo install -d -m 2770 -g $grp $T/shared/run"
mkdir -p "$T/shared"
chmod 0755 "$T/shared"
install -d -m 2770 -g "$grp" "$T/shared/lib" "$T/shared/run"
out=$(as "$eve" drover doctor 2>&1); rc=$?
is "doctor for a user outside the group: exit 1" "$rc" 1
like "saying so" "$out" "problem +you \\($eve\\) are in the group $grp"
out=$(as "$alice" drover doctor 2>&1); rc=$?
is "doctor once it is set up: exit 0" "$rc" 0
like "saying it is shared" "$out" "mode +shared, by the group $grp"

# --- alice's run, seen, followed and approved by bob ---
cat >"$T/gated.yaml" <<YAML
name: gated
steps:
  - id: build
    run: echo built
  - id: deploy
    depends_on: [build]
    approval: {message: "Ship it?", separate_duty: true}
    run: echo shipped
YAML
chmod 0644 "$T/gated.yaml"
run=$(as "$alice" drover run --detach "$T/gated.yaml" 2>"$T/err"); rc=$?
is "alice starts a run in shared mode" "$rc" 0
is "quietly" "$(cat "$T/err")" ""
waiting() { [ "$(as "$bob" drover show "$run" --json | jq -r '.steps[1].status')" = waiting ]; }
wait_until waiting
uuid=$(as "$bob" drover show "$run" --json | jq -r .uuid)
is "the history is the group's" "$(stat -c '%G %a' "$T/shared/lib/history.db")" "$grp 660"
is "the run's socket too" "$(stat -c '%G %a' "$T/shared/run/$uuid.sock")" "$grp 660"
is "its log text file too" "$(stat -c '%G %a' "$T/shared/lib/history.db-logs/$run.txt")" "$grp 660"
is "in a directory of the group's" "$(stat -c '%G %a' "$T/shared/lib/history.db-logs")" "$grp 2770"
like "bob reads its log" "$(as "$bob" drover logs "$run" build)" 'built'
like "bob sees alice's run" "$(as "$bob" drover ls)" "^ +$run +waiting for you +gated .* $alice\$"
is "and may decide its gate" "$(as "$bob" drover ls --waiting --json | jq -r '.[0].step')" deploy
is "alice may not (separate duty), so it is not hers to list" \
	"$(as "$alice" drover ls --waiting --json | jq length)" 0
printf '{"type":"hello","protocol":1}\n{"type":"attach","id":1}\n' >"$T/attach.in"
out=$(as "$bob" sockpeer -t 1 "$T/shared/run/$uuid.sock" <"$T/attach.in" 2>/dev/null)
like "bob attaches to it through its socket" "$out" '"type":"snapshot","id":1'
like "and the run's process knows him by the kernel's word" "$out" "\"user\":\"$bob\""
out=$(as "$eve" sockpeer -t 1 "$T/shared/run/$uuid.sock" <"$T/attach.in" 2>&1); rc=$?
is "eve, outside the group, cannot connect" "$rc" 2
chmod 0777 "$T/shared/run"
chmod 0666 "$T/shared/run/$uuid.sock"
out=$(as "$eve" sockpeer -t 1 "$T/shared/run/$uuid.sock" <"$T/attach.in" 2>/dev/null)
like "with the modes opened up, the run's process still refuses her" "$out" \
	"\"code\":\"denied\".*user $eve may not connect"
chmod 0660 "$T/shared/run/$uuid.sock"
chmod 2770 "$T/shared/run"
out=$(as "$eve" drover ls 2>&1); rc=$?
ok "nor read the history" [ "$rc" != 0 ]
out=$(as "$alice" drover approve "$run" deploy 2>&1); rc=$?
is "alice may not approve her own run under separate_duty" "$rc" 2
like "and is told why" "$out" "has separate_duty: $alice started the run"
out=$(as "$bob" drover cancel "$run" 2>&1); rc=$?
is "bob may not cancel alice's run" "$rc" 2
like "saying who may" "$out" "only the user who started run $run \\($alice\\)"
out=$(as "$bob" drover approve "$run" deploy -m "second pair of eyes" 2>&1); rc=$?
is "bob approves it" "$rc" 0
is "as himself" "$out" "$bob approved step 'deploy' of run $run"
done_() { [ "$(as "$bob" drover ls --json | jq -r --argjson r "$run" '.[] | select(.id == $r) | .status')" = succeeded ]; }
wait_until done_
ok "and alice's run finishes" done_
is "both are in the history" "$(as "$alice" drover show "$run" --json |
	jq -r '[.approvals[] | "\(.by) \(.decision) \(.refused)"] | join(", ")')" \
	"$alice approved true, $bob approved false"

# --- a member who is not an approver; two approvals from two users ---
cat >"$T/two.yaml" <<YAML
name: two
steps:
  - id: gate
    approval: {approvers: [$bob, $alice], min_approvals: 2}
  - id: only_bob
    depends_on: [gate]
    approval: {approvers: [$bob]}
YAML
chmod 0644 "$T/two.yaml"
run=$(as "$alice" drover run --detach "$T/two.yaml")
gate_waits() { [ "$(as "$alice" drover show "$run" --json | jq -r ".steps[$1].status")" = waiting ]; }
wait_until gate_waits 0
out=$(as "$alice" drover approve "$run" gate 2>&1); rc=$?
is "min_approvals 2: alice's approval counts" "$rc" 0
is "one is not enough" "$(as "$alice" drover show "$run" --json | jq -r '.steps[0].status')" waiting
out=$(as "$bob" drover approve "$run" gate 2>&1); rc=$?
is "bob's makes two" "$rc" 0
wait_until gate_waits 1
out=$(as "$alice" drover approve "$run" only_bob 2>&1); rc=$?
is "a member who is not an approver is refused" "$rc" 2
is "saying who may decide" "$out" \
	"drover: step 'only_bob' may be decided only by $bob; you are $alice"
is "the refusal is recorded" "$(as "$bob" drover show "$run" --json |
	jq -r '[.approvals[] | select(.refused) | "\(.step) \(.by)"] | join(",")')" "only_bob $alice"
out=$(as "$alice" drover cancel "$run" 2>&1); rc=$?
is "the owner may cancel her run" "$rc" 0

done_testing
