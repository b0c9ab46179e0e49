import * as assert from 'assert';
import { describePgError } from '../../../src/team/pgErrors';
import { redactText, redactUrl } from '../../../src/team/redact';
import { checkTeamConfig } from '../../../src/team/teamConfig';

describe('team: redaction of the database password', () => {
  const url = 'postgres://ann:p%40ss%2Fw0rd@db.example.com:5433/jarvis?sslmode=require';

  it('shows a URL without its password, TLS options kept', () => {
    const shown = redactUrl(url);
    assert.strictEqual(shown, 'postgres://ann:***@db.example.com:5433/jarvis?sslmode=require');
    assert.ok(!shown.includes('p%40ss') && !shown.includes('p@ss'));
  });

  it('removes the password, raw or decoded, and the whole URL from any text', () => {
    const text = `failed for ${url}: the password p@ss/w0rd (p%40ss%2Fw0rd) was refused`;
    const out = redactText(text, url);
    assert.ok(!out.includes('p@ss/w0rd') && !out.includes('p%40ss%2Fw0rd'), out);
    assert.match(out, /postgres:\/\/ann:\*\*\*@db\.example\.com/);
  });

  it('shows nothing of a URL of another scheme', () => {
    assert.ok(!redactUrl('not-a-url:hunter2').includes('hunter2'));
    assert.ok(!redactText('bad not-a-url:hunter2', 'not-a-url:hunter2').includes('hunter2'));
  });

  it('hides password-like query parameters', () => {
    const u = 'postgresql://ann@h/db?password=hunter2&sslmode=verify-full';
    assert.ok(!redactUrl(u).includes('hunter2'));
    assert.ok(!redactText(`x ${u} hunter2`, u).includes('hunter2'));
    assert.match(redactUrl(u), /sslmode=verify-full/);
  });

  it('says what went wrong without the password', () => {
    assert.match(describePgError({ code: '28P01', message: 'password authentication failed for user "ann"' }, url), /refused the login of user "ann": wrong password/);
    assert.match(describePgError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.example.com' }, url), /unknown host db\.example\.com/);
    assert.match(describePgError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, url), /db\.example\.com:5433 refused the connection/);
    assert.match(describePgError({ code: '3D000', message: 'database "jarvis" does not exist' }, url), /database "jarvis" does not exist/);
    const leaky = describePgError(new Error(`cannot use ${url} with p@ss/w0rd`), url);
    assert.ok(!leaky.includes('p@ss/w0rd') && !leaky.includes('p%40ss'), leaky);
  });

  it('checks the settings: a project is required, the schema is an identifier', () => {
    assert.strictEqual(checkTeamConfig({}), undefined);
    assert.throws(() => checkTeamConfig({ databaseUrl: url }), /project: is required/);
    assert.throws(() => checkTeamConfig({ databaseUrl: url, project: 'p', schema: 'Bad-Name' }), /schema: must be/);
    assert.deepStrictEqual(checkTeamConfig({ databaseUrl: url, project: ' p ' }), { databaseUrl: url, project: 'p', schema: 'jarvis_context' });
  });
});
