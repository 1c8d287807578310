import { describe, expect, it } from '@jest/globals';
import { EventStoreDBClient } from '@eventstore/db-client';
import { toClientConnectionString } from './connection-string.js';

const HOSTS = 'node1:2113,node2:2113,node3:2113';
const QUERY = '?tls=false&nodePreference=leader&keepAliveInterval=5000';

describe('toClientConnectionString (a KurrentDB connection string for the 6.2.1 client)', () => {
  it.each([
    ['kurrentdb', 'esdb'],
    ['kurrentdb+discover', 'esdb+discover'],
    ['kurrent', 'esdb'],
    ['kurrent+discover', 'esdb+discover'],
    ['kdb', 'esdb'],
    ['kdb+discover', 'esdb+discover'],
    ['esdb', 'esdb'],
    ['esdb+discover', 'esdb+discover'],
  ])('%s:// becomes %s:// with the same hosts and query', (scheme, clientScheme) => {
    expect(toClientConnectionString(`${scheme}://${HOSTS}${QUERY}`)).toBe(`${clientScheme}://${HOSTS}${QUERY}`);
  });

  it('keeps a single host, credentials and a string without a query', () => {
    expect(toClientConnectionString('kurrentdb://localhost:2113')).toBe('esdb://localhost:2113');
    expect(toClientConnectionString('  kdb://admin:changeit@db.internal:2113?tls=true ')).toBe(
      'esdb://admin:changeit@db.internal:2113?tls=true',
    );
  });

  it('gives a string the client itself accepts', () => {
    const client = EventStoreDBClient.connectionString(toClientConnectionString(`kurrentdb://${HOSTS}?tls=false`));
    return client.dispose();
  });

  it.each([
    ['another database', 'mysql://localhost:3306'],
    ['http', 'http://localhost:2113'],
    ['a scheme in capitals (the KurrentDB clients refuse it too)', 'KurrentDB://localhost:2113'],
    ['a misspelt scheme', 'kurrentdb+discovery://localhost:2113'],
    ['no scheme', 'localhost:2113'],
    ['an empty string', ''],
  ])('refuses %s, naming the schemes to use', (_, raw) => {
    expect(() => toClientConnectionString(raw)).toThrow(
      /must start with one of kurrentdb:\/\/, kurrentdb\+discover:\/\/, .*esdb\+discover:\/\/.*e\.g\. kurrentdb:\/\/localhost:2113\?tls=false/,
    );
  });

  it('names the scheme it refused', () => {
    expect(() => toClientConnectionString('mysql://x')).toThrow('(got mysql://)');
  });

  it.each([
    ['no host', 'kurrentdb://', /names no host/],
    [
      'a port that is not a number',
      'kurrentdb://node1:port',
      /not a valid connection string: unexpected "p" at position 18, expected port number/,
    ],
    [
      'a bad nodePreference',
      'kurrentdb+discover://node1:2113?nodePreference=boss',
      /expected leader or follower or read_only_replica or random/,
    ],
    ['a boolean option that is not one', 'kdb://node1:2113?tls=no', /expected true or false/],
    ['a query without a value', 'kurrentdb://node1:2113?tls', /expected \?key=value/],
  ])('refuses %s through the client parser, at the position in the string as written', (_, raw, message) => {
    expect(() => toClientConnectionString(raw)).toThrow(message);
  });

  it('does not repeat the string (it may hold a password)', () => {
    let message = '';
    try {
      toClientConnectionString('kurrentdb://admin:s3cret-pass@node1:port');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/not a valid connection string/);
    expect(message).not.toContain('s3cret');
  });
});
