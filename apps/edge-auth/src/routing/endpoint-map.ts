import { z } from 'zod';

const METHODS = ['*', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const EndpointRule = z
  .object({
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(METHODS))
      .default('*'),
    /** `/v1/orders/:id`, `/v1/files/*` (rest of the path); matched segment by segment. */
    path: z
      .string()
      .max(512)
      .regex(/^\/[A-Za-z0-9._~:@!$&'()+,;=/*-]*$/, 'must be a path template like /v1/orders/:id'),
    /** The bounded name metering and scopes use, e.g. `orders.get`. */
    name: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/),
    /** The key must hold every one of these scopes (403 otherwise). */
    scopes: z
      .array(
        z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/, 'must be an RFC 6750 scope token'),
      )
      .max(32)
      .default([]),
    /** Cost units one request consumes from limits and quota. */
    cost: z.number().int().min(1).max(1_000_000).default(1),
  })
  .strict();
export type EndpointRule = z.output<typeof EndpointRule>;
export const EndpointRules = z.array(EndpointRule).max(1_000);

export interface Endpoint {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly cost: number;
}

/** Requests no rule matches, when unmatched endpoints are allowed. */
export const UNMATCHED_ENDPOINT: Endpoint = { name: 'unmatched', scopes: [], cost: 1 };

/** Longest path we look at; longer ones are treated as unmatched rather than split. */
const MAX_PATH_LENGTH = 4096;

interface CompiledRule {
  method: string;
  /** Literal segments, `null` for a parameter; `wildcard` matches any remaining segments. */
  segments: Array<string | null>;
  wildcard: boolean;
  endpoint: Endpoint;
}

/**
 * Maps a request (method + normalised path, see `normaliseRequestTarget`) to its configured
 * endpoint name, so metering and scope checks see a bounded set of names instead of raw paths.
 * First matching rule wins, in config order.
 *
 * Matching errs towards the rule, as upstream routers would: literal segments compare without
 * regard to case (many routers ignore it), a segment's `;parameters` are ignored (servlet
 * containers strip them), and HEAD needs what GET needs (routers answer HEAD with the GET route).
 */
export class EndpointMap {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly EndpointRule[]) {
    this.rules = rules.map((rule) => {
      const parts = rule.path.split('/').slice(1);
      const wildcard = parts.at(-1) === '*';
      if (wildcard) parts.pop();
      return {
        method: rule.method,
        segments: parts.map((p) => (p.startsWith(':') ? null : routedSegment(p))),
        wildcard,
        endpoint: { name: rule.name, scopes: rule.scopes, cost: rule.cost },
      };
    });
  }

  get size(): number {
    return this.rules.length;
  }

  match(method: string, url: string): Endpoint | undefined {
    if (this.rules.length === 0) return undefined;
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path.length > MAX_PATH_LENGTH || path.charCodeAt(0) !== 47 /* / */) return undefined;
    const parts = path.toLowerCase().split('/').slice(1);
    if (parts.length > 1 && parts.at(-1) === '') parts.pop(); // trailing slash
    if (path.includes(';'))
      for (let i = 0; i < parts.length; i++) parts[i] = routedSegment(parts[i]!);
    for (const rule of this.rules) {
      if (!methodMatches(rule.method, method)) continue;
      if (matches(rule, parts)) return rule.endpoint;
    }
    return undefined;
  }
}

function matches(rule: CompiledRule, parts: string[]): boolean {
  const { segments, wildcard } = rule;
  if (wildcard ? parts.length < segments.length : parts.length !== segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const expected = segments[i];
    const actual = parts[i]!;
    if (expected === null) {
      if (actual.length === 0) return false;
    } else if (expected !== actual) return false;
  }
  return true;
}

function methodMatches(ruleMethod: string, method: string): boolean {
  return ruleMethod === '*' || ruleMethod === method || (method === 'HEAD' && ruleMethod === 'GET');
}

/** What a router compares a path segment by: without `;parameters`, in lowercase. */
function routedSegment(segment: string): string {
  const semicolon = segment.indexOf(';');
  return (semicolon === -1 ? segment : segment.slice(0, semicolon)).toLowerCase();
}
