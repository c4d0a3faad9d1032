#!/bin/sh
# args_file.sh - args from a file or a pipe (--args-file /dev/stdin, a
# process substitution), so secrets need not be on a command line.
. "$TOP_SRCDIR/tests/tap.sh"

cat >"$T/args.yaml" <<'YAML'
name: args
args:
  token: {type: string, secret: true}
  replicas: {type: integer, default: 1}
steps:
  - id: use
    run: test "$DROVER_ARG_TOKEN" = hunter2-very-secret && test "$DROVER_ARG_REPLICAS" = 3
YAML
printf '{"token": "hunter2-very-secret", "replicas": "3"}' >"$T/args.json"
ok "args from a file" "$DROVER" run --no-tui "$T/args.yaml" --args-file "$T/args.json"
out=$(printf 'token: hunter2-very-secret\nreplicas: 3\n' |
	"$DROVER" run --no-tui "$T/args.yaml" --args-file /dev/stdin 2>&1); rc=$?
is "args from a pipe on stdin" "$rc" 0
unlike "and the secret is not shown" "$out" hunter2
head -c 2000000 /dev/zero | tr '\0' 'x' >"$T/huge"
out=$("$DROVER" run --no-tui "$T/args.yaml" --args-file /dev/stdin <"$T/huge" 2>&1)
like "a huge args file is refused" "$out" 'too large'
out=$(yes 'x: 1' | head -c 2000000 | "$DROVER" run --no-tui "$T/args.yaml" \
	--args-file /dev/stdin 2>&1)
like "so is a huge pipe" "$out" '/dev/stdin: more than 1048576 bytes: too large'
out=$(printf '[1, 2]' | "$DROVER" run --no-tui "$T/args.yaml" --args-file /dev/stdin 2>&1)
like "a pipe must hold a mapping too" "$out" 'an args file is a mapping'

done_testing
