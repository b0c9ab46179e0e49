import * as assert from 'assert';
import { Client } from 'pg';
import { startPg, type PgServer } from '../support/pgServer';

describe('team: the throwaway PostgreSQL', function () {
  this.timeout(120_000);
  let pg: PgServer;
  before(async () => { pg = await startPg(); });
  after(() => pg?.stop());

  it('takes a password login over TCP and survives an immediate stop', async () => {
    const url = await pg.createDatabase('probe');
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE t (x int)');
    await c.query('INSERT INTO t VALUES (1)');
    await c.end();
    await pg.stopImmediate();
    await pg.start();
    const c2 = new Client({ connectionString: url });
    await c2.connect();
    const r = await c2.query('SELECT count(*)::int AS n FROM t');
    await c2.end();
    assert.strictEqual(r.rows[0].n, 1);
  });
});
