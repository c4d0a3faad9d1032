#!/bin/sh
# run_http.sh - http steps against a real server on 127.0.0.1
# (tests/servers/httpd.js): what is sent (method, URL with its values
# percent-encoded, headers, JSON or text body), what comes back as
# outputs, which failures are retried (connection errors, 429 and 5xx,
# honouring Retry-After) and which are not, timeouts, cancelling, and
# secrets, which the server gets and the history never holds; and a
# libcurl that cannot be loaded, or lacks a function drover calls.
. "$TOP_SRCDIR/tests/tap.sh"
start_httpd

requests() { curl -s "$HTTPD/_requests"; }
count() { curl -s "$HTTPD/_count?path=$1"; }
secret=tok-$$-Zq9

# --- what is sent, what comes back ---
run_wf send -a who='a b/c?d&e=#f' -a token="$secret" <<YAML
name: send
args:
  who: {type: string}
  token: {type: string, secret: true}
steps:
  - id: post
    http:
      url: "$HTTPD/echo/{{ args.who }}?who={{ args.who }}&t={{ args.token }}"
      method: post
      headers: {Authorization: "Bearer {{ args.token }}", X-Who: "{{ args.who }}"}
      json: {who: "{{ args.who }}", n: 3}
  - id: text
    http:
      url: "$HTTPD/echo"
      method: PUT
      headers: {Content-Type: text/plain}
      body: "plain {{ args.who }}"
  - id: use
    run: echo "{{ steps.post.outputs.json.method }} {{ steps.post.outputs.status }}"
YAML
is "a run of http steps succeeds" "$rc" 0
req=$(requests)
is "the server got the method" "$(echo "$req" | jq -r '.[0].method')" POST
is "values in the path and query are percent-encoded" "$(echo "$req" | jq -r '.[0].url')" \
	"/echo/a%20b%2Fc%3Fd%26e%3D%23f?who=a%20b%2Fc%3Fd%26e%3D%23f&t=$secret"
is "headers as written" "$(echo "$req" | jq -r '.[0].headers["x-who"]')" 'a b/c?d&e=#f'
is "the secret reaches the server" "$(echo "$req" | jq -r '.[0].headers.authorization')" \
	"Bearer $secret"
is "json: the body is the rendered JSON" "$(echo "$req" | jq -c '.[0].body | fromjson')" \
	'{"who":"a b/c?d&e=#f","n":3}'
is "sent as application/json" "$(echo "$req" | jq -r '.[0].headers["content-type"]')" \
	application/json
is "body: the rendered text" "$(echo "$req" | jq -r '.[1].body')" 'plain a b/c?d&e=#f'
is "with the content type given" "$(echo "$req" | jq -r '.[1].headers["content-type"]')" \
	text/plain
is "outputs.status" "$(step_field "$run" post outputs.status)" 200
is "outputs.headers, names in lower case" \
	"$(step_field "$run" post 'outputs.headers["content-type"]')" application/json
is "outputs.json, the body parsed" "$(step_field "$run" post outputs.json.method)" POST
like "outputs.body, the text" "$(step_field "$run" post outputs.body)" '^\{"method":"POST"'
is "a later step reads them" "$("$DROVER" logs "$run" use)" "POST 200"
log=$("$DROVER" logs "$run" post)
like "the log shows the request" "$log" '^> POST http://127\.0\.0\.1:[0-9]+/echo/a%20b'
like "and the answer" "$log" '^< HTTP 200, [0-9]+ bytes in [0-9]+ ms$'
like "and the body" "$log" '^\{"method":"POST"'
unlike "the secret is not in the log" "$log" "$secret"
like "it shows masked" "$log" 'Bearer \*\*\*'
ok "the secret is nowhere in the history" sh -c "! grep -rqa -- '$secret' '$T'/history.db*"
ok "nor in drover show" sh -c "! '$DROVER' show $run --json | grep -q -- '$secret'"

# --- statuses ---
run_wf notfound <<YAML
name: notfound
steps:
  - id: get
    http: {url: "$HTTPD/status/404"}
    retry: {attempts: 3, delay: 10ms}
YAML
is "a 404 fails the run" "$rc" 1
is "it is not retried" "$(step_field "$run" get attempts)" 1
is "the server saw one request" "$(count /status/404)" 1
is "the error says what came and what was expected" "$(step_field "$run" get error)" \
	"HTTP status 404, expected a 2xx status"
is "outputs still hold the answer" "$(step_field "$run" get outputs.json.status)" 404

