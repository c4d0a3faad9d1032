#!/bin/sh
# validate.sh - drover validate over the corpora: every file under
# tests/workflows/valid validates; every file under tests/workflows/invalid
# fails with exactly the errors in its .err file, and never crashes.
. "$TOP_SRCDIR/tests/tap.sh"
export DROVER_PATH="$T/empty-search-path"

cd "$TOP_SRCDIR/tests/workflows/valid" || exit 1
for f in *.yaml; do
	fails "valid/$f validates" 0 "$DROVER" validate "$f"
done
out=$("$DROVER" validate basic.yaml parallel.yaml)
like "several files are each reported valid" "$out" 'parallel.yaml: valid \(6 steps, 3 levels\)'

cd "$TOP_SRCDIR/tests/workflows/muster" || exit 1
out=$("$DROVER" validate ai-optimized-deployment.yaml 2>&1); rc=$?
is "the Muster example validates with its tools.yaml" "$rc" 0
is "the Muster example has 7 steps in 5 levels" "$out" \
	"ai-optimized-deployment.yaml: valid (7 steps, 5 levels)"

cd "$TOP_SRCDIR/tests/workflows/invalid" || exit 1
for f in *.yaml; do
	"$DROVER" validate "$f" >"$T/out" 2>"$T/err"; rc=$?
	is "invalid/$f exits 2" "$rc" 2
	same_file "invalid/$f reports exactly its errors" "$T/err" "${f%.yaml}.err"
done

"$DROVER" validate ../valid/basic.yaml empty.yaml >"$T/out" 2>"$T/err"; rc=$?
is "one invalid file among valid ones makes the exit status 2" "$rc" 2
like "the valid one is still reported" "$(cat "$T/out")" 'basic.yaml: valid'
out=$("$DROVER" validate no-such-file.yaml 2>&1)
is "a missing file is named" "$out" \
	"no-such-file.yaml: error: cannot open: No such file or directory"
out=$("$DROVER" validate . 2>&1)
is "a directory is refused" "$out" ".: error: is a directory, not a file"

# tools.yaml beside a workflow: its own problems are reported under its name.
mkdir -p "$T/tools"
cat >"$T/tools/tools.yaml" <<'YAML'
tools:
  hello:
    params: {who: {type: strng}}
    run: echo hi
YAML
cat >"$T/tools/w.yaml" <<'YAML'
name: uses-tools
steps:
  - id: a
    tool: hello
YAML
out=$(cd "$T/tools" && "$DROVER" validate w.yaml 2>&1)
is "problems in tools.yaml name that file" "$out" \
	"./tools.yaml:3:26: error: 'type' must be one of string, integer, number, boolean, array, object, not 'strng'; did you mean 'string'?"

# Tools found on the search path.
mkdir -p "$T/lib" "$T/elsewhere"
cat >"$T/lib/tools.yaml" <<'YAML'
tools:
  hello: {run: echo hi}
YAML
cp "$T/tools/w.yaml" "$T/elsewhere/w.yaml"
out=$(cd "$T/elsewhere" && DROVER_PATH="$T/lib" "$DROVER" validate w.yaml 2>&1); rc=$?
is "a tool is found in tools.yaml on the search path" "$rc" 0
out=$(cd "$T/elsewhere" && "$DROVER" validate w.yaml 2>&1)
like "without it the tool is unknown" "$out" "unknown tool 'hello'"

done_testing
