import { api, messageOf } from '../api';
import { errorBox, field, h } from '../dom';
import type { SessionView } from '../types';

/** Sign-in with an admin token (or an OIDC token when the deployment accepts them). */
export function signInPage(options: {
  notice: string | null;
  onSignedIn: (session: SessionView) => void;
}): HTMLElement {
  const token = h('input', {
    type: 'password',
    name: 'token',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'sign-in' },
    field(
      'Admin token',
      token,
      'tgadm_live_… (or an OIDC token where sign-in with your identity provider is set up)',
    ),
    errors,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    errors.replaceChildren();
    api<SessionView>('POST', '/console/session', { token: token.value.trim() }).then(
      (session) => {
        token.value = '';
        options.onSignedIn(session);
      },
      (err: unknown) => {
        submit.disabled = false;
        errors.replaceChildren(errorBox(messageOf(err)));
        token.focus();
      },
    );
  });
  queueMicrotask(() => token.focus());
  return h(
    'main',
    { id: 'main', class: 'sign-in-page' },
    h('h1', {}, 'Sign in to the Tollgate console'),
    options.notice ? h('p', { class: 'notice', role: 'status' }, options.notice) : null,
    form,
    h(
      'p',
      { class: 'hint' },
      'The token is exchanged for a session cookie and not kept in this page. Sessions end after a while without use.',
    ),
  );
}
