import { describe, expect, it } from 'vitest';
import { EndpointMap, EndpointRules } from './endpoint-map';

const map = new EndpointMap(
  EndpointRules.parse([
    { method: 'GET', path: '/v1/orders/:id', name: 'orders.get', scopes: ['orders:read'] },
    { method: 'post', path: '/v1/orders', name: 'orders.create', cost: 5 },
    { path: '/v1/files/*', name: 'files' },
    { path: '/v1/orders/:id/items/:item', name: 'items' },
  ]),
);

describe('EndpointMap', () => {
  it('maps method and path templates to bounded endpoint names', () => {
    expect(map.match('GET', '/v1/orders/42')?.name).toBe('orders.get');
    expect(map.match('GET', '/v1/orders/42?expand=items')?.name).toBe('orders.get');
    expect(map.match('GET', '/v1/orders/42/')?.name).toBe('orders.get');
    expect(map.match('POST', '/v1/orders')).toMatchObject({ name: 'orders.create', cost: 5 });
    expect(map.match('DELETE', '/v1/files/a/b/c')?.name).toBe('files');
    expect(map.match('GET', '/v1/orders/1/items/2')?.name).toBe('items');
  });

  it('matches what upstream routers would route to a rule (case, ;parameters, HEAD as GET)', () => {
    expect(map.match('GET', '/V1/ORDERS/42')?.name).toBe('orders.get');
    expect(map.match('GET', '/v1/Orders/42')?.name).toBe('orders.get');
    expect(map.match('GET', '/v1/orders;jsessionid=x/42')?.name).toBe('orders.get');
    expect(map.match('HEAD', '/v1/orders/42')?.name).toBe('orders.get');
    expect(map.match('HEAD', '/v1/files/a')?.name).toBe('files');
    expect(map.match('HEAD', '/v1/orders')).toBeUndefined();
  });

  it('matches nothing it was not told about', () => {
    expect(map.match('DELETE', '/v1/orders/42')).toBeUndefined();
    expect(map.match('GET', '/v1/orders')).toBeUndefined();
    expect(map.match('GET', '/v1/orders//')).toBeUndefined();
    expect(map.match('GET', 'v1/orders/1')).toBeUndefined();
    expect(map.match('GET', `/${'a/'.repeat(3000)}`)).toBeUndefined();
    expect(new EndpointMap([]).match('GET', '/anything')).toBeUndefined();
  });

  it('rejects bad rules with the field named', () => {
    expect(() => EndpointRules.parse([{ path: 'no-slash', name: 'x' }])).toThrow(/path/);
    expect(() => EndpointRules.parse([{ path: '/x', name: 'has space' }])).toThrow(/name/);
    expect(() => EndpointRules.parse([{ path: '/x', name: 'x', method: 'BREW' }])).toThrow();
    expect(() => EndpointRules.parse([{ path: '/x', name: 'x', extra: 1 }])).toThrow();
  });
});
