#!/bin/sh
# run_quoting.sh - an arg reaches the command exactly, wherever its
# template sits in the shell text, and never runs (SPEC 5.1).
. "$TOP_SRCDIR/tests/tap.sh"

mkdir "$T/work"
cat >"$T/quote.yaml" <<'YAML'
name: quote
args:
  v: {type: string}
steps:
  - id: contexts
    workdir: WORK
    run: |
      printf '[%s]\n' {{ args.v }}
      printf '[%s]\n' "in double quotes {{ args.v }}"
      printf '[%s]\n' 'in single quotes {{ args.v }}'
      printf '[%s]\n' "$(printf %s "nested {{ args.v }}")"
      x=`printf %s {{ args.v }}`; printf '[%s]\n' "$x"
      cat <<EOF
      [heredoc {{ args.v }}]
      EOF
      cat <<'EOF'
      [literal heredoc {{ args.v }}]
      EOF
YAML
sed "s|WORK|$T/work|" "$T/quote.yaml" >"$T/q.yaml"
for v in '$(touch INJECTED)' '`touch INJECTED`' "'; touch INJECTED; '" \
    '"; touch INJECTED; "' 'a\b\\c$HOME' "it's \"quoted\"" ') ; touch INJECTED ; ('; do
	"$DROVER" run "$T/q.yaml" -a "v=$v" -v >"$T/out" 2>&1
	run=$(last_run)
	"$DROVER" logs "$run" contexts >"$T/got"
	printf '[%s]\n[in double quotes %s]\n[in single quotes %s]\n[nested %s]\n[%s]\n' \
	    "$v" "$v" "$v" "$v" "$v" >"$T/want"
	printf '[heredoc %s]\n[literal heredoc %s]\n' "$v" "$v" >>"$T/want"
	same_file "every context receives exactly: $v" "$T/got" "$T/want"
	is "nothing ran: $v" "$(ls "$T/work")" ""
done

# A value that would end its heredoc is refused before the step starts.
"$DROVER" run "$T/q.yaml" -a "v=$(printf 'x\nEOF\ntouch INJECTED')" >"$T/out" 2>&1
like "a value holding the heredoc's delimiter line fails the step" "$(cat "$T/out")" \
	"contexts +failed.*ends the heredoc"
is "and runs nothing" "$(ls "$T/work")" ""

# Where no quoting is certain, validation refuses and names the place.
cat >"$T/bad.yaml" <<'YAML'
name: bad
args:
  v: {type: string}
steps:
  - id: a
    run: echo "${V:-{{ args.v }}}"
YAML
"$DROVER" run "$T/bad.yaml" -a v=x >"$T/out" 2>&1; rc=$?
is "a template inside \${...} is a validation error" "$rc" 2
like "with its place and the safe alternative" "$(cat "$T/out")" \
	'bad.yaml:6:24: error: a template inside \$\{\.\.\.\} cannot be quoted.*environment variable.*list form'
is "and nothing was recorded" "$("$DROVER" ls --json | jq '[.[] | select(.workflow == "bad")] | length')" 0

done_testing
