import { describe, expect, it } from 'vitest';
import { clusterSeeds } from './redis-client';

describe('clusterSeeds: Redis Cluster seeds keep the URL credentials and TLS', () => {
  it('passes user, password and TLS from the seed URLs to every node connection', () => {
    const { nodes, auth } = clusterSeeds(
      'rediss://edge:s%40cret@10.0.0.1:7000, rediss://edge:s%40cret@10.0.0.2:7001',
    );
    expect(nodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    expect(auth).toEqual({ username: 'edge', password: 's@cret', tls: {} });
  });

  it('adds nothing for seeds without credentials, and defaults the port', () => {
    expect(clusterSeeds('redis://127.0.0.1,redis://127.0.0.1:7002')).toEqual({
      nodes: [
        { host: '127.0.0.1', port: 6379 },
        { host: '127.0.0.1', port: 7002 },
      ],
      auth: {},
    });
    expect(clusterSeeds('redis://:only-password@h:7000').auth).toEqual({
      password: 'only-password',
    });
  });

  it('refuses seeds that disagree on credentials or scheme, or are not Redis URLs', () => {
    expect(() => clusterSeeds('redis://a:x@h1:7000,redis://a:y@h2:7000')).toThrow(/one set/);
    expect(() => clusterSeeds('rediss://h1:7000,redis://h2:7000')).toThrow(/one scheme/);
    expect(() => clusterSeeds('http://h1:7000')).toThrow(/redis:\/\//);
  });
});
