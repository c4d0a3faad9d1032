// httpd.js - the HTTP server drover's tests talk to: what a mock of an API
// cannot do on demand (delays, Retry-After, dropped connections, a server
// that never answers) and a record of every request it saw, so a test can
// tell what was sent and how often.  Node's own http module, nothing else.
//
//   node httpd.js [PORT]      listens on 127.0.0.1 (PORT 0 or none: any free
//                             port) and prints "port N" once it listens
//
// Routes (any method):
//   /status/CODE[?retry_after=V]   answers CODE, with Retry-After: V if given
//   /flaky/KEY/N/CODE[?retry_after=V]
//                            the first N requests for KEY answer CODE, then 200
//   /echo                    200 with {method, url, headers, body} as JSON
//   /slow?ms=N               answers 200 after N ms
//   /hang                    reads the request and never answers
//   /drop                    closes the connection without answering
//   /big?bytes=N             200 with N bytes of "x"
//   /binary                  200 with bytes that include NUL
//   /headers?n=N             200 with N headers of 1000 bytes each
//   /llm/v1/chat/completions a chat completion whose usage is what drover
//                            estimates: prompt tokens = characters of the
//                            messages / 4 (rounded up), completion tokens =
//                            max_tokens, at most 50 (the reply is that many "x")
//   /_requests               the requests seen so far (not counting these),
//                            as a JSON array of {method, url, headers, body}
//   /_count?path=P           how many requests had path P
//   /_inflight_max?path=P    the most requests with path P ever in flight at once
'use strict';
const http = require('http');

const seen = [];
const counts = new Map();
const inflight = new Map();
const inflightMax = new Map();

function send(res, code, body, headers) {
	res.writeHead(code, Object.assign({ 'Content-Type': 'application/json' }, headers || {}));
	res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function withRetryAfter(q) {
	return q.has('retry_after') ? { 'Retry-After': q.get('retry_after') } : {};
}

const server = http.createServer((req, res) => {
	const chunks = [];
	const path = new URL(req.url, 'http://127.0.0.1').pathname;
	inflight.set(path, (inflight.get(path) || 0) + 1);
	inflightMax.set(path, Math.max(inflightMax.get(path) || 0, inflight.get(path)));
	let done = false;
	const finished = () => {
		if (!done)
			inflight.set(path, inflight.get(path) - 1);
		done = true;
	};
	res.on('finish', finished);
	res.on('close', finished);
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('utf8');
		const u = new URL(req.url, 'http://127.0.0.1');
		const parts = u.pathname.split('/').filter((p) => p !== '');
		const q = u.searchParams;
		if (parts[0] !== '_requests' && parts[0] !== '_count') {
			seen.push({ method: req.method, url: req.url, headers: req.headers, body });
			counts.set(u.pathname, (counts.get(u.pathname) || 0) + 1);
		}
		switch (parts[0]) {
		case 'status':
			return send(res, Number(parts[1]), { status: Number(parts[1]) }, withRetryAfter(q));
		case 'flaky': {
			const key = 'flaky/' + parts[1];
			const n = (counts.get(key) || 0) + 1;
			counts.set(key, n);
			if (n <= Number(parts[2]))
				return send(res, Number(parts[3]), { try: n }, withRetryAfter(q));
			return send(res, 200, { try: n });
		}
		case 'llm': {
			const rq = JSON.parse(body || '{}');
			const chars = (rq.messages || []).reduce((n, m) => n + String(m.content).length, 0);
			const out = Math.min(rq.max_tokens || 50, 50);
			return send(res, 200, {
				id: 'chatcmpl-httpd', object: 'chat.completion', model: rq.model,
				choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(out) },
				    finish_reason: 'length' }],
				usage: { prompt_tokens: Math.ceil(chars / 4), completion_tokens: out,
				    total_tokens: Math.ceil(chars / 4) + out },
			});
		}
		case 'echo':
			return send(res, 200, { method: req.method, url: req.url, headers: req.headers, body });
		case 'slow':
			return setTimeout(() => send(res, 200, { slept: Number(q.get('ms')) }),
			    Number(q.get('ms')));
		case 'hang':
			return undefined;
		case 'drop':
			return req.socket.destroy();
		case 'big':
			return send(res, 200, 'x'.repeat(Number(q.get('bytes'))), { 'Content-Type': 'text/plain' });
		case 'headers':
			for (let i = 0; i < Number(q.get('n')); i++)
				res.setHeader('x-h' + i, 'v'.repeat(1000));
			return send(res, 200, { headers: Number(q.get('n')) });
		case 'binary':
			res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
			return res.end(Buffer.from([0x61, 0x00, 0x62, 0x0a]));
		case '_requests':
			return send(res, 200, seen);
		case '_inflight_max':
			return send(res, 200, String(inflightMax.get(q.get('path')) || 0),
			    { 'Content-Type': 'text/plain' });
		case '_count':
			return send(res, 200, String(counts.get(q.get('path')) || 0), { 'Content-Type': 'text/plain' });
		default:
			return send(res, 404, { error: 'no route ' + u.pathname });
		}
	});
});

server.keepAliveTimeout = 60000;
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
	process.stdout.write('port ' + server.address().port + '\n');
});
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'])
	process.on(sig, () => process.exit(0));