run_wf expect <<YAML
name: expect
steps:
  - id: gone
    http: {url: "$HTTPD/status/410", expect: [404, 410]}
  - id: ok_is_not
    http: {url: "$HTTPD/status/200", expect: [201, 204]}
YAML
is "expect: a listed status succeeds" "$(step_field "$run" gone status)" succeeded
is "expect: an unlisted 200 fails" "$(step_field "$run" ok_is_not error)" \
	"HTTP status 200, expected 201 or 204"

run_wf redirect <<YAML
name: redirect
steps:
  - id: moved
    http: {url: "$HTTPD/status/302"}
YAML
is "a redirect is not followed: 302 is not 2xx" "$(step_field "$run" moved error)" \
	"HTTP status 302, expected a 2xx status"

# --- retries ---
run_wf flaky <<YAML
name: flaky
steps:
  - id: get
    http: {url: "$HTTPD/flaky/a/2/503"}
    retry: {attempts: 3, delay: 50ms}
YAML
is "5xx is retried until it succeeds" "$rc" 0
is "three attempts" "$(step_field "$run" get attempts)" 3
is "three requests" "$(count /flaky/a/2/503)" 3

start=$(date +%s%N)
run_wf toomany <<YAML
name: toomany
steps:
  - id: get
    http: {url: "$HTTPD/flaky/b/1/429?retry_after=1"}
    retry: {attempts: 2, delay: 10ms}
YAML
took=$((($(date +%s%N) - start) / 1000000))
is "429 with Retry-After: 1 is waited out, then succeeds" "$rc" 0
ok "the retry waited the second the server asked for, not 10ms ($took ms)" test "$took" -ge 950
is "two attempts" "$(step_field "$run" get attempts)" 2

run_wf beyond <<YAML
name: beyond
steps:
  - id: get
    http: {url: "$HTTPD/status/503?retry_after=30"}
    retry: {attempts: 3, delay: 10ms, max_delay: 2s}
YAML
is "a Retry-After beyond max_delay is not waited for" "$rc" 1
is "one attempt" "$(step_field "$run" get attempts)" 1
is "the error says why" "$(step_field "$run" get error)" \
	"HTTP status 503, expected a 2xx status; the server asks to wait 30s before trying again (Retry-After), longer than retry.max_delay 2s"

dead=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
run_wf dead <<YAML
name: dead
steps:
  - id: get
    http: {url: "http://127.0.0.1:$dead/"}
    retry: {attempts: 2, delay: 10ms}
YAML
is "a dead port fails" "$rc" 1
is "after retrying it" "$(step_field "$run" get attempts)" 2
like "saying no response came" "$(step_field "$run" get error)" '^no response: .*(refused|connect)'

run_wf drop <<YAML
name: drop
steps:
  - id: get
    http: {url: "$HTTPD/drop"}
YAML
like "a connection closed without an answer fails clearly" "$(step_field "$run" get error)" \
	'^no response: '

# --- timeouts and cancelling ---
run_wf hang <<YAML
name: hang
steps:
  - id: own
    http: {url: "$HTTPD/hang", timeout: 300ms}
    allow_failure: true
  - id: step
    http: {url: "$HTTPD/hang"}
    timeout: 300ms
    allow_failure: true
YAML
is "a server that never answers: the request's timeout" "$(step_field "$run" own status)" \
	timed_out
is "says so" "$(step_field "$run" own error)" \
	"no response: none within the request's timeout of 300ms"
is "the step's timeout too" "$(step_field "$run" step status)" timed_out
is "says after how long" "$(step_field "$run" step error)" "timed out after 300ms"

cat >"$T/cancel.yaml" <<YAML
name: cancel
steps:
  - id: wait
    http: {url: "$HTTPD/hang"}
