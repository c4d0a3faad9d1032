#!/bin/sh
# docs.sh - every shipped example runs, and every command the docs show
# works as written: the man page's EXAMPLES in order (its run becomes run
# 42), the README's quick start.
. "$TOP_SRCDIR/tests/tap.sh"
cd "$TOP_SRCDIR" || exit 1

mock="$TOP_SRCDIR/tests/node_modules/@dwmkerr/mock-llm/dist/main.js"
for f in workflows/*.yaml; do
	wrap=
	case $f in
	*/tools.yaml) continue ;;	# a tools file, not a workflow
	*/ai-optimized-deployment.yaml) args="-a app_name=user-service -a image_tag=v1.2.3" ;;
	*/release-notes.yaml) args= wrap=tests/servers/with-mock-llm ;;
	*) args= ;;
	esac
	ok "the shipped example $f validates" "$DROVER" validate "$f"
	if [ -n "$wrap" ] && { ! command -v node >/dev/null 2>&1 || [ ! -f "$mock" ]; }; then
		echo "# $f needs the mock LLM server (npm ci --prefix tests): not run"
		continue
	fi
	# shellcheck disable=SC2086
	ok "and runs" $wrap "$DROVER" run "$f" $args --no-tui
done
if command -v node >/dev/null 2>&1 && [ -f "$mock" ]; then
	# The README's LLM example, twice: the second time from the cache.
	tests/servers/with-mock-llm "$DROVER" run workflows/release-notes.yaml >"$T/out" 2>&1
	is "README: the release notes example succeeds" "$?" 0
	tests/servers/with-mock-llm "$DROVER" run workflows/release-notes.yaml >"$T/out" 2>&1
	run=$(last_run)
	is "and again, from the cache, for nothing" \
		"$(step_field "$run" notes cached) $("$DROVER" show "$run" --json | jq .cost_usd)" "true 0"
	like "its notes are printed" "$("$DROVER" logs "$run" publish)" '^- Results are cached and reused\.$'
fi

# The README's quick start, then what it says to look at.
"$DROVER" run workflows/release.yaml >"$T/out" 2>&1; rc=$?
is "README: drover run workflows/release.yaml succeeds" "$rc" 0
ok "README: drover ls" "$DROVER" ls
run=$(last_run)
ok "README: drover show RUN" "$DROVER" show "$run"

# The README's "Working over SSH", with its run's number.
run=$("$DROVER" run --detach workflows/deploy.yaml -a environment=production); rc=$?
is "README: drover run --detach prints the run's number" "$rc $(echo "$run" | grep -c '^[0-9]*$')" "0 1"
i=0
until "$DROVER" ls --waiting --json | jq -e 'length > 0' >/dev/null || [ $i -gt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
like "README: drover ls --waiting lists its gate" "$("$DROVER" ls --waiting)" "^ +$run +approve +deploy "
ok "README: drover approve RUN approve -m TEXT" "$DROVER" approve "$run" approve -m "checked the diff"
ok "README: drover logs RUN -f follows it to the end" "$DROVER" logs "$run" -f
is "and the run succeeded" "$("$DROVER" show "$run" --json | jq -r .status)" succeeded
run=$("$DROVER" run --detach workflows/deploy.yaml -a environment=production)
ok "README: drover cancel RUN" "$DROVER" cancel "$run"

# drover(1) EXAMPLES, as written: 41 runs first, so its run is run 42.
while [ "$("$DROVER" ls --json -n 0 | jq length)" -lt 41 ]; do
	"$DROVER" run workflows/release.yaml >/dev/null 2>&1 || break
done
sed -n '/^\.SH EXAMPLES/,/^\.SH /p' man/drover.1 | grep '^drover ' | sed 's/\\-/-/g' >"$T/examples"
is "drover(1) shows examples" "$(wc -l <"$T/examples" | tr -d ' ')" 6
while read -r cmd; do
	# shellcheck disable=SC2086
	set -- $cmd
	shift
	ok "drover(1): $cmd" "$DROVER" "$@"
done <"$T/examples"
is "its run is run 42" "$("$DROVER" show 42 --json | jq -r .workflow)" deploy

done_testing
