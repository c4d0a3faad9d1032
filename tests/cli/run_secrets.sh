#!/bin/sh
# run_secrets.sh - secret args never reach logs, history, events or the
# screen, but the steps get the real value.
. "$TOP_SRCDIR/tests/tap.sh"

cat >"$T/secret.yaml" <<'YAML'
name: secret
args:
  token: {type: string, secret: true, min_length: 8}
  user: {type: string, default: alice}
steps:
  - id: use
    run: |
      echo "token is {{ args.token }}"
      echo "env has $DROVER_ARG_TOKEN" >&2
      echo "key=prefix-{{ args.token }}" >> "$DROVER_OUTPUT"
      test "${#DROVER_ARG_TOKEN}" = 19
  - id: fail
    run: echo "bad {{ args.token }}" >&2; exit 1
YAML
"$DROVER" run "$T/secret.yaml" -a token=hunter2-very-secret -v >"$T/out" 2>&1; rc=$?
run=$(last_run)
is "the step saw the real secret (and the run failed where it should)" \
	"$(step_field "$run" use status)" succeeded
unlike "the screen never shows it" "$(cat "$T/out")" "hunter2"
like "the screen shows *** instead" "$(cat "$T/out")" 'token is \*\*\*'
unlike "drover show never shows it" "$("$DROVER" show "$run"; "$DROVER" show "$run" --json)" hunter2
like "args show *** in the history" "$("$DROVER" show "$run" --json | jq -r .args.token)" '^\*\*\*$'
unlike "drover logs never shows it" "$("$DROVER" logs "$run")" hunter2
is "outputs are masked" "$(step_field "$run" use outputs.key)" "prefix-***"
"$DROVER" run "$T/secret.yaml" -a token=hunter2-very-secret --json >"$T/json" 2>&1
unlike "the JSON event stream never shows it" "$(cat "$T/json")" hunter2
if command -v sqlite3 >/dev/null 2>&1; then
	unlike "the database file never holds it" "$(sqlite3 "$DROVER_DB" .dump)" hunter2
else
	unlike "the database file never holds it" "$(strings "$DROVER_DB"*)" hunter2
fi
ok "the runs' log text files hold what the steps printed" sh -c "cat '$DROVER_DB-logs'/*.txt | grep -q 'token is \\*\\*\\*'"
unlike "and never the secret" "$(cat "$DROVER_DB-logs"/*.txt)" hunter2
out=$("$DROVER" run "$T/secret.yaml" -a token=short 2>&1)
is "a secret that breaks a rule is refused without showing it" "$out" \
	"drover: arg 'token': *** has 5 characters, fewer than min_length 8"

