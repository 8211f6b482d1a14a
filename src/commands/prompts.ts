// The questions VM commands ask the user (confirmations, picks, input boxes) go through this one
// seam. In normal use it shows VS Code's modal dialogs and quick picks. Modal dialogs cannot be
// answered from inside the extension host, so the extension-host tests install a responder
// (PromptSeam.setResponder, reachable through the extension's test API) that answers in their
// place; every question is also recorded in `history` so a test can assert what was asked.

import * as vscode from 'vscode';

export interface PickItem<T> extends vscode.QuickPickItem {
  readonly value: T;
}

export interface ConfirmRequest {
  readonly message: string;
  readonly detail: string;
  /** The verb on the confirming button, e.g. "Force Off", "Delete". */
  readonly button: string;
}

/** A modal question with several confirming buttons (and Cancel). */
export interface ChoiceRequest {
  readonly message: string;
  readonly detail: string;
  /** The buttons, the usual choice first. */
  readonly buttons: readonly string[];
}

export interface PickRequest<T> {
  readonly title: string;
  readonly placeHolder?: string;
  readonly items: readonly PickItem<T>[];
  /**
   * Free entry (pickMany only): the item for a typed value that matches no item, or why the value
   * is refused. In the quick pick, Enter on a typed value adds it (checked) and keeps the pick open;
   * Enter on an empty box accepts.
   */
  readonly create?: (typed: string) => PickItem<T> | string;
}

export interface InputRequest {
  readonly title: string;
  readonly prompt?: string;
  readonly value?: string;
  /** Hides the typed text (and keeps the box open when focus moves away); a secret value is never recorded or logged. */
  readonly password?: boolean;
  /** Returns an error message for an unacceptable value. */
  readonly validate?: (value: string) => string | undefined | Promise<string | undefined>;
  /** For an acceptable value: words shown under the box while typing (e.g. a cron time read back as "every day at 03:00"). */
  readonly describe?: (value: string) => string | undefined;
}

export interface Prompts {
  /** Modal confirmation; true only when the user pressed the named button. */
  confirm(req: ConfirmRequest): Promise<boolean>;
  /** Modal question; the pressed button, or undefined for Cancel. */
  choose(req: ChoiceRequest): Promise<string | undefined>;
  pickOne<T>(req: PickRequest<T>): Promise<PickItem<T> | undefined>;
  /** Items with `picked: true` start selected. */
  pickMany<T>(req: PickRequest<T>): Promise<readonly PickItem<T>[] | undefined>;
  input(req: InputRequest): Promise<string | undefined>;
}

/** Test answers; a missing method falls back to the real UI. */
export interface PromptResponder {
  confirm?(req: ConfirmRequest): boolean | Promise<boolean>;
  choose?(req: ChoiceRequest): string | undefined | Promise<string | undefined>;
  pickOne?(req: PickRequest<unknown>): PickItem<unknown> | undefined | Promise<PickItem<unknown> | undefined>;
  pickMany?(req: PickRequest<unknown>): readonly PickItem<unknown>[] | undefined | Promise<readonly PickItem<unknown>[] | undefined>;
  input?(req: InputRequest): string | undefined | Promise<string | undefined>;
}

export type PromptRecord =
  | { readonly kind: 'confirm'; readonly req: ConfirmRequest }
  | { readonly kind: 'choose'; readonly req: ChoiceRequest }
  | { readonly kind: 'pickOne' | 'pickMany'; readonly req: PickRequest<unknown> }
  | { readonly kind: 'input'; readonly req: InputRequest };

/** A value typed into an input box that its own validation rejects (only reachable via a responder). */
export class InvalidInputError extends Error {
  constructor(readonly value: string, readonly reason: string) {
    super(`"${value}" is not accepted: ${reason}`);
    this.name = 'InvalidInputError';
  }

  static is(e: unknown): e is InvalidInputError {
    return e instanceof InvalidInputError;
  }
}

export const vscodePrompts: Prompts = {
  async confirm(req) {
    const choice = await vscode.window.showWarningMessage(req.message, { modal: true, detail: req.detail }, req.button);
    return choice === req.button;
  },
  async choose(req) {
    return vscode.window.showWarningMessage(req.message, { modal: true, detail: req.detail }, ...req.buttons);
  },
  async pickOne<T>(req: PickRequest<T>) {
    return vscode.window.showQuickPick([...req.items], { title: req.title, placeHolder: req.placeHolder, matchOnDescription: true });
  },
  async pickMany<T>(req: PickRequest<T>) {
    if (req.create) return pickManyWithEntry(req, req.create);
    return vscode.window.showQuickPick([...req.items], {
      title: req.title,
      placeHolder: req.placeHolder,
      canPickMany: true,
      matchOnDescription: true,
    });
  },
  async input(req) {
    return vscode.window.showInputBox({
      title: req.title,
      prompt: req.prompt,
      value: req.value,
      valueSelection: req.value !== undefined ? [0, req.value.length] : undefined,
      validateInput: req.describe === undefined ? req.validate : async (v) => {
        const problem = await req.validate?.(v);
        if (problem !== undefined) return problem;
        const words = req.describe?.(v);
        return words === undefined ? undefined : { message: words, severity: vscode.InputBoxValidationSeverity.Info };
      },
      password: req.password,
      ignoreFocusOut: req.password,
    });
  },
};

