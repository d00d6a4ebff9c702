/** A refused call, carrying the server's problem+json `detail` to show as it is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken: string | null = null;
let onSessionEnded: () => void = () => undefined;

export function useSession(token: string | null, ended: () => void): void {
  csrfToken = token;
  onSessionEnded = ended;
}

/**
 * Calls admin-api from the page: same origin, the session cookie goes along by itself, and every
 * change carries the session's CSRF token. A 401 means the session ended (signed out elsewhere,
 * expired, token revoked): the console returns to sign-in.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (MUTATING.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(
      0,
      'network',
      'admin-api cannot be reached; check your connection and retry',
    );
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (res.ok) return parsed as T;
  const problem = (parsed ?? {}) as { code?: string; detail?: string; title?: string };
  if (res.status === 401 && path !== '/console/session') onSessionEnded();
  throw new ApiError(
    res.status,
    problem.code ?? 'error',
    problem.detail ?? problem.title ?? `admin-api answered ${res.status}`,
  );
}

export const messageOf = (err: unknown) =>
  err instanceof Error ? err.message : 'Something went wrong';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
