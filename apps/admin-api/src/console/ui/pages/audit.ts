import { api, type Page } from '../api';
import { loadInto, pageHeading, type PageContext } from '../context';
import { empty, epochFromInput, field, h, table, when } from '../dom';
import type { AuditEvent } from '../types';

/** The audit log, filtered by actor, action, target id and time; oldest first, more on demand. */
export function auditPage(ctx: PageContext): void {
  const input = (name: string, placeholder: string) =>
    h('input', { name, placeholder, maxlength: 100 });
  const actor = input('actor', 'token:atok_…');
  const action = input('action', 'key.revoke');
  const target = input('target', 'acct_… or key_…');
  const from = h('input', { type: 'datetime-local', name: 'from' });
  const to = h('input', { type: 'datetime-local', name: 'to' });
  const results = h('div', {});
  const filters = h(
    'form',
    { class: 'controls', 'aria-label': 'Audit log filters' },
    field('Actor', actor),
    field('Action', action),
    field('Target id', target),
    field('From (UTC)', from),
    field('To (UTC)', to),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const exportLink = h(
    'a',
    { class: 'export', download: 'audit-events.jsonl' },
    'Download these events (JSON Lines)',
  );
  ctx.main.append(pageHeading('Audit log', exportLink), filters, results);

  /** The filters as query parameters (the export takes the same ones, without paging). */
  const filterParams = () => {
    const params = new URLSearchParams();
    for (const [name, el] of [
      ['actor', actor],
      ['action', action],
      ['target', target],
    ] as const)
      if (el.value.trim()) params.set(name, el.value.trim());
    for (const [name, el] of [
      ['from', from],
      ['to', to],
    ] as const) {
      const at = epochFromInput(el.value);
      if (at !== undefined) params.set(name, String(at));
    }
    return params;
  };
  const query = (cursor: string | null) => {
    const params = filterParams();
    params.set('limit', '100');
    if (cursor) params.set('cursor', cursor);
    return `/v1/audit-events?${params.toString()}`;
  };

  const rowsOf = (items: AuditEvent[]) =>
    items.map((e) => [
      when(e.at),
      h('code', {}, e.actor),
      e.role ?? '—',
      e.action,
      Object.entries(e.target)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || '—',
      h('span', { class: `outcome outcome-${e.outcome}` }, `${e.outcome} (${e.status})`),
    ]);

  const search = () => {
    const seen: AuditEvent[] = [];
    // Each search draws into its own box: an earlier, slower answer lands in a detached one.
    const box = h('div', {});
    results.replaceChildren(box);
    const load = (cursor: string | null) =>
      loadInto(
        box,
        'audit events',
        () => api<Page<AuditEvent>>('GET', query(cursor)),
        ({ items, nextCursor }) => {
          seen.push(...items);
          if (seen.length === 0) return empty('No audit events match these filters.');
          return [
            table(
              `Audit events (${seen.length}${nextCursor ? '+' : ''})`,
              ['Time', 'Actor', 'Role', 'Action', 'Target', 'Outcome'],
              rowsOf(seen),
            ),
            nextCursor
              ? h('button', { type: 'button', onclick: () => void load(nextCursor) }, 'Load more')
              : null,
          ];
        },
      );
    void load(null);
    // The same filters, every matching event (up to the export's limit), as a file.
    exportLink.href = `/v1/audit-events/export?${filterParams().toString()}`;
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  search();
}
