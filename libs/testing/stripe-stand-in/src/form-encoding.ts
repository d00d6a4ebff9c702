/** A form-encoded value as Stripe reads it: strings, nested by `a[b]`, arrays by `a[0]`. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormParams = { [key: string]: FormValue };

/**
 * Parses a body or query string the way the `stripe` SDK writes it (`qs` with bracketed keys and
 * array indices: `metadata[line]=l1&expand[0]=lines`). Objects whose keys are all indices become
 * arrays in index order.
 */
export function parseStripeForm(text: string): FormParams {
  const root: FormParams = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = keyPath(rawKey);
    let node: { [key: string]: FormValue } = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      if (typeof next === 'object' && !Array.isArray(next)) {
        node = next;
      } else {
        const created: { [key: string]: FormValue } = {};
        node[segment] = created;
        node = created;
      }
    });
  }
  return arraysFromIndices(root) as FormParams;
}

function keyPath(key: string): string[] {
  const first = key.indexOf('[');
  if (first < 0) return [key];
  const rest = [...key.slice(first).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '');
  return [key.slice(0, first), ...rest];
}

function arraysFromIndices(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const entries = Object.entries(value).map(([k, v]) => [k, arraysFromIndices(v)] as const);
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k)))
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  return Object.fromEntries(entries);
}

/** A stable text of the parameters, so two requests compare equal when their params do. */
export function canonicalParams(params: FormParams): string {
  const sort = (v: FormValue): unknown =>
    typeof v === 'string'
      ? v
      : Array.isArray(v)
        ? v.map(sort)
        : Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, inner]) => [k, sort(inner)]),
          );
  return JSON.stringify(sort(params));
}