YAML
"$DROVER" run --no-tui "$T/cancel.yaml" >"$T/cancel.out" 2>&1 &
dpid=$!
i=0
until [ "$(count /hang)" -ge 3 ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
run=$(last_run)
"$DROVER" cancel "$run" >/dev/null 2>&1
wait $dpid
is "cancelling a run with a request in flight ends it" "$?" 3
is "the step is cancelled" "$(step_field "$run" wait status)" cancelled

# --- bodies ---
run_wf big <<YAML
name: big
steps:
  - id: get
    http: {url: "$HTTPD/big?bytes=3000000"}
  - id: bin
    http: {url: "$HTTPD/binary"}
YAML
is "a 3 MB body succeeds" "$rc" 0
is "outputs.body keeps 1 MiB" "$(step_field "$run" get outputs.body | tr -d '\n' | wc -c)" 1048576
like "the log says the rest was dropped" "$("$DROVER" logs "$run" get --stream stderr)" \
	'the body is 3000000 bytes; the first 1048576 are kept'
like "a body with NUL bytes is only counted in the log" "$("$DROVER" logs "$run" bin)" \
	'\(4 bytes of binary data\)'

# --- insecure: true is flagged wherever the request shows ---
run_wf insecure <<YAML
name: insecure
steps:
  - id: get
    http: {url: "$HTTPD/status/200?insecure", insecure: true}
  - id: safe
    http: {url: "$HTTPD/status/200?safe"}
YAML
like "drover show flags a request that does not verify TLS" "$("$DROVER" show "$run")" \
	'^ +! TLS not verified \(insecure: true\)$'
is "show --json too, on that step only" \
	"$("$DROVER" show "$run" --json | jq -c '[.steps[] | .notice]')" \
	'["TLS not verified (insecure: true)",null]'
like "and so does its log" "$("$DROVER" logs "$run" get)" '\(TLS not verified \(insecure: true\)\)$'
like "and drover graph" "$("$DROVER" graph "$T/insecure.yaml")" 'http GET \(TLS not verified'

# --- a server that sends 2 MB of headers ---
run_wf headers <<YAML
name: headers
steps:
  - id: get
    http: {url: "$HTTPD/headers?n=2000"}
  - id: few
    depends_on: []
    http: {url: "$HTTPD/headers?n=100"}
YAML
like "2 MB of headers fail the step (curl keeps at most 300 KB)" "$(step_field "$run" get error)" \
	'^no response: Too large response headers'
is "100 KB of them is fine" "$(step_field "$run" few outputs.headers.\"x-h99\" | wc -c)" 1001

# --- hostile values ---
run_wf inject -a v="$(printf 'x\r\nX-Evil: 1')" <<YAML
name: inject
args: {v: {type: string}}
steps:
  - id: get
    http: {url: "$HTTPD/echo/inject", headers: {X-V: "{{ args.v }}"}}
YAML
is "a header value with a line break fails the step" "$rc" 1
like "saying why" "$(step_field "$run" get error)" "header 'X-V': the value holds a line break"
is "and nothing was sent" "$(count /echo/inject)" 0

run_wf scheme -a u=file:///etc/passwd <<YAML
name: scheme
args: {u: {type: string}}
steps:
  - id: get
    http: {url: "{{ args.u }}"}
YAML
is "a url that renders to another scheme fails" "$(step_field "$run" get error)" \
	"the url 'file:///etc/passwd' does not start with http:// or https://"

cat >"$T/bad.yaml" <<YAML
name: bad
steps:
  - id: a
    http: {url: "ftp://example.com/"}
  - id: b
    http: {url: "$HTTPD/", headers: {"X Bad": v}, method: FETCH}
  - id: c
    http: {url: "$HTTPD/", insecure: maybe}
YAML
out=$("$DROVER" validate "$T/bad.yaml" 2>&1); rc=$?
is "validate refuses a bad http step" "$rc" 2
like "a literal url of another scheme" "$out" 'bad\.yaml:4:[0-9]+: error: the url must start with http:// or https://'
like "a header name that is not a token" "$out" "bad\\.yaml:6:[0-9]+: error: header name 'X Bad'"
like "an unknown method" "$out" "unknown HTTP method 'FETCH'"
like "insecure is a boolean" "$out" 'bad\.yaml:8:[0-9]+: error: .*insecure'

# --- circuit breakers ---
run_wf breaker <<YAML
name: breaker
limits: {circuit_breaker: {failures: 2, window: 1m, open_for: 1s}}
steps:
  - {id: a, http: {url: "$HTTPD/status/503?b=a"}, allow_failure: true}
  - {id: b, http: {url: "$HTTPD/status/502?b=b"}, allow_failure: true}
  - id: c
    http: {url: "$HTTPD/status/200?b=c"}
    fallback: {run: echo degraded}
  - {id: pause, wait: 1100ms}
  - {id: d, http: {url: "$HTTPD/status/200?b=d"}}
  - {id: e, http: {url: "$HTTPD/status/200?b=e"}}
YAML
is "a run through an opening circuit succeeds" "$rc" 0
like "two failures open the circuit" "$(cat "$T/breaker.out")" \
	"circuit open: http://127\.0\.0\.1:[0-9]+: calls to it fail at once for now"
is "a call while it is open is not sent" \
	"$(requests | jq '[.[] | select(.url == "/status/200?b=c")] | length')" 0
like "it fails at once" "$("$DROVER" logs "$run" c)" \
	"^circuit open: $HTTPD failed 2 times within the window; the next call goes through in [0-9]+m?s\$"
is "and its fallback runs" "$(step_field "$run" c outputs.stdout)" degraded
like "after open_for it half-opens" "$(cat "$T/breaker.out")" "circuit half-open: http://127\.0\.0\.1:[0-9]+: one trial call goes through"
like "and the trial's success closes it" "$(cat "$T/breaker.out")" "circuit closed: http://127\.0\.0\.1:[0-9]+: its trial call worked"
is "then calls go through again" "$(requests | jq '[.[] | select(.url == "/status/200?b=e")] | length')" 1

# --- an approval's notify is an http request ---
cat >"$T/notify.yaml" <<YAML
name: notify
args: {v: {type: string, default: "1.2 & more"}}
steps:
  - id: ship
    approval:
      message: "ship {{ args.v }}?"
      notify:
        http: {url: "$HTTPD/echo/notify", method: POST, json: {text: "ship {{ args.v }}?"}}
  - id: again
    approval:
      notify: {http: {url: "$HTTPD/status/500"}}
YAML
"$DROVER" run --no-tui "$T/notify.yaml" >"$T/notify.out" 2>&1 &
dpid=$!
i=0
until [ "$(count /echo/notify)" -ge 1 ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
run=$(last_run)
is "the gate's notify was sent when it opened" \
	"$(requests | jq -r '.[] | select(.url == "/echo/notify") | .body | fromjson | .text')" \
	"ship 1.2 & more?"
"$DROVER" approve "$run" ship >/dev/null 2>&1
i=0
until [ "$(count /status/500)" -ge 1 ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.2
"$DROVER" approve "$run" again >/dev/null 2>&1
wait $dpid
is "a notify that fails does not stop the run" "$?" 0
like "it is noted as a warning" "$(cat "$T/notify.out")" \
	"step 'again': its gate's notify failed: HTTP status 500, expected a 2xx status"

# --- many at once ---
{
	printf 'name: many\nlimits: {max_parallel: 40}\nsteps:\n'
	i=0
	while [ $i -lt 40 ]; do
		printf '  - {id: s%d, depends_on: [], http: {url: "%s/slow?ms=300"}}\n' $i "$HTTPD"
		i=$((i + 1))
	done
} >"$T/many.yaml"
"$DROVER" run --no-tui "$T/many.yaml" >/dev/null 2>&1; rc=$?
is "40 requests at once succeed" "$rc" 0
is "the server saw 40" "$(count /slow)" 40
is "all 40 in flight together" "$(curl -s "$HTTPD/_inflight_max?path=/slow")" 40

# --- without a usable libcurl ---
# libcurl is opened on the first request; a file that is not a library,
# or a library without curl's functions, found first on the search path,
# must fail the step with a message that says what is missing.
mkdir -p "$T/notlib" "$T/nocurl"
echo 'not a library' >"$T/notlib/libcurl.so.4"
echo 'int not_curl;' >"$T/nocurl/e.c"
printf 'name: nocurl\nsteps:\n  - id: get\n    http: {url: "%s/echo"}\n' "$HTTPD" >"$T/nocurl.yaml"
before=$(count /echo)
LD_LIBRARY_PATH="$T/notlib" "$DROVER" run --no-tui "$T/nocurl.yaml" >"$T/nocurl.out" 2>&1
is "a run whose libcurl cannot be loaded fails" "$?" 1
run=$(last_run)
like "the step says libcurl cannot be loaded, and how to get it" \
	"$(step_field "$run" get error)" \
	'^HTTP requests need libcurl, which cannot be loaded: .*libcurl\.so\.4.*apt-get install libcurl4\)$'
is "and nothing was sent" "$(count /echo)" "$before"
${CC:-cc} -shared -fPIC -o "$T/nocurl/libcurl.so.4" "$T/nocurl/e.c"	# make check built drover
LD_LIBRARY_PATH="$T/nocurl" "$DROVER" run --no-tui "$T/nocurl.yaml" >/dev/null 2>&1
is "a libcurl without curl's functions fails the run" "$?" 1
run=$(last_run)
is "naming the first function missing" "$(step_field "$run" get error)" \
	"HTTP requests need libcurl 7.80 or later: libcurl.so.4 has no curl_easy_init"

done_testing
