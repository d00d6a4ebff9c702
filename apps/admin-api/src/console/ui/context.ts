import { messageOf } from './api';
import { errorBox, h, loading, type Child } from './dom';
import type { SessionView } from './types';

/** What a page gets: the session, the permission check and where to draw. */
export interface PageContext {
  session: SessionView;
  /** Whether the role may call this `/v1` route (`METHOD /v1/pattern`); the server decides anyway. */
  can(route: string): boolean;
  main: HTMLElement;
  /** Draws the current page again (after a change). */
  refresh(): void;
}

/** Draws a page; `param` and `param2` are the ids in its path (`#/invoice/<account>/<invoice>`). */
export type PageRenderer = (ctx: PageContext, param?: string, param2?: string) => void;

/**
 * Fills `container` with a loading state, then what `render` builds from `load`'s answer, or the
 * server's problem detail when it refuses.
 */
export function loadInto<T>(
  container: HTMLElement,
  what: string,
  load: () => Promise<T>,
  render: (value: T) => Child | Child[],
): Promise<void> {
  container.setAttribute('aria-busy', 'true');
  container.replaceChildren(loading(what));
  return load().then(
    (value) => {
      const rendered = render(value);
      container.replaceChildren(
        ...(Array.isArray(rendered) ? rendered : [rendered]).filter(isNode),
      );
      container.removeAttribute('aria-busy');
    },
    (err: unknown) => {
      container.replaceChildren(errorBox(`Could not load ${what}: ${messageOf(err)}`));
      container.removeAttribute('aria-busy');
    },
  );
}

const isNode = (c: Child): c is Node | string =>
  c !== null && c !== undefined && c !== false && typeof c !== 'number';

export const pageHeading = (title: string, ...rest: Child[]) =>
  h('div', { class: 'page-heading' }, h('h1', {}, title), ...rest);
