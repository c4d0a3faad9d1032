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
run=$("$DROVER" ls --json -n 1 | jq -r '.[0].id')
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
out=$("$DROVER" run "$T/secret.yaml" -a token=short 2>&1)
is "a secret that breaks a rule is refused without showing it" "$out" \
	"drover: arg 'token': *** has 5 characters, fewer than min_length 8"

done_testing