# The whole history, as text: every row of every table, and the runs'
# log text files.
history_text() {
	if command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 "$DROVER_DB" .dump
	else
		cat "$DROVER_DB" "$DROVER_DB-wal" 2>/dev/null
	fi
	cat "$DROVER_DB-logs"/*.txt 2>/dev/null
}

# A secret made of every awkward byte, in every place a template can put
# it: shown and stored as ***, never in any form (raw, quoted, escaped).
cat >"$T/awkward.yaml" <<'YAML'
name: awkward
args:
  token: {type: string, secret: true}
steps:
  - id: use
    run: |
      printf '%s\n' "dq {{ args.token }}" 'sq {{ args.token }}' {{ args.token }}
      printf 'key<<END\n%s\nEND\n' "$DROVER_ARG_TOKEN" >> "$DROVER_OUTPUT"
      x=`printf %s {{ args.token }}`; test "$x" = "$DROVER_ARG_TOKEN"
    outputs:
      echoed: "{{ args.token }}!"
YAML
awk='q'"'"'u"o\te	tab$d`b'
"$DROVER" run "$T/awkward.yaml" -a "token=$awk" -v >"$T/out" 2>&1
run=$(last_run)
is "the step with an awkward secret succeeded" "$(step_field "$run" use status)" succeeded
for form in "$awk" 'q'"'"'\'"'"''"'"'u' 'u\"o' 'o\\te' 'tab\$d' 'd\`b' 'u\"o\\te\ttab'; do
	case $(history_text) in
	*"$form"*) is "the history never holds the form [$form]" found absent ;;
	*) is "the history never holds the form [$form]" absent absent ;;
	esac
	case $(cat "$T/out"; "$DROVER" show "$run"; "$DROVER" show "$run" --json) in
	*"$form"*) is "the screen never shows the form [$form]" found absent ;;
	*) is "the screen never shows the form [$form]" absent absent ;;
	esac
done
"$DROVER" run "$T/awkward.yaml" -a "token=$awk" --json >"$T/events" 2>&1
like "the command as it ran shows ***" \
	"$(jq -r 'select(.type == "step" and .status == "running") | .command' "$T/events")" \
	'"dq \*\*\*" '"'"'sq \*\*\*'"'"' '"'"'\*\*\*'"'"
case $(cat "$T/events") in
*"u\\\"o"*|*"$awk"*) is "the event stream never shows it" found absent ;;
*) is "the event stream never shows it" absent absent ;;
esac
is "the published output is masked" "$(step_field "$run" use outputs.key)" "***"
is "the templated output is masked" "$(step_field "$run" use outputs.echoed)" "***!"

# Across the 64 KiB line cut, across lines, across reads.
cat >"$T/cut.yaml" <<'YAML'
name: cut
args:
  token: {type: string, secret: true}
steps:
  - id: straddle
    run: |
      head -c 65530 /dev/zero | tr '\0' x; printf '%s\n' "$DROVER_ARG_TOKEN"
      printf '%s' "$DROVER_ARG_TOKEN" | head -c 5; sleep 0.3
      printf '%s\n' "$DROVER_ARG_TOKEN" | tail -c +6
YAML
"$DROVER" run "$T/cut.yaml" -a token=hunter2-very-secret >/dev/null 2>&1
run=$(last_run)
unlike "a secret cut by the 64 KiB line limit is masked" "$("$DROVER" logs "$run")" 'hunter|secret|very'
unlike "so is one split across two writes" "$(history_text)" 'hunter2|very-secret'
cat >"$T/multi.yaml" <<'YAML'
name: multi
args:
  key: {type: string, secret: true}
steps:
  - id: pem
    run: printf 'before\n%s\nafter\n' "$DROVER_ARG_KEY"
YAML
"$DROVER" run "$T/multi.yaml" -a "key=$(printf 'BEGIN-KEY\nline-two-of-the-key\nEND-KEY')" >/dev/null 2>&1
run=$(last_run)
is "a secret of several lines is masked as a whole" "$("$DROVER" logs "$run" pem)" \
	"$(printf 'before\n***\nafter')"
unlike "and never stored" "$(history_text)" 'line-two-of-the-key'

# Too short to mask: refused, before anything is recorded.
cat >"$T/short.yaml" <<'YAML'
name: short
args:
  pin: {type: string, secret: true}
steps:
  - id: a
    run: "true"
YAML
before=$("$DROVER" ls --json -n 0 | jq length)
"$DROVER" run "$T/short.yaml" -a pin=42 >"$T/out" 2>&1; rc=$?
is "a secret of 2 characters is refused" "$rc" 2
like "saying why" "$(cat "$T/out")" "arg 'pin' is secret, and its value has 2 characters: drover cannot hide"
is "and nothing was recorded" "$("$DROVER" ls --json -n 0 | jq length)" "$before"
ok "an empty secret has nothing to hide, and runs" "$DROVER" run "$T/short.yaml" -a pin=

# The history is private: the database and its -wal and -shm, 0600.
cat >"$T/slow.yaml" <<'YAML'
name: slow
steps:
  - id: a
    run: echo started; sleep 2
YAML
rm -f "$DROVER_DB"*
"$DROVER" run "$T/slow.yaml" >/dev/null 2>&1 &
wait_until test -e "$DROVER_DB-wal"
is "the history is created 0600" "$(stat -c %a "$DROVER_DB")" 600
is "its -wal is 0600" "$(stat -c %a "$DROVER_DB-wal")" 600
is "its -shm is 0600" "$(stat -c %a "$DROVER_DB-shm")" 600
wait
chmod 644 "$DROVER_DB"
"$DROVER" run "$T/short.yaml" >/dev/null 2>&1
is "a history left readable by others is closed up" "$(stat -c %a "$DROVER_DB")" 600
# ...also behind a symbolic link, where SQLite keeps the -wal beside the
# link's target.
mkdir "$T/real"
ln -s "$T/real/h.db" "$T/link.db"
DROVER_DB="$T/link.db" "$DROVER" run "$T/short.yaml" >/dev/null 2>&1
head -c 4096 /dev/zero >"$T/real/h.db-wal"
chmod 644 "$T/real/h.db" "$T/real/h.db-wal"
cat >"$T/mark.yaml" <<YAML
name: mark
steps:
  - {id: a, run: "touch $T/marked; sleep 1"}
YAML
DROVER_DB="$T/link.db" "$DROVER" run "$T/mark.yaml" >/dev/null 2>&1 &
waitfor "$T/marked"
is "a history behind a link is closed up, its -wal too" \
	"$(stat -c %a "$T/real/h.db") $(stat -c %a "$T/real/h.db-wal")" "600 600"
wait

done_testing
