/** A request target edge-auth decides on: the normalised path (and query) it also forwards. */
export type RequestTarget =
  | { ok: true; path: string; /** `''` or `?…`, as sent. */ query: string }
  | { ok: false; detail: string };

const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;
const UNRESERVED = /[A-Za-z0-9\-_~]/;
/** Encoded `.`, `/`, `\` and NUL, also double-encoded: routers that decode them see other paths. */
const FORBIDDEN_ENCODED = new Set(['2E', '2F', '5C', '00']);

/**
 * Normalises a request target once, so that endpoint and scope matching see the same path the
 * upstream will route on, and edge-auth forwards exactly that path:
 *
 * - origin-form only; absolute-form (`http://host/path`) is accepted for the request's own host
 *   (its Host header) and reduced to its path, refused for any other host; `*` and authority-form
 *   are refused;
 * - refused outright: backslashes, NUL and control characters, raw non-ASCII, a fragment, bad
 *   percent-encoding, and encoded `.`, `/`, `\` or NUL (also double-encoded as `%252e` …): an
 *   upstream that decodes them would route a path the scope check never saw;
 * - percent-encoded unreserved characters are decoded (`%61` → `a`), the remaining escapes
 *   uppercased (RFC 3986 §6.2.2), runs of `/` collapsed, and dot segments removed (§5.2.4).
 *
 * The query is kept as sent (after the same control-character check).
 */
export function normaliseRequestTarget(raw: string, host: string | undefined): RequestTarget {
  let target = raw;
  const absolute = raw.startsWith('/') ? null : ABSOLUTE_FORM.exec(raw);
  if (absolute) {
    const [, scheme, authority, rest] = absolute as unknown as [string, string, string, string];
    if (!/^https?$/i.test(scheme)) return refused(`the ${scheme} scheme is not served here`);
    if (host === undefined || authority.toLowerCase() !== host.toLowerCase())
      return refused('absolute-form request targets are accepted only for this host');
    target = rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
  }
  if (!target.startsWith('/')) return refused('the request target must be an absolute path');

  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (holdsForbidden(rawPath, true))
    return refused('the path holds a character that must not appear in it (\\, NUL, controls)');
  if (holdsForbidden(query, false))
    return refused('the query holds a control character or a fragment');

  const decoded = decodeUnreserved(rawPath);
  if (typeof decoded !== 'string') return decoded;
  // The hot path: most targets have nothing to merge or resolve.
  if (!decoded.includes('//') && !decoded.includes('/.')) return { ok: true, path: decoded, query };
  return { ok: true, path: removeDotSegments(decoded.replace(/\/{2,}/g, '/')), query };
}

function decodeUnreserved(path: string): string | RequestTarget {
  if (!path.includes('%')) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3).toUpperCase();
    if (!/^[0-9A-F]{2}$/.test(hex)) return refused('the path holds a malformed %-escape');
    if (FORBIDDEN_ENCODED.has(hex))
      return refused('encoded ".", "/", "\\" or NUL are not accepted in the path');
    if (hex === '25' && FORBIDDEN_ENCODED.has(path.slice(i + 3, i + 5).toUpperCase()))
      return refused('double-encoded ".", "/", "\\" or NUL are not accepted in the path');
    const code = parseInt(hex, 16);
    if (code < 0x20 || code === 0x7f) return refused('encoded control characters are not accepted');
    const char = String.fromCharCode(code);
    out += code < 0x80 && UNRESERVED.test(char) ? char : `%${hex}`;
    i += 2;
  }
  return out;
}

/**
 * Raw characters that may never reach a router: NUL and other controls, `#`, and in the path also
 * space, backslash and anything beyond ASCII (RFC 3986 wants them percent-encoded).
 */
function holdsForbidden(text: string, path: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x23 /* # */) return true;
    if (path && (code === 0x20 || code === 0x5c /* \ */ || code > 0x7f)) return true;
  }
  return false;
}

/** RFC 3986 §5.2.4, on an absolute path whose dots are all literal. */
export function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') output.pop();
      // `/a/b/..` ends in a directory: `/a/`.
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  });
  return `/${output.join('/')}`;
}

function refused(detail: string): RequestTarget {
  return { ok: false, detail };
}
