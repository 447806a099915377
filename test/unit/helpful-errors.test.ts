import { describe, expect, it } from 'vitest';
import { describeValidation, mergeLiteralUnions, type AjvError } from '../../src/http/validation-errors.js';
import { unknownParameters } from '../../src/http/query-parameters.js';
import { resolve } from 'node:path';
import { connectionProblem, DatabaseUnreachableError, databaseWhere } from '../../src/storage/connection-advice.js';
import { askedOf, describeKeyParts } from '../../src/inventory/shortage.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });
const PG = 'postgres://stock:s3cret-pw@db.internal:6432/stock';
const SOURCE = 'the database URL (--db or STOCKHOOK_DATABASE_URL)';

describe('where the database is, never with its credentials', () => {
  it.each([
    [PG, 'PostgreSQL at db.internal:6432'],
    ['postgresql://u@10.0.0.5/x', 'PostgreSQL at 10.0.0.5:5432'],
    ['postgres://u:p@[::1]:5433/x', 'PostgreSQL at [::1]:5433'],
    ['postgres:///stock?host=/var/run/postgresql', 'PostgreSQL at the socket in /var/run/postgresql (port 5432)'],
    [':memory:', 'SQLite in memory'],
  ])('%s', (url, where) => {
    expect(databaseWhere(url)).toBe(where);
    expect(databaseWhere(url)).not.toContain('s3cret');
  });
});

describe('what to check when the database cannot be reached', () => {
  const at = 'PostgreSQL at db.internal:6432';
  it.each([
    [withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:6432'), `${at} refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`],
    [new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'), `${at} refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`],
    [withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal'), `${at}: the host name does not resolve; check the host of ${SOURCE}`],
    [withCode('ETIMEDOUT'), `${at} cannot be reached (ETIMEDOUT): check the host and port of ${SOURCE}, and any firewall in between`],
    [
      withCode('28000', 'no pg_hba.conf entry for host "10.0.0.9", user "stock", database "stock", no encryption'),
      `${at} refused this client (no pg_hba.conf entry for host "10.0.0.9", user "stock", database "stock", no encryption): add a pg_hba.conf line for this host, user and database, then reload PostgreSQL`,
    ],
    [withCode('28000', 'role "stock" does not exist'), `${at}: role "stock" does not exist; create the role (createuser) or fix the user in ${SOURCE}`],
    [
      withCode('28P01', 'password authentication failed for user "stock"'),
      `${at}: password authentication failed for user "stock"; check the user and password in ${SOURCE}, and the pg_hba.conf method for this host`,
    ],
    [withCode('3D000', 'database "stock" does not exist'), `${at}: database "stock" does not exist; create it (createdb) or fix the database name in ${SOURCE}`],
    [withCode('57P03', 'the database system is starting up'), `${at} is shutting down or starting up (the database system is starting up): wait for it, or check that it is running`],
    [withCode('08006', 'connection failure'), `${at}: the connection failed (connection failure); is PostgreSQL running, and does pg_hba.conf let this host in?`],
    [new Error('Connection terminated unexpectedly'), `${at}: the connection was lost (Connection terminated unexpectedly); PostgreSQL may be restarting or failing over; if it lasts, check that it is running`],
    [new Error('timeout exceeded when trying to connect'), `${at} did not answer in time: is it running and reachable at that host and port (${SOURCE})?`],
    [new Error('wrapped', { cause: withCode('ECONNREFUSED') }), `${at} refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`],
  ])('%s', (err, line) => {
    expect(connectionProblem(PG, err)).toBe(line);
    expect(connectionProblem(PG, err)).not.toContain('s3cret-pw');
  });
});

describe('the rest of the advice: every code it knows, where it looks for one, and what it says without one', () => {
  const at = 'PostgreSQL at db.internal:6432';
  const nested = (depth: number) => {
    let e: Error = withCode('ECONNREFUSED');
    for (let i = 0; i < depth; i++) e = new Error(`wrap ${i}`, { cause: e });
    return e;
  };
  it.each([
    [withCode('EAI_AGAIN'), `${at}: the host name does not resolve; check the host of ${SOURCE}`],
    [withCode('EHOSTUNREACH'), `${at} cannot be reached (EHOSTUNREACH): check the host and port of ${SOURCE}, and any firewall in between`],
    [withCode('ENETUNREACH'), `${at} cannot be reached (ENETUNREACH): check the host and port of ${SOURCE}, and any firewall in between`],
    [withCode('57P01', 'terminating connection due to administrator command'), `${at} is shutting down or starting up (terminating connection due to administrator command): wait for it, or check that it is running`],
    [withCode('57P02', 'crash'), `${at} is shutting down or starting up (crash): wait for it, or check that it is running`],
    // A code without a message: the code stands in for it.
    [{ code: '3D000' }, `${at}: 3D000; create it (createdb) or fix the database name in ${SOURCE}`],
    // Class 08 is a prefix, not anywhere in the code.
    [withCode('22008', 'datetime field overflow'), `${at}: datetime field overflow`],
    [new Error('Query read Timeout'), `${at} did not answer in time: is it running and reachable at that host and port (${SOURCE})?`],
    [new Error('Client was closed and is not queryable'), `${at}: the connection was lost (Client was closed and is not queryable); PostgreSQL may be restarting or failing over; if it lasts, check that it is running`],
    [new Error('boom'), `${at}: boom`],
    ['socket hang up', `${at}: socket hang up`],
    // The tenth error of a chain is read, the eleventh is not (a chain can be long, or a cycle).
    [nested(9), `${at} refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`],
    [nested(10), `${at}: wrap 9`],
  ])('%s', (err, line) => {
    expect(connectionProblem(PG, err)).toBe(line);
  });

  it('a cycle of causes ends with the outermost message', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = new Error('b', { cause: a });
    expect(connectionProblem(PG, a)).toBe(`${at}: a`);
  });

  it('a SQLite file says where it is and the driver’s message, whatever its code', () => {
    expect(connectionProblem('data/x.db', withCode('SQLITE_CANTOPEN', 'unable to open database file'))).toBe(`SQLite ${resolve('data/x.db')}: unable to open database file`);
    expect(connectionProblem('data/x.db', withCode('ECONNREFUSED', 'refused'))).toBe(`SQLite ${resolve('data/x.db')}: refused`);
  });

  it.each([
    ['postgres:///stock', 'PostgreSQL at localhost:5432'],
    ['postgres:///stock?host=db.internal&port=6000', 'PostgreSQL at db.internal:6000'],
    ['postgres://u:s3cret@[bad/x', 'PostgreSQL (the database URL cannot be read)'],
  ])('where %s is', (url, where) => {
    expect(databaseWhere(url)).toBe(where);
  });

  it('a start that could not reach the database: one line, its name, and the driver’s error as its cause', () => {
    const cause = withCode('ECONNREFUSED');
    const err = new DatabaseUnreachableError(PG, cause);
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.message, err.cause]).toEqual([
      'DatabaseUnreachableError',
      `${at} refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`,
      cause,
    ]);
  });
});

