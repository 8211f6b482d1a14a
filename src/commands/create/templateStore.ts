// The user's VM templates: one `<slug>.vmtemplate.yaml` file per template in one folder (see
// src/forms/vmTemplates.ts for why files). No vscode import: the folder is passed in, so the unit
// tests use a temporary one.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTemplate, stringifyTemplate, templateFileName, TEMPLATE_FILE_SUFFIX, TemplateError, type VmTemplate } from '../../forms/vmTemplates';

export interface StoredTemplate {
  readonly file: string;
  readonly template: VmTemplate;
}

export interface BrokenTemplate {
  readonly file: string;
  readonly error: string;
}

export class TemplateStore {
  constructor(readonly folder: string) {}

  /** The folder's templates by name, and the files that are not valid templates (with why). */
  list(): { templates: StoredTemplate[]; broken: BrokenTemplate[] } {
    let names: string[];
    try {
      names = fs.readdirSync(this.folder).filter((n) => n.endsWith(TEMPLATE_FILE_SUFFIX));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { templates: [], broken: [] };
      throw e;
    }
    const templates: StoredTemplate[] = [];
    const broken: BrokenTemplate[] = [];
    for (const n of names.sort()) {
      const file = path.join(this.folder, n);
      try {
        templates.push({ file, template: parseTemplate(fs.readFileSync(file, 'utf8')) });
      } catch (e) {
        broken.push({ file, error: e instanceof Error ? e.message : String(e) });
      }
    }
    templates.sort((a, b) => a.template.name.localeCompare(b.template.name));
    return { templates, broken };
  }

  /** The file a template of this name is (or would be) kept in. */
  fileFor(name: string): string {
    return path.join(this.folder, templateFileName(name));
  }

  /**
   * Writes a template to its file; refuses to replace another file unless `replace` (the caller
   * asked the user). The text is written to a temporary file first and renamed, so a failed write
   * leaves the old template as it was.
   */
  save(t: VmTemplate, opts: { readonly replace?: boolean } = {}): string {
    const text = stringifyTemplate(t);
    const file = this.fileFor(t.name);
    if (!opts.replace && fs.existsSync(file)) throw new TemplateExistsError(t.name, file);
    fs.mkdirSync(this.folder, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { encoding: 'utf8', mode: 0o644 });
    fs.renameSync(tmp, file);
    return file;
  }

  /** Reads a template file from anywhere (Import); throws TemplateError with its line. */
  static read(file: string): VmTemplate {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new TemplateError(`Cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      return parseTemplate(text);
    } catch (e) {
      if (TemplateError.is(e)) throw new TemplateError(`${path.basename(file)}: ${e.message}`);
      throw e;
    }
  }

  /** Deletes exactly this template file (it must be in the folder). */
  delete(file: string): void {
    if (path.dirname(path.resolve(file)) !== path.resolve(this.folder) || !file.endsWith(TEMPLATE_FILE_SUFFIX)) throw new Error(`${file} is not a template of ${this.folder}`);
    fs.unlinkSync(file);
  }
}

export class TemplateExistsError extends Error {
  constructor(
    readonly templateName: string,
    readonly file: string,
  ) {
    super(`A template named "${templateName}" already exists (${file})`);
    this.name = 'TemplateExistsError';
  }

  static is(e: unknown): e is TemplateExistsError {
    return e instanceof TemplateExistsError;
  }
}

/** The OpenSSH public keys in a directory's *.pub files (~/.ssh), one entry per key line. */
export function publicKeysIn(dir: string): { file: string; key: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.pub')).sort();
  } catch {
    return [];
  }
  const out: { file: string; key: string }[] = [];
  for (const n of names) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, n), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').map((l) => l.trim())) {
      if (/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9-]+@openssh\.com) [A-Za-z0-9+/=]+/.test(line)) out.push({ file: n, key: line });
    }
  }
  return out;
}
