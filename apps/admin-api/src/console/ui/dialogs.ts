import { messageOf } from './api';
import { errorBox, h, uid } from './dom';

function openDialog(dialog: HTMLDialogElement): void {
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
}

/**
 * Shows a secret once: the plaintext sits in this dialog only, and closing it removes the dialog
 * from the page, so it cannot be seen again (it is not stored anywhere either).
 */
export function showSecretOnce(title: string, what: string, plaintext: string): HTMLDialogElement {
  const titleId = uid('dialog-title');
  const secretId = uid('secret');
  const status = h('p', { role: 'status', class: 'copy-status' });
  const secret = h('input', {
    id: secretId,
    class: 'secret',
    readonly: true,
    value: plaintext,
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const dialog = h(
    'dialog',
    { 'aria-labelledby': titleId, class: 'secret-dialog' },
    h('h2', { id: titleId }, title),
    h(
      'p',
      { class: 'warning' },
      `Copy this ${what} now. It is shown once: Tollgate stores only a hash, so nobody can show it again. If it is lost, issue a new one.`,
    ),
    h('label', { for: secretId }, `The ${what}`),
    secret,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            secret.select();
            navigator.clipboard.writeText(plaintext).then(
              () => (status.textContent = 'Copied to the clipboard.'),
              () =>
                (status.textContent =
                  'Copying is blocked here: the text is selected, copy it with your keyboard.'),
            );
          },
        },
        'Copy',
      ),
      h(
        'button',
        { type: 'button', class: 'primary', onclick: () => dialog.close() },
        'I have copied it, close',
      ),
    ),
    status,
  );
  openDialog(dialog);
  secret.focus();
  secret.select();
  return dialog;
}

/**
 * A dialog with a form: submitting runs `action`; a refusal shows the server's detail in the
 * dialog and keeps it open, success closes it.
 */
export function formDialog(options: {
  title: string;
  fields: HTMLElement[];
  submitLabel: string;
  danger?: boolean;
  action: (form: HTMLFormElement) => Promise<void>;
}): HTMLDialogElement {
  const titleId = uid('dialog-title');
  const errors = h('div', { class: 'dialog-errors' });
  const submit = h(
    'button',
    { type: 'submit', class: options.danger ? 'danger' : 'primary' },
    options.submitLabel,
  );
  const form = h(
    'form',
    {},
    ...options.fields,
    errors,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      submit,
    ),
  );
  const dialog = h(
    'dialog',
    { 'aria-labelledby': titleId },
    h('h2', { id: titleId }, options.title),
    form,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    errors.replaceChildren();
    options.action(form).then(
      () => dialog.close(),
      (err: unknown) => {
        submit.disabled = false;
        errors.replaceChildren(errorBox(messageOf(err)));
      },
    );
  });
  openDialog(dialog);
  return dialog;
}

/** The trimmed value of a named control in a form. */
export function valueOf(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === 'string' ? value.trim() : '';
}