/** A multi-select quick pick that also takes typed values (see PickRequest.create). */
function pickManyWithEntry<T>(req: PickRequest<T>, create: (typed: string) => PickItem<T> | string): Promise<readonly PickItem<T>[] | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem>();
    qp.title = req.title;
    qp.placeholder = req.placeHolder;
    qp.canSelectMany = true;
    qp.matchOnDescription = true;
    const items: PickItem<T>[] = [...req.items];
    /** The "Add …" row for the typed value, or a row saying why it is refused. */
    let typed: { row: vscode.QuickPickItem; item: PickItem<T> | undefined } | undefined;
    const matching = (v: string): PickItem<T> | undefined => items.find((i) => i.label.toLowerCase() === v.trim().toLowerCase());
    const show = (selected: readonly vscode.QuickPickItem[]): void => {
      qp.items = typed ? [typed.row, ...items] : items;
      qp.selectedItems = selected.filter((s) => s !== typed?.row && items.includes(s as PickItem<T>));
    };
    show(items.filter((i) => i.picked));
    let done = false;
    const finish = (result: readonly PickItem<T>[] | undefined): void => {
      if (done) return;
      done = true;
      resolve(result);
      qp.dispose();
    };
    qp.onDidChangeValue((v) => {
      const selected = qp.selectedItems;
      typed = undefined;
      if (v.trim() !== '' && !matching(v)) {
        const r = create(v);
        // A refused value gets a row saying why (QuickPick has no validation message); it adds nothing.
        typed =
          typeof r === 'string'
            ? { row: { label: `$(error) ${r}`, description: 'not added', alwaysShow: true }, item: undefined }
            : { row: { label: `$(add) Add "${r.label}"`, description: 'press Enter to add it', alwaysShow: true }, item: r };
      }
      show(selected);
    });
    qp.onDidAccept(() => {
      const v = qp.value;
      const selected = qp.selectedItems;
      if (v.trim() === '') {
        finish(selected.filter((s): s is PickItem<T> => items.includes(s as PickItem<T>)));
        return;
      }
      const existing = matching(v);
      const add = existing ?? typed?.item;
      if (!add) return; // refused: its row says why
      if (!existing) items.unshift(add);
      typed = undefined;
      qp.value = '';
      show([...selected, add]);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}

/** Narrows a responder's answer back to the items that were offered (so T stays sound). */
function offered<T>(req: PickRequest<T>, answer: PickItem<unknown>): PickItem<T> {
  const item = req.items.find((i) => i === answer || (i.label === answer.label && i.description === answer.description));
  if (item) return item;
  // A typed value (free entry): made by the request's own create(), which may refuse it.
  if (req.create) {
    const made = req.create(answer.label);
    if (typeof made === 'string') throw new InvalidInputError(answer.label, made);
    return made;
  }
  throw new Error(`The test responder picked "${answer.label}", which was not offered`);
}

export class PromptSeam implements Prompts {
  private responder: PromptResponder | undefined;
  readonly history: PromptRecord[] = [];

  constructor(private readonly ui: Prompts = vscodePrompts) {}

  /** Installs (or with undefined removes) the test responder and clears the history. */
  setResponder(responder: PromptResponder | undefined): void {
    this.responder = responder;
    this.history.length = 0;
  }

  async confirm(req: ConfirmRequest): Promise<boolean> {
    this.history.push({ kind: 'confirm', req });
    const r = this.responder;
    return r?.confirm ? r.confirm(req) : this.ui.confirm(req);
  }

  async choose(req: ChoiceRequest): Promise<string | undefined> {
    this.history.push({ kind: 'choose', req });
    const r = this.responder;
    if (!r?.choose) return this.ui.choose(req);
    const answer = await r.choose(req);
    if (answer !== undefined && !req.buttons.includes(answer)) throw new Error(`The test responder pressed "${answer}", which was not offered`);
    return answer;
  }

  async pickOne<T>(req: PickRequest<T>): Promise<PickItem<T> | undefined> {
    this.history.push({ kind: 'pickOne', req });
    const r = this.responder;
    if (!r?.pickOne) return this.ui.pickOne(req);
    const answer = await r.pickOne(req);
    return answer === undefined ? undefined : offered(req, answer);
  }

  async pickMany<T>(req: PickRequest<T>): Promise<readonly PickItem<T>[] | undefined> {
    this.history.push({ kind: 'pickMany', req });
    const r = this.responder;
    if (!r?.pickMany) return this.ui.pickMany(req);
    const answer = await r.pickMany(req);
    return answer === undefined ? undefined : answer.map((a) => offered(req, a));
  }

  async input(req: InputRequest): Promise<string | undefined> {
    this.history.push({ kind: 'input', req });
    const r = this.responder;
    if (!r?.input) return this.ui.input(req);
    const answer = await r.input(req);
    if (answer !== undefined && req.validate) {
      const problem = await req.validate(answer);
      // A masked answer (a secret's value) never goes into the error, which is logged.
      if (problem !== undefined) throw new InvalidInputError(req.password ? '(hidden)' : answer, problem);
    }
    return answer;
  }
}
