import uPlot from 'uplot';
import { api } from './api';
import { loadInto } from './context';
import { empty, epochFromInput, field, h, dropdown, table, when } from './dom';
import type { SeriesPoint, TopItem } from './types';

type Granularity = 'minute' | 'hour' | 'day';

const STEP_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Presets of the range picker, each with the granularity it opens with. */
const RANGES: Record<string, { label: string; ms: number; granularity: Granularity }> = {
  '1h': { label: 'Last hour', ms: 3_600_000, granularity: 'minute' },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, granularity: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, granularity: 'hour' },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, granularity: 'day' },
  '365d': { label: 'Last 365 days', ms: 365 * 86_400_000, granularity: 'day' },
};

/** Outcome colours (WCAG-contrasting on white); an outcome not listed gets the neutral one. */
const COLOURS: Record<string, string> = {
  allowed: '#1a7f37',
  rate_limited: '#b35900',
  quota_exceeded: '#8250df',
  invalid: '#cf222e',
  revoked: '#6e7781',
  expired: '#0969da',
  forbidden: '#9a6700',
};
const colourOf = (outcome: string) => COLOURS[outcome] ?? '#57606a';

/**
 * Requests over time by outcome for one account, from `GET /v1/accounts/:id/usage/series`, with
 * a granularity and a range picker. Below the chart, the totals per outcome are read from the
 * chart's own data — the chart's text alternative (and what tests read).
 */
