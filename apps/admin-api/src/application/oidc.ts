import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { isId } from '@tollgate/events';
import type { Principal } from './admin-tokens';
import { ROLES, type Role } from './permissions';

export interface OidcSettings {
  /** The issuer (`iss`) tokens must carry; its discovery document names the JWKS. */
  issuer: string;
  /** The audience (`aud`) tokens must carry: admin-api's client id at the identity provider. */
  audience: string;
  /** The JWKS URL; found through `<issuer>/.well-known/openid-configuration` when not set. */
  jwksUrl?: string;
  /** The claim that carries the caller's roles or groups (a string or an array of strings). */
  roleClaim: string;
  /**
   * Claim value → Tollgate role (e.g. `tollgate-admins` → `admin`). Empty: the claim values are
   * Tollgate role names themselves.
   */
  roleMap: ReadonlyMap<string, Role>;
  /** A claim carrying an account id: the person may then act on that account only. */
  accountClaim?: string;
  /** Accepted signature algorithms; never `none` or an HMAC (a shared secret is not an identity). */
  algorithms: readonly string[];
  clockToleranceS: number;
  now: () => number;
  /** Timeout for the discovery document and the JWKS, in ms. */
  timeoutMs: number;
}

export type OidcOutcome =
  | {
      ok: true;
      principal: Principal;
      /** The token's `exp` (epoch ms): a console session ends by then. */ expiresAt: number;
    }
  /** Not a valid token from the configured issuer for this audience (401). */
  | { ok: false; reason: 'invalid'; detail: string }
  /** A real person without a Tollgate role: authenticated, but allowed nothing (403). */
  | { ok: false; reason: 'no_role'; subject: string }
  /** The identity provider's keys could not be fetched: nobody can tell (503, retry). */
  | { ok: false; reason: 'unavailable'; detail: string };

/** Most privileged first: a person in several mapped groups gets the first of their roles here. */
const PRECEDENCE: readonly Role[] = ['owner', 'admin', 'support', 'finance', 'viewer'];

/** A compact JWS: three base64url parts. Anything else is not for this verifier. */
export const looksLikeJwt = (presented: string) =>
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(presented);

/** `value:role,value:role` → map; the roles must be Tollgate's. */
export function parseRoleMap(text: string): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const pair of text.split(',').map((p) => p.trim())) {
    if (!pair) continue;
    const at = pair.lastIndexOf(':');
    const value = pair.slice(0, at).trim();
    const role = pair.slice(at + 1).trim();
    if (at <= 0 || !value || !(ROLES as readonly string[]).includes(role))
      throw new Error(`"${pair}" is not <claim value>:<${ROLES.join('|')}>`);
    map.set(value, role as Role);
  }
  return map;
}

/**
 * Verifies people's OIDC ID or access tokens (JWT) against the configured issuer's JWKS with
 * `jose`: signature (asymmetric algorithms only), issuer, audience, expiry and not-before (with a
 * small clock tolerance). The role comes from one configured claim through the role map; an
 * optional account claim scopes the person to one account, exactly like a scoped admin token.
 * Keys are cached by jose and fetched again for an unknown key id, so the provider can rotate.
 */
export class OidcVerifier {
  private keys: JWTVerifyGetKey | undefined;
  private discovering: Promise<JWTVerifyGetKey> | undefined;

  constructor(private readonly settings: OidcSettings) {}

  async verify(jwt: string): Promise<OidcOutcome> {
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.jwks();
    } catch (err) {
      return { ok: false, reason: 'unavailable', detail: (err as Error).message };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: [...this.settings.algorithms],
        clockTolerance: this.settings.clockToleranceS,
        currentDate: new Date(this.settings.now()),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      if (
        err instanceof joseErrors.JWKSTimeout ||
        err instanceof joseErrors.JWKSInvalid ||
        !(err instanceof joseErrors.JOSEError)
      )
        return { ok: false, reason: 'unavailable', detail: (err as Error).message };
      return { ok: false, reason: 'invalid', detail: describe(err) };
    }
    const subject = payload.sub ?? ''; // required above
    const role = this.roleOf(payload[this.settings.roleClaim]);
    if (!role) return { ok: false, reason: 'no_role', subject };
    let accountId: string | null = null;
    if (this.settings.accountClaim) {
      const claimed = payload[this.settings.accountClaim];
      if (claimed !== undefined && claimed !== null) {
        if (typeof claimed !== 'string' || !isId('account', claimed))
          return {
            ok: false,
            reason: 'invalid',
            detail: `claim ${this.settings.accountClaim} is not an account id`,
          };
        accountId = claimed;
      }
    }
    const name = [payload['email'], payload['name'], payload['preferred_username']].find(
      (v): v is string => typeof v === 'string' && v.length > 0,
    );
    return {
      ok: true,
      expiresAt: (payload.exp ?? 0) * 1000,
      principal: {
        actor: `oidc:${subject}`,
        via: 'oidc',
        tokenId: null,
        name: (name ?? subject).slice(0, 200),
        role,
        accountId,
      },
    };
  }

  private roleOf(claim: unknown): Role | undefined {
    const values = (Array.isArray(claim) ? claim : [claim]).filter(
      (v): v is string => typeof v === 'string',
    );
    const { roleMap } = this.settings;
    const roles = new Set(
      values.flatMap((v) => {
        if (roleMap.size > 0) {
          const mapped = roleMap.get(v);
          return mapped ? [mapped] : [];
        }
        return (ROLES as readonly string[]).includes(v) ? [v] : [];
      }),
    );
    return PRECEDENCE.find((r) => roles.has(r));
  }

  private async jwks(): Promise<JWTVerifyGetKey> {
    if (this.keys) return this.keys;
    // One discovery at a time; a failed one is retried by the next request.
    this.discovering ??= this.discover().finally(() => (this.discovering = undefined));
    this.keys = await this.discovering;
    return this.keys;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const { issuer, timeoutMs } = this.settings;
    let jwksUrl = this.settings.jwksUrl;
    if (!jwksUrl) {
      const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`OIDC discovery ${url} answered ${res.status}`);
      const document = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (document.issuer !== issuer)
        throw new Error(`OIDC discovery names issuer ${String(document.issuer)}, not ${issuer}`);
      if (typeof document.jwks_uri !== 'string') throw new Error('OIDC discovery has no jwks_uri');
      jwksUrl = document.jwks_uri;
    }
    return createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: timeoutMs });
  }
}

function describe(err: joseErrors.JOSEError): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `claim ${err.claim}: ${err.reason}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'signature algorithm not accepted';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature invalid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'signed by an unknown key';
  return err.code;
}
