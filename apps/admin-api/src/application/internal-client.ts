import { ProblemError } from '@tollgate/service-runtime';

export interface InternalResponse<T> {
  status: number;
  body: T;
}

/**
 * A small client for one internal app (key-service, usage-ingestor): sends admin-api's service
 * credential, passes the internal app's problem+json answers (4xx) through as they are, and turns
 * an unreachable or failing app into 503 `dependency_unavailable` — never a 500 with its details.
 */
export class InternalClient {
  constructor(
    private readonly options: {
      name: string;
      baseUrl: string;
      serviceToken: string | undefined;
      timeoutMs: number;
    },
  ) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<InternalResponse<T>> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.options.serviceToken) headers.authorization = `Bearer ${this.options.serviceToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, this.options.baseUrl), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      throw new ProblemError('dependency_unavailable', `${this.options.name} is not reachable`);
    }
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (res.status >= 500 || res.status === 401 || res.status === 403)
      // 401/403 from an internal app mean admin-api's own credential is wrong: a deployment fault.
      throw new ProblemError(
        'dependency_unavailable',
        `${this.options.name} answered ${res.status}`,
      );
    return { status: res.status, body: parsed as T };
  }

  async stream(path: string, extraHeaders: Record<string, string> = {}): Promise<StreamedResponse> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.options.serviceToken) headers.authorization = `Bearer ${this.options.serviceToken}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.options.baseUrl), {
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      throw new ProblemError('dependency_unavailable', `${this.options.name} is not reachable`);
    }
    if (res.status >= 500 || res.status === 401 || res.status === 403 || !res.body) {
      await res.body?.cancel();
      throw new ProblemError(
        'dependency_unavailable',
        `${this.options.name} answered ${res.status}`,
      );
    }
    if (res.status >= 400) throw new PassThroughProblem(res.status, await res.json());
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      contentDisposition: res.headers.get('content-disposition'),
      body: res.body,
    };
  }

  /** Like `call`, but a 4xx answer becomes this request's answer (the same problem). */
  async expect<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<InternalResponse<T>> {
    const result = await this.call<T>(method, path, body, extraHeaders);
    if (result.status >= 400) throw new PassThroughProblem(result.status, result.body);
    return result;
  }
}

/** A streamed answer (an export): its status, content type and body, read as it arrives. */
export interface StreamedResponse {
  status: number;
  contentType: string;
  contentDisposition: string | null;
  body: ReadableStream<Uint8Array>;
}

export interface StreamingClient {
  /** GET whose successful answer is streamed, not parsed; a 4xx problem passes through. */
  stream(path: string, extraHeaders?: Record<string, string>): Promise<StreamedResponse>;
}

/** An internal app's 4xx problem, answered to the client unchanged (same status, same code). */
export class PassThroughProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: unknown,
  ) {
    super('internal app refused the request');
  }
}
