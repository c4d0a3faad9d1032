#!/bin/sh
# logs_tty.sh - step output on a terminal: `drover logs` and `drover run
# -v` show control sequences harmless (OSC 52, titles, screen clears,
# cursor-position queries, DCS, 8-bit C1, BEL, bare CR, bidi controls) and
# keep TAB; a pipe gets the exact bytes, and so does a terminal with
# --raw.  The terminal is a pty from script(1).
. "$TOP_SRCDIR/tests/tap.sh"
command -v script >/dev/null 2>&1 || skip_all "script(1) is not installed"

# Runs drover on a pty; prints what reached the terminal without the CR
# the pty adds before each newline.
on_tty() {
	script -qec "$*" /dev/null </dev/null | sed 's/\r$//'
}

cat >"$T/hostile.yaml" <<'YAML'
name: hostile
steps:
  - id: noisy
    run: |
      printf 'clip \033]52;c;ZXZpbA==\007 title \033]0;pwned\033\\ end\n'
      printf 'clear \033[2J\033[6n dcs \033P+q544e\033\\ c1 \233 2J\n'
      printf 'u-c1 \302\233 bel \007 cr done\rfake tab\there\n'
      printf 'bidi \342\200\256txt.exe \342\201\246iso\342\201\251 ok \303\251\n'
YAML
"$DROVER" run --no-tui "$T/hostile.yaml" >/dev/null
printf 'clip \033]52;c;ZXZpbA==\007 title \033]0;pwned\033\\ end\n' >"$T/want.raw"
printf 'clear \033[2J\033[6n dcs \033P+q544e\033\\ c1 \233 2J\n' >>"$T/want.raw"
printf 'u-c1 \302\233 bel \007 cr done\rfake tab\there\n' >>"$T/want.raw"
printf 'bidi \342\200\256txt.exe \342\201\246iso\342\201\251 ok \303\251\n' >>"$T/want.raw"

"$DROVER" logs 1 noisy >"$T/pipe.out"
same_file "to a pipe, logs keeps the exact bytes" "$T/pipe.out" "$T/want.raw"

LANG=C.UTF-8 LC_ALL= LC_CTYPE= on_tty "$DROVER" logs 1 noisy >"$T/tty.out"
cat >"$T/want.tty" <<'EOF'
clip ^[]52;c;ZXZpbA==^G title ^[]0;pwned^[\ end
clear ^[[2J^[[6n dcs ^[P+q544e^[\ c1 \x9b 2J
u-c1 <U+009B> bel ^G cr done^Mfake tab	here
bidi <U+202E>txt.exe <U+2066>iso<U+2069> ok é
EOF
same_file "on a terminal, logs shows every control harmless (and keeps TAB)" \
	"$T/tty.out" "$T/want.tty"
is "no ESC, BEL, C1 or bidi byte reaches the terminal" \
	"$(LC_ALL=C tr -d '\011\012\040-\176' <"$T/tty.out" | od -An -c | tr -d ' \n')" \
	'303251'
on_tty "$DROVER" logs 1 >"$T/tty-all.out"
like "with every step, lines are prefixed and harmless" "$(cat "$T/tty-all.out")" \
	'^noisy \| clip \^\[\]52;c;'
LANG=C LC_ALL= LC_CTYPE= on_tty "$DROVER" logs 1 noisy >"$T/tty-c.out"
like "a terminal without UTF-8 gets no byte above 0x7f" "$(sed -n 4p "$T/tty-c.out")" \
	'^bidi <U\+202E>txt.exe .* ok \\xc3\\xa9$'
on_tty "$DROVER" logs 1 noisy -f >"$T/tty-f.out"
same_file "-f shows lines the same way" "$T/tty-f.out" "$T/want.tty"

on_tty "$DROVER" logs 1 noisy --raw >"$T/raw.out"
tr -d '\r' <"$T/want.raw" >"$T/want.raw-nocr"
tr -d '\r' <"$T/raw.out" >"$T/raw.out-nocr"
same_file "--raw passes the bytes to the terminal as they are" "$T/raw.out-nocr" \
	"$T/want.raw-nocr"

on_tty "$DROVER" run --no-tui -v "$T/hostile.yaml" >"$T/run.out"
like "run -v on a terminal shows controls harmless" "$(cat "$T/run.out")" \
	'noisy \| clip \^\[\]52;c;ZXZpbA==\^G title'
like "run -v shows bidi controls by name" "$(cat "$T/run.out")" \
	'noisy \| bidi <U\+202E>txt.exe'
is "run -v sends no control character but TAB (NO_COLOR)" \
	"$(LC_ALL=C tr -d '\011\012\040-\176\240-\377' <"$T/run.out" | wc -c | tr -d ' ')" 0
"$DROVER" run --no-tui -v "$T/hostile.yaml" >"$T/run-pipe.out"
like "run -v to a pipe keeps the bytes" "$(LC_ALL=C grep -c "$(printf '\033')" "$T/run-pipe.out")" \
	'^2$'

# show and ls print what came from outside (args, errors, outputs,
# names) harmless on a terminal too; --json is for scripts, exact.
cat >"$T/evil.yaml" <<'YAML'
name: evil
args:
  who: {type: string}
steps:
  - id: fail
    run: exit 3
YAML
"$DROVER" run --no-tui "$T/evil.yaml" -a "who=$(printf 'x\033]0;pwned\007y\342\200\256z')" >/dev/null
run=$(last_run)
on_tty "$DROVER" show "$run" >"$T/show.out"
like "show escapes an arg's controls" "$(cat "$T/show.out")" 'who=x\^\[\]0;pwned\^Gy<U\+202E>z'
is "show sends no control character from the run" \
	"$(LC_ALL=C tr -d '\011\012\040-\176\240-\377' <"$T/show.out" | wc -c | tr -d ' ')" 0
is "show --json keeps the bytes" "$("$DROVER" show "$run" --json | jq -r .args.who)" \
	"$(printf 'x\033]0;pwned\007y\342\200\256z')"
done_testing