export function usagePanel(
  accountId: string,
  options: { withTopLists?: boolean; now?: () => number } = {},
): HTMLElement {
  const now = options.now ?? Date.now;
  const range = dropdown(
    'range',
    [
      ...Object.entries(RANGES).map(([k, r]): [string, string] => [k, r.label]),
      ['custom', 'Custom range'],
    ],
    '24h',
  );
  const granularity = dropdown(
    'granularity',
    [
      ['minute', 'Minute'],
      ['hour', 'Hour'],
      ['day', 'Day'],
    ],
    'hour',
  );
  const from = h('input', { type: 'datetime-local', name: 'from' });
  const to = h('input', { type: 'datetime-local', name: 'to' });
  const custom = h(
    'div',
    { class: 'custom-range', hidden: true },
    field('From (UTC)', from),
    field('To (UTC)', to),
  );
  const result = h('div', { class: 'usage-result' });
  const topLists = h('div', { class: 'top-lists' });
  const controls = h(
    'form',
    { class: 'controls', 'aria-label': 'Usage chart range' },
    field('Range', range),
    field('Granularity', granularity),
    custom,
    h('button', { type: 'submit' }, 'Show'),
  );
  const panel = h(
    'section',
    { class: 'usage-panel', 'aria-label': 'Requests over time' },
    controls,
    result,
    topLists,
  );
  let chart: uPlot | undefined;

  const draw = () => {
    const g = granularity.value as Granularity;
    const step = STEP_MS[g];
    let start: number;
    let end: number;
    if (range.value === 'custom') {
      const f = epochFromInput(from.value);
      const t = epochFromInput(to.value);
      if (f === undefined || t === undefined) {
        result.replaceChildren(empty('Choose both ends of the custom range.'));
        return;
      }
      start = Math.floor(f / step) * step;
      end = Math.ceil(t / step) * step;
    } else {
      end = Math.ceil((now() + 1) / step) * step;
      start = Math.floor((end - RANGES[range.value]!.ms) / step) * step;
    }
    chart?.destroy();
    chart = undefined;
    drawTopLists(start, end);
    // Each draw has its own box: an earlier, slower answer lands in a detached one.
    const box = h('div', {});
    result.replaceChildren(box);
    void loadInto(
      box,
      'usage',
      () =>
        api<{ points: SeriesPoint[] }>(
          'GET',
          `/v1/accounts/${encodeURIComponent(accountId)}/usage/series?granularity=${g}&from=${start}&to=${end}`,
        ),
      ({ points }) => {
        if (!box.isConnected) return []; // superseded by a later draw
        const figure = h('figure', { class: 'usage-chart' });
        const caption = h(
          'figcaption',
          {},
          `Requests per ${g} by outcome, ${new Date(start).toISOString().slice(0, 16)} to ${new Date(end).toISOString().slice(0, 16)} UTC`,
        );
        if (points.length === 0) {
          figure.append(caption, empty('No requests in this range.'));
          figure.dataset.state = 'empty';
          return figure;
        }
        const outcomes = [...new Set(['allowed', ...points.map((p) => p.outcome)])];
        const buckets: number[] = [];
        for (let at = start; at < end; at += step) buckets.push(at);
        const index = new Map(buckets.map((at, i) => [at, i]));
        const values = outcomes.map(() => buckets.map(() => 0));
        for (const p of points) {
          const i = index.get(Date.parse(p.bucket));
          if (i !== undefined) values[outcomes.indexOf(p.outcome)]![i]! += p.requests;
        }
        const plot = h('div', {
          class: 'plot',
          role: 'img',
          'aria-label': 'Chart of requests over time by outcome; totals in the table below',
        });
        figure.append(caption, plot);
        chart = new uPlot(
          {
            width: Math.max(320, Math.min(panel.clientWidth || 900, 1100) - 16),
            height: 280,
            legend: { show: false },
            scales: { x: { time: true } },
            series: [{}, ...outcomes.map((o) => ({ label: o, stroke: colourOf(o), width: 2 }))],
            axes: [{}, { label: 'requests', size: 60 }],
          },
          [buckets.map((at) => at / 1000), ...values],
          plot,
        );
        // The totals come from the chart's own data arrays.
        const data = chart.data;
        const rows = outcomes.map((o, i) => {
          const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
          swatch.style.backgroundColor = colourOf(o);
          let total = 0;
          for (const v of data[i + 1] ?? []) total += v ?? 0;
          return [
            h('span', {}, swatch, ' ', o),
            h('span', { class: 'total', 'data-outcome': o }, String(total)),
          ];
        });
        figure.append(table('Requests in this range by outcome', ['Outcome', 'Requests'], rows));
        figure.dataset.state = 'ready';
        return figure;
      },
    );
  };

  /** The busiest keys and routes of the same range (admin-api's usage/top). */
  const drawTopLists = (start: number, end: number) => {
    if (!options.withTopLists) return;
    const base = `/v1/accounts/${encodeURIComponent(accountId)}/usage/top?from=${start}&to=${end}&limit=10`;
    const keys = h('div', {});
    const routes = h('div', {});
    topLists.replaceChildren(keys, routes);
    const render = (by: 'key' | 'route', box: HTMLElement, title: string) =>
      loadInto(
        box,
        `the top ${by}s`,
        () => api<{ items: TopItem[] }>('GET', `${base}&by=${by}`),
        ({ items }) =>
          items.length === 0
            ? [h('h3', {}, title), empty(`No ${by}s with requests in this range.`)]
            : table(
                title,
                [by === 'key' ? 'Key' : 'Route', 'Requests', 'Allowed', 'Rejected', 'Last seen'],
                items.map((i) => [
                  h('code', {}, (by === 'key' ? i.keyId : i.route) ?? '—'),
                  String(i.requests),
                  h('span', { class: 'top-allowed' }, String(i.allowedRequests)),
                  String(i.rejectedRequests),
                  when(i.lastSeenAt),
                ]),
              ),
      );
    void render('key', keys, 'Top keys');
    void render('route', routes, 'Top routes');
  };

  range.addEventListener('change', () => {
    custom.hidden = range.value !== 'custom';
    const preset = RANGES[range.value];
    if (preset) granularity.value = preset.granularity;
    if (range.value !== 'custom') draw();
  });
  granularity.addEventListener('change', () => range.value !== 'custom' && draw());
  controls.addEventListener('submit', (event) => {
    event.preventDefault();
    draw();
  });
  queueMicrotask(draw);
  return panel;
}
