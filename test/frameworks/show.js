// Prints a fixture's spans (name, parent, a few attributes) to see what a framework sends.
'use strict';
const f = require(`./fixtures/${process.argv[2]}.json`);
const val = v => (v ? Object.values(v)[0] : v);
for (const r of f.requests) {
  if (r.path !== '/v1/traces') continue;
  for (const rs of r.body.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
    const a = Object.fromEntries((s.attributes || []).map(x => [x.key, val(x.value)]));
    const keep = Object.entries(a).filter(([k]) => !/messages\.\d|input\.value|output\.value|prompt|schema/.test(k) || process.argv[3]);
    console.log(`${s.spanId} <${s.parentSpanId || 'ROOT'}> ${s.name} [${ss.scope.name}]`, JSON.stringify(Object.fromEntries(keep)).slice(0, Number(process.argv[4] || 400)));
  }
}