describe('a union of literals is one error listing the allowed values', () => {
  const constant = (path: string, allowedValue: unknown): AjvError => ({ keyword: 'const', instancePath: path, params: { allowedValue }, message: 'must be equal to constant' });
  const anyOf = (path: string): AjvError => ({ keyword: 'anyOf', instancePath: path, params: {}, message: 'must match a schema in anyOf' });

  it('every branch becomes one "must be one of"', () => {
    const errors = [constant('/type', 'receipt'), constant('/type', 'sale'), anyOf('/type')];
    expect(describeValidation(errors, 'querystring')).toEqual({
      message: 'querystring.type must be one of: receipt, sale',
      fields: [{ field: 'querystring.type', message: 'must be one of: receipt, sale' }],
    });
  });

  it('a nullable one lists null; an enum its values; a single literal says it', () => {
    const nullType: AjvError = { keyword: 'type', instancePath: '/plan', params: { type: 'null' }, message: 'must be null' };
    expect(describeValidation([constant('/plan', 'free'), constant('/plan', 'paid'), nullType, anyOf('/plan')], 'body').message).toBe('body.plan must be one of: free, paid, null');
    const enumError: AjvError = { keyword: 'enum', instancePath: '/a/0/level', params: { allowedValues: ['x', 1] }, message: 'must be equal to one of the allowed values' };
    expect(describeValidation([enumError], 'body').message).toBe('body.a[0].level must be one of: x, 1');
    expect(describeValidation([constant('/kind', 'stock')], 'body').message).toBe('body.kind must be stock');
  });

  it('a union mixing literals with another type is left as Ajv said it', () => {
    const typeError: AjvError = { keyword: 'type', instancePath: '/x', params: { type: 'integer' }, message: 'must be integer' };
    const errors = [constant('/x', 'all'), typeError, anyOf('/x')];
    expect(mergeLiteralUnions(errors)).toEqual(errors);
  });
});

describe('the words of a refusal', () => {
  it('unknown parameters: a bounded list, a likely meaning, what the route takes', () => {
    const many = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const err = unknownParameters('GET /x', many, []);
    expect(err.message).toBe('unknown query parameters p0, p1, p2, p3, p4, p5, p6, p7, p8, p9 and 2 more; GET /x takes no query parameters');
    expect(err.details).toEqual({ parameters: many.slice(0, 10), allowed: [] });
    const long = unknownParameters('GET /y', ['A'.repeat(100)], ['a']);
    expect(long.message).toBe(`unknown query parameter ${'A'.repeat(40)}...; GET /y takes: a`);
    expect(unknownParameters('GET /z', ['WAREHOUSEID'], ['warehouseId']).message).toBe('unknown query parameter WAREHOUSEID (did you mean warehouseId?); GET /z takes: warehouseId');
  });

  it('a key in words, and what a change asks of free or reserved stock', () => {
    expect(describeKeyParts({ size: '', lot: '', expiry: '', serial: '', location: '' })).toBe('no size, lot, expiry, serial or location');
    expect(describeKeyParts({ size: 'M', lot: 'L1', expiry: '2027-01-31', serial: '', location: 'A-1' })).toBe('size M, lot L1, expiry 2027-01-31, location A-1');
    expect(askedOf({ amountDelta: -5, reservedDelta: 0 }, false)).toBe(5);
    expect(askedOf({ amountDelta: 0, reservedDelta: 3 }, false)).toBe(3);
    expect(askedOf({ amountDelta: -2, reservedDelta: -2 }, true)).toBe(2);
    expect(askedOf({ amountDelta: -0.1, reservedDelta: 0.2 }, false)).toBe(0.3);
  });
});
