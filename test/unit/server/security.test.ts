// Who gets in: token, Host (DNS rebinding), Origin (web pages), body limits; endpoint.json and the
// token kept per folder.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { isLoopbackHost, tokenMatches } from '../../../src/server/auth';
import { JarvisServer } from '../../../src/server/server';
import { observableState, openEngine, request, startHarness, tempDir, type Harness } from './support';

/** Sends a body in chunks without Content-Length, as a streaming client would. */
function sendChunked(h: Harness, route: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(h.server.url + route), {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.server.token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    });
    req.on('response', res => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    let i = 0;
    const next = (): void => {
      if (i === chunks.length) {
        req.end();
        return;
      }
      // The server may answer and close before all chunks went out; that is the point.
      if (!req.destroyed && req.write(chunks[i++])) setImmediate(next);
      else req.once('drain', next);
    };
    next();
  });
}

describe('server: access and limits', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ maxBodyBytes: 64 * 1024 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses a missing, malformed or wrong token with 401 and changes nothing', async () => {
    const before = await observableState(h);
    for (const headers of [{} as Record<string, string>, { Authorization: 'Basic abc' }, { Authorization: `Bearer ${h.server.token}x` }, { Authorization: 'Bearer ' }]) {
      const r = await request(h.server.url, '/tasks/t', '', { method: 'PUT', body: { description: 'x' }, token: false, headers });
      assert.strictEqual(r.status, 401, JSON.stringify(headers));
      assert.strictEqual(r.json.error.code, 'unauthorized');
      assert.strictEqual(r.headers['www-authenticate'], 'Bearer');
    }
    // Also on reads and on unknown routes: nothing is learned without the token.
    assert.strictEqual((await request(h.server.url, '/status', 'wrong')).status, 401);
    assert.strictEqual((await request(h.server.url, '/no-such-route', 'wrong')).status, 401);
    assert.deepStrictEqual(await observableState(h), before);
    const ok = await h.req('PUT', '/tasks/t', { description: 'x' });
    assert.strictEqual(ok.status, 200);
  });

  it('compares tokens whatever their lengths', () => {
    assert.strictEqual(tokenMatches('abc', 'abc'), true);
    assert.strictEqual(tokenMatches('abc', 'abcd'), false);
    assert.strictEqual(tokenMatches('', 'abc'), false);
  });

  it('refuses non-loopback Host headers (DNS rebinding) with 403', async () => {
    for (const host of ['evil.example', 'evil.example:80', '127.0.0.1.evil.example', 'localhost.evil', '[::2]:1', '10.0.0.1']) {
      const r = await h.req('GET', '/status', undefined, { headers: { Host: host } });
      assert.strictEqual(r.status, 403, host);
      assert.strictEqual(r.json.error.code, 'forbidden');
    }
    for (const host of ['127.0.0.1', `127.0.0.1:${h.server.port}`, 'localhost:1', 'LOCALHOST', '[::1]', '[::1]:8080']) {
      assert.strictEqual(isLoopbackHost(host), true, host);
      const r = await h.req('GET', '/status', undefined, { headers: { Host: host } });
      assert.strictEqual(r.status, 200, host);
    }
    assert.strictEqual(isLoopbackHost(undefined), false);
    assert.strictEqual(isLoopbackHost('localhost:abc'), false);
  });

  it('refuses any request with an Origin header, and sends no CORS headers', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${h.server.port}`]) {
      const r = await h.req('PUT', '/context', { pwned: true }, { headers: { Origin: origin } });
      assert.strictEqual(r.status, 403, origin);
      assert.strictEqual(r.json.error.code, 'forbidden');
      assert.ok(!Object.keys(r.headers).some(k => k.startsWith('access-control-')), JSON.stringify(r.headers));
    }
    const pre = await h.req('OPTIONS', '/context', undefined, { headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' } });
    assert.strictEqual(pre.status, 403);
    assert.ok(!Object.keys(pre.headers).some(k => k.startsWith('access-control-')));
    assert.strictEqual((await h.req('GET', '/context')).json.state.pwned, undefined);
  });

  it('answers 413 to a body over the limit, by Content-Length or while streaming, and stays up', async () => {
    const before = await observableState(h);
    const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
    const r = await h.req('PUT', '/context', big);
    assert.strictEqual(r.status, 413);
    assert.strictEqual(r.json.error.code, 'payload_too_large');
    const chunk = Buffer.from(' '.repeat(8 * 1024));
    const streamed = await sendChunked(h, '/events', [Buffer.from('{"events":['), ...Array.from({ length: 20 }, () => chunk)]);
    assert.strictEqual(streamed.status, 413);
    assert.strictEqual(JSON.parse(streamed.body).error.code, 'payload_too_large');
    // Just under the limit is fine.
    const fits = await sendChunked(h, '/events', [Buffer.from('{"events":[], "pad":"'), Buffer.from('y'.repeat(60 * 1024)), Buffer.from('"}')]);
    assert.strictEqual(fits.status, 201, fits.body);
    assert.deepStrictEqual(await observableState(h), before);
  });

  it('writes endpoint.json (0600, atomically) and removes it on close; the token is kept for the folder', async () => {
    const file = path.join(h.folder, 'endpoint.json');
    const ep = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepStrictEqual(ep, { url: h.server.url, token: h.server.token, pid: process.pid });
    assert.match(h.server.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/jarvis\/context$/);
    if (process.platform !== 'win32') assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(h.server.token.length >= 32);
    assert.deepStrictEqual(fs.readdirSync(h.folder).filter(f => f.endsWith('.tmp')), []);
    const token = h.server.token;
    await h.server.close();
    assert.strictEqual(fs.existsSync(file), false);
    const again = await JarvisServer.start({ engine: h.engine, port: 0 });
    try {
      assert.strictEqual(again.token, token);
      assert.strictEqual((await request(again.url, '/status', token)).status, 200);
    } finally {
      await again.close();
    }
  });

  it('different folders get different tokens', async () => {
    const other = await startHarness();
    try {
      assert.notStrictEqual(other.server.token, h.server.token);
      assert.strictEqual((await request(other.server.url, '/status', h.server.token)).status, 401);
    } finally {
      await other.close();
    }
  });

  it('answers 400, not 500, to a request target that is not a URL', async () => {
    const net = await import('net');
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(h.server.port, '127.0.0.1', () => sock.end(`GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.server.token}\r\n\r\n`));
      let out = '';
      sock.on('data', d => (out += d.toString()));
      sock.on('close', () => resolve(out));
      sock.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /url: not a valid request target/, answer);
    assert.strictEqual((await h.req('GET', '/status')).status, 200);
  });

  it('listens on loopback only', async () => {
    await assert.rejects(JarvisServer.start({ engine: h.engine, host: '0.0.0.0', writeEndpointFile: false }), /loopback/);
  });
});

describe('server: lifecycle', () => {
  it('close() lets writes in flight finish and answer before it resolves', async () => {
    const folder = tempDir();
    const engine = await openEngine(folder);
    // Hold writes inside the engine call until close() has been called, so they are surely in flight.
    let entered = 0;
    let release!: () => void;
    const gate = new Promise<void>(r => (release = r));
    const held = new Proxy(engine, {
      get(target, prop, receiver) {
        if (prop === 'logDecision') {
          return async (input: Parameters<typeof engine.logDecision>[0]) => {
            entered++;
            await gate;
            return target.logDecision(input);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const server = await JarvisServer.start({ engine: held, port: 0 });
    const writes = Array.from({ length: 8 }, (_, i) =>
      request(server.url, '/decisions', server.token, { method: 'POST', body: { decision_type: 't', context: i, decision: `d${i}`, reasoning: 'r' } }),
    );
    for (let i = 0; i < 500 && entered < 8; i++) await new Promise(r => setTimeout(r, 10));
    assert.strictEqual(entered, 8);
    let closeResolved = false;
    const closed = server.close().then(() => (closeResolved = true));
    await new Promise(r => setTimeout(r, 50));
    assert.strictEqual(closeResolved, false, 'close() waits for the writes in flight');
    const late = await request(server.url, '/status', server.token).catch((e: NodeJS.ErrnoException) => e.code);
    assert.strictEqual(late, 'ECONNREFUSED', 'no new connections once closing');
    release();
    const answers = await Promise.all(writes);
    await closed;
    assert.deepStrictEqual(answers.map(a => a.status), Array(8).fill(201));
    assert.strictEqual(fs.existsSync(path.join(folder, 'endpoint.json')), false);
    await engine.close();
    const reopened = await openEngine(folder);
    try {
      const stored = new Set((await reopened.getDecisions({ limit: 100 })).map(d => d.id));
      for (const a of answers) assert.ok(stored.has(a.json.id), `acknowledged decision ${a.json.id} lost`);
    } finally {
      await reopened.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('hands a mounted path (e.g. OTLP /v1/traces) to its handler, which does its own checks', async () => {
    const seen: string[] = [];
    const h = await startHarness({
      mounts: [{
        path: '/v1/traces',
        handle: async (req, res) => {
          seen.push(`${req.method} ${req.headers.authorization ?? '-'}`);
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '2' });
          res.end('{}');
        },
      }],
    });
    try {
      const r = await request(h.server.url.replace('/api/jarvis/context', ''), '/v1/traces', 'otlp-token', { method: 'POST', body: {} });
      assert.strictEqual(r.status, 200);
      assert.deepStrictEqual(seen, ['POST Bearer otlp-token']);
      // Everything else still goes through the API's checks.
      assert.strictEqual((await request(h.server.url, '/status', 'otlp-token')).status, 401);
      await assert.rejects(JarvisServer.start({ engine: h.engine, writeEndpointFile: false, mounts: [{ path: '/api/jarvis/context/x', handle: async () => undefined }] }), /shadow/);
    } finally {
      await h.close();
    }
  });

  it('refuses to start on a port in use with a clear message', async () => {
    const h = await startHarness();
    try {
      await assert.rejects(JarvisServer.start({ engine: h.engine, port: h.server.port, writeEndpointFile: false }), /already in use/);
    } finally {
      await h.close();
    }
  });
});
