// What each message of the New VM wizard does (vscode-free, so the extension-host tests drive it
// through the same path as the webview): values and suggestions, OS detection when an ISO is
// chosen or an install tree's URL entered, an ISO or disk image of this computer uploaded into a pool, the
// checks of every step, and Create (all or nothing, through forms/createVm.ts; a network install
// fetches the installer's kernel and initrd first).

import * as path from 'node:path';
import { CreateVmError, createVm, type CreateVmApi, type CreatedVm } from '../../forms/createVm';
import type { FieldProblem, FormValue } from '../../forms/formSchema';
import { detectVolumeOs, type FactsApi } from '../../forms/newVmFacts';
import { follow, freeName, initialValues, suggest, toRequest, wizardProblems, wizardSteps, type NewVmFacts } from '../../forms/newVmModel';
import { TEMPLATE_FIELDS, templateValues, withoutSecrets, type VmTemplate } from '../../forms/vmTemplates';
import { fetchInstallerBoot, probeInstallTree, type InstallTree } from '../../libvirt/installTree';
import { detectFromIso } from '../../libvirt/osinfoMedia';
import { DiskImageError, probeDiskImageFile, type DiskImageInfo } from '../../libvirt/resources/diskImage';
import { checkHostIso, freeVolumeName, isoIdentifiersOfFile, uploadDiskImage, uploadMediaVolume, VolumeExistsError, type DiskImageUploadApi, type HostIsoApi } from '../../libvirt/resources/installMedia';
import type { TransferProgress } from '../../libvirt/resources/transfer';
import type { CreateResult, FromWebview, ToWebview, WizardState } from './protocol';

export interface WizardCallbacks {
  /**
   * The VM exists (and runs, if asked): open its console or details, close the wizard. With
   * `customize`, it is defined but not started: open its details with Begin Installation.
   */
  created(vm: CreatedVm, name: string, opts: { readonly customize: boolean }): void | Promise<void>;
  cancel(): void;
  /** An ISO or disk image file of this computer (a file dialog); undefined when the user closed it. */
  pickLocalFile(kind: LocalFileKind): Promise<string | undefined>;
  /** Public keys of this computer's ~/.ssh/*.pub the user picks (none when there are none or the pick is closed). */
  pickSshKeys?(): Promise<readonly string[]>;
  /** The pool already has a volume of the file's name: use that volume, upload under `alternative`, or neither. */
  askExistingVolume(pool: string, volume: string, alternative: string, kind: LocalFileKind): Promise<'use' | 'rename' | undefined>;
  /**
   * Save as Template…: the wizard's answers (no name, no password) and hardware; the callback asks
   * for the template's name and writes it. Returns what to tell the user, or undefined when cancelled.
   */
  saveTemplate?(answers: Pick<VmTemplate, 'values' | 'devices'> & { readonly suggestedName: string; readonly notes: readonly string[] }): Promise<string | undefined>;
  log: { warn(msg: string): void; error(msg: string): void; info(msg: string): void };
}

/** A file of this computer the wizard uploads: install media, or the disk image to import. */
export type LocalFileKind = 'iso' | 'disk';

/** The field a local file's volume becomes the value of, and how messages name it. */
const LOCAL_FILE: Readonly<Record<LocalFileKind, { readonly field: string; readonly what: string }>> = {
  iso: { field: 'media', what: 'the ISO' },
  disk: { field: 'importVolume', what: 'the disk image' },
};

interface IsoCheck {
  readonly path: string;
  started: boolean;
  readonly done: Promise<void>;
  readonly release: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

const pct = (p: TransferProgress): string => (p.total > 0 ? `${Math.min(100, Math.floor((p.bytes / p.total) * 100))}%` : `${(p.bytes / 1024 / 1024).toFixed(1)} MiB`);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class WizardController {
  private facts: NewVmFacts;
  private values: Record<string, FormValue>;
  private readonly touched = new Set<string>();
  private step = 'method';
  private busy: string | undefined;
  private detected: string | undefined;
  private disconnected: string | undefined;
  /** Aborts the busy work (an upload or a download) when Cancel is pressed or the tab closes. */
  private abort: AbortController | undefined;
  /** The install tree the URL field names, once probed; or why it is not one. */
  private tree: InstallTree | undefined;
  private treeProblem: string | undefined;
  private probe: { url: string; ac: AbortController; done: Promise<void>; timer?: ReturnType<typeof setTimeout> } | undefined;
  /** The ISO path on the host being checked (once typing pauses), and the last path's verdict. */
  private isoCheck: IsoCheck | undefined;
  private isoVerdict: { path: string; problem?: string } | undefined;
  /** The template the wizard was opened from, and what of it this host could not take. */
  private template: { readonly template: VmTemplate; readonly notes: readonly string[] } | undefined;

  constructor(
    private readonly conn: CreateVmApi & FactsApi & DiskImageUploadApi & HostIsoApi,
    facts: NewVmFacts,
    private readonly post: (m: ToWebview) => void,
    private readonly callbacks: WizardCallbacks,
    /** How long typing in the URL field must pause before the tree is probed (ms). */
    private readonly probeDelayMs = 600,
  ) {
    this.facts = facts;
    this.values = initialValues(facts);
  }

  state(): WizardState {
    const steps = wizardSteps(this.facts, this.values, this.detected);
    if (!steps.some((s) => s.id === this.step)) this.step = steps[0]!.id;
    return {
      steps,
      values: this.values,
      problems: this.problems(),
      step: this.step,
      busy: this.busy,
      cancellable: this.abort !== undefined,
      disconnected: this.disconnected,
      ...(this.template ? { template: { name: this.template.template.name, notes: this.template.notes } } : {}),
      canSaveTemplate: this.callbacks.saveTemplate !== undefined,
    };
  }

  /**
   * Starts the wizard from a template: its answers over the wizard's initial values (those this
   * host cannot take are dropped, with a note), kept as the user's own choices (an OS detected
   * later does not replace them), and a free name from the template's name.
   */
  useTemplate(t: VmTemplate): void {
    const { values, answered, notes } = templateValues(this.facts, initialValues(this.facts), t);
    this.touched.clear();
    for (const k of answered) this.touched.add(k);
    this.values = values;
    this.values = { ...this.values, ...suggest(this.facts, this.values, this.touched), name: freeName(this.facts, t.name.toLowerCase()) };
    // The name comes from the template, not from an OS detected later.
    this.touched.add('name');
    this.template = { template: t, notes };
    this.send();
  }

  private problems(): FieldProblem[] {
    const out = wizardProblems(this.facts, this.values);
    if (this.values['method'] === 'url' && this.treeProblem && !out.some((p) => p.field === 'url')) out.push({ section: 'method', field: 'url', severity: 'error', message: this.treeProblem });
    const isoPath = this.hostIsoPath();
    if (isoPath !== undefined && this.isoVerdict?.path === isoPath && this.isoVerdict.problem && !out.some((p) => p.field === 'isoPath')) out.push({ section: 'method', field: 'isoPath', severity: 'error', message: this.isoVerdict.problem });
    return out;
  }

  /** Resolves when the URL field's install tree has been probed (the tests wait on it). */
  async settled(): Promise<void> {
    while (this.probe || this.isoCheck) await (this.probe ?? this.isoCheck)!.done;
  }

  /** The ISO path on the host the values name (method ISO, media "a path on the host"), else undefined. */
  private hostIsoPath(): string | undefined {
    const p = typeof this.values['isoPath'] === 'string' ? this.values['isoPath'].trim() : '';
    return this.values['method'] === 'iso' && this.values['media'] === 'path' && p !== '' ? p : undefined;
  }

  /**
   * Checks the ISO path on the host once typing pauses (checkHostIso: through the storage API;
   * the file exists and is an ISO 9660 image), and recognises its OS. A newer path replaces an
   * older check; Create waits for the last one.
   */
  private scheduleIsoCheck(): void {
    const path = this.hostIsoPath();
    if (path === undefined || this.isoVerdict?.path === path || this.isoCheck?.path === path) return;
    const previous = this.isoCheck;
    // A check whose timer has not fired yet is dropped (settled); a running one is waited for.
    if (previous && !previous.started) {
      clearTimeout(previous.timer);
      previous.release();
    }
    let release: () => void = () => undefined;
    const done = new Promise<void>((r) => (release = r));
    const check: IsoCheck = { path, started: false, done, release: () => release() };
    this.isoCheck = check;
    check.timer = setTimeout(() => void this.runIsoCheck(check, previous), this.probeDelayMs);
    check.timer.unref?.();
  }

  private async runIsoCheck(check: IsoCheck, previous: IsoCheck | undefined): Promise<void> {
    check.started = true;
    await previous?.done;
    if (this.isoCheck !== check) return check.release();
    this.busy = `Checking ${check.path} on the host…`;
    this.send();
    try {
      const ids = await checkHostIso(this.conn, check.path);
      this.isoVerdict = { path: check.path };
      this.detectedOs(this.facts.install ? detectFromIso(this.facts.install.all, ids, 'x86_64')[0]?.os.id : undefined);
    } catch (e) {
      this.isoVerdict = { path: check.path, problem: message(e) };
    } finally {
      if (this.isoCheck === check) {
        this.isoCheck = undefined;
        this.busy = undefined;
        this.send();
      }
      check.release();
    }
  }

  /** The tab closed: stop any transfer (its partial volume is removed). */
  dispose(): void {
    this.abort?.abort();
    this.probe?.ac.abort();
    if (this.probe?.timer) clearTimeout(this.probe.timer);
    if (this.isoCheck?.timer) clearTimeout(this.isoCheck.timer);
    this.isoCheck?.release();
  }

  private send(): void {
    this.post({ type: 'state', state: this.state() });
  }

  setConnected(connected: boolean, reason?: string): void {
    this.disconnected = connected ? undefined : (reason ?? 'The connection is closed.');
    this.send();
  }

  async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.send();
        return;
      case 'step':
        this.step = m.step;
        this.send();
        return;
      case 'edit':
        await this.edit(m.field, m.value);
        return;
      case 'create': {
        const result = await this.create();
        this.post({ type: 'result', inReplyTo: m.requestId, result });
        return;
      }
      case 'action':
        if (m.field === 'media' && m.action === 'browseIso') await this.browseLocal('iso');
        if (m.field === 'importVolume' && m.action === 'uploadImage') await this.browseLocal('disk');
        if (m.field === 'ciKeys' && m.action === 'pickSshKeys') await this.addSshKeys();
        return;
      case 'saveTemplate':
        await this.saveTemplate();
        return;
      case 'cancel':
        // During an upload or a download, Cancel stops it; otherwise it closes the wizard.
        if (this.abort) this.abort.abort();
        else this.callbacks.cancel();
        return;
      case 'log':
        this.callbacks.log[m.level](`new VM webview: ${m.message}`);
        return;
    }
  }

  /** A value the user set; an ISO or OS choice brings the OS's suggestions for the untouched fields. */
  async edit(field: string, value: FormValue): Promise<void> {
    this.values = { ...this.values, [field]: value };
    this.touched.add(field);
    if (field === 'media' && typeof value === 'string' && value.includes('/')) {
      this.busy = 'Reading the ISO…';
      this.send();
      const i = value.indexOf('/');
      try {
        this.detected = await detectVolumeOs(this.conn, this.facts, value.slice(0, i), value.slice(i + 1));
      } catch (e) {
        this.detected = undefined;
        this.callbacks.log.warn(`Reading the ISO ${value} failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.busy = undefined;
      }
      if (this.detected && !this.touched.has('os')) this.values = { ...this.values, os: this.detected };
    }
    if (field === 'url' || (field === 'method' && value === 'url')) this.scheduleProbe();
    if (field === 'isoPath' || field === 'media' || field === 'method') this.scheduleIsoCheck();
    this.values = { ...this.values, ...follow(this.facts, this.values, field) };
    if (field === 'media' || field === 'os' || field === 'method') this.values = { ...this.values, ...suggest(this.facts, this.values, this.touched) };
    this.send();
  }

  /** The OS found in the media (an ISO's identifiers, an install tree) becomes the OS, unless the user chose one. */
  private detectedOs(os: string | undefined): void {
    this.detected = os;
    if (os && !this.touched.has('os')) this.values = { ...this.values, os };
    this.values = { ...this.values, ...suggest(this.facts, this.values, this.touched) };
  }

  /** Probes the URL's tree once typing pauses; a newer URL aborts an older probe. */
  private scheduleProbe(): void {
    const url = typeof this.values['url'] === 'string' ? this.values['url'].trim() : '';
    if (this.probe?.url === url) return;
    this.probe?.ac.abort();
    if (this.probe?.timer) clearTimeout(this.probe.timer);
    this.tree = undefined;
    this.treeProblem = undefined;
    if (url === '') {
      this.probe = undefined;
      return;
    }
    const ac = new AbortController();
    let release: () => void = () => undefined;
    const done = new Promise<void>((r) => (release = r));
    const probe: NonNullable<WizardController['probe']> = { url, ac, done };
    this.probe = probe;
    probe.timer = setTimeout(() => {
      this.busy = 'Reading the install tree…';
      this.send();
      probeInstallTree(url, this.facts.install?.all ?? [], 'x86_64', { signal: ac.signal, timeoutMs: 15_000 })
        .then(
          (tree) => {
            if (this.probe !== probe) return;
            this.tree = tree;
            this.detectedOs(tree.osId);
          },
          (e: unknown) => {
            if (this.probe !== probe) return;
            this.treeProblem = message(e);
          },
        )
        .finally(() => {
          if (this.probe === probe) {
            this.probe = undefined;
            this.busy = undefined;
            this.send();
          }
          release();
        });
    }, this.probeDelayMs);
    probe.timer.unref?.();
  }

  /**
   * Browse local ISO… (install media) and Upload disk image… (the import method): a file of this
   * computer is read first (an ISO's identifiers give the OS; a disk image's header its format,
   * and images that would open other host files are refused) before anything is sent; then it is
   * uploaded into the pool for uploads as a new volume (progress, Cancel; a volume of that name is
   * used or the upload renamed only when the user says so), and chosen.
   */
  async browseLocal(kind: LocalFileKind): Promise<void> {
    const { field, what } = LOCAL_FILE[kind];
    const pool = typeof this.values['mediaPool'] === 'string' ? this.values['mediaPool'] : '';
    if (!this.facts.pools.some((p) => p.name === pool && p.active)) {
      this.fail('Choose an active pool for the upload first (Pool for uploads).');
      return;
    }
    const file = await this.callbacks.pickLocalFile(kind);
    if (!file) return;
    let os: string | undefined;
    let image: DiskImageInfo | undefined;
    try {
      if (kind === 'iso') {
        const ids = await isoIdentifiersOfFile(file);
        if (!ids) {
          this.fail(`${path.basename(file)} is not an ISO 9660 image (no volume descriptor at 32 KiB): nothing was uploaded.`);
          return;
        }
        os = this.facts.install ? detectFromIso(this.facts.install.all, ids, 'x86_64')[0]?.os.id : undefined;
      } else {
        image = await probeDiskImageFile(file, path.basename(file));
      }
    } catch (e) {
      this.fail(DiskImageError.is(e) ? `${e.message} Nothing was uploaded.` : `Cannot read ${file}: ${message(e)}`);
      return;
    }
    let volume = path.basename(file);
    const taken = this.facts.volumes.filter((v) => v.pool === pool).map((v) => v.name);
    const ac = new AbortController();
    this.abort = ac;
    try {
      for (;;) {
        try {
          this.busy = `Uploading ${volume} to pool ${pool}…`;
          this.send();
          const progress = {
            signal: ac.signal,
            onProgress: (p: TransferProgress) => {
              this.busy = `Uploading ${volume} to pool ${pool}: ${pct(p)}`;
              this.send();
            },
          };
          const vol = image ? await uploadDiskImage(this.conn, pool, volume, file, image, progress) : await uploadMediaVolume(this.conn, pool, volume, file, progress);
          const capacity = image?.virtualSize ?? (await this.conn.storageVolGetInfo(vol)).capacity;
          this.facts = { ...this.facts, volumes: [...this.facts.volumes, { pool, name: vol.name, capacity, format: image?.format ?? 'raw' }] };
          break;
        } catch (e) {
          if (!VolumeExistsError.is(e)) throw e;
          const alternative = freeVolumeName(volume, [...taken, volume, ...(await this.poolVolumeNames(pool))]);
          const answer = await this.callbacks.askExistingVolume(pool, volume, alternative, kind);
          if (answer === undefined) return;
          if (answer === 'use') {
            // The volume chosen, not the file, is what the VM boots: an ISO's OS is read from it.
            if (kind === 'iso') os = await detectVolumeOs(this.conn, this.facts, pool, volume).catch(() => undefined);
            break;
          }
          volume = alternative;
        }
      }
      if (!this.facts.volumes.some((v) => v.pool === pool && v.name === volume)) this.facts = { ...this.facts, volumes: [...this.facts.volumes, { pool, name: volume, capacity: 0 }] };
      this.values = { ...this.values, [field]: `${pool}/${volume}` };
      this.touched.add(field);
      if (kind === 'iso') this.detectedOs(os);
      this.callbacks.log.info(`Uploaded ${file} to ${pool}/${volume}${os ? ` (${os})` : image ? ` (${image.format})` : ''}.`);
    } catch (e) {
      const partial = DiskImageError.is(e) ? 'nothing was uploaded' : 'the partial volume was removed';
      this.fail(ac.signal.aborted ? `The upload of ${volume} was cancelled; ${partial}.` : `The upload of ${what} ${volume} failed: ${message(e)} (${partial}).`);
    } finally {
      this.abort = undefined;
      this.busy = undefined;
      this.send();
    }
  }

  private async poolVolumeNames(pool: string): Promise<string[]> {
    return (await this.conn.storagePoolListAllVolumes(await this.conn.storagePoolLookupByName(pool), 0)).map((v) => v.name);
  }

  /** A failure of a step's own work, shown in the panel's status and logged. */
  private fail(text: string): void {
    this.callbacks.log.warn(text);
    this.post({ type: 'notice', level: 'error', message: text });
  }

  /** Add from ~/.ssh…: the public keys the user picks are added to the key list (each once). */
  async addSshKeys(): Promise<void> {
    const picked = (await this.callbacks.pickSshKeys?.()) ?? [];
    if (picked.length === 0) return;
    const have = String(this.values['ciKeys'] ?? '').split('\n').map((k) => k.trim()).filter((k) => k !== '');
    const keys = [...have, ...picked.map((k) => k.trim()).filter((k) => k !== '' && !have.includes(k))];
    await this.edit('ciKeys', keys.join('\n'));
  }

  /** Save as Template…: the answers a template may hold (never the password), and the template's hardware. */
  async saveTemplate(): Promise<void> {
    if (!this.callbacks.saveTemplate) return;
    const notes: string[] = [];
    const values: Record<string, FormValue> = {};
    for (const [k, v] of Object.entries(this.values)) {
      if (!(k in TEMPLATE_FIELDS) || v === undefined || v === '') continue;
      values[k] = v;
    }
    if (typeof values['ciUserData'] === 'string') {
      const { text, removed } = withoutSecrets(values['ciUserData']);
      values['ciUserData'] = text;
      for (const r of removed) notes.push(`Left out ${r}: templates hold no secrets.`);
    }
    if (typeof this.values['ciPassword'] === 'string' && this.values['ciPassword'] !== '') notes.push('Left out the password: templates hold no secrets.');
    try {
      const said = await this.callbacks.saveTemplate({ values, devices: this.template?.template.devices ?? [], suggestedName: this.template?.template.name ?? String(this.values['name'] ?? 'template'), notes });
      if (said) this.post({ type: 'notice', level: 'info', message: said });
    } catch (e) {
      this.fail(`Save as Template failed: ${message(e)}`);
    }
  }

  async create(): Promise<CreateResult> {
    if (this.disconnected) return { ok: false, message: this.disconnected };
    // The ISO path's check on the host is part of the step's checks: wait for it.
    await this.settled();
    const errors = this.problems().filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      this.step = errors[0]!.section;
      this.send();
      return { ok: false, message: `Fix ${errors.length === 1 ? 'the error' : `the ${errors.length} errors`} first: ${errors[0]!.message}` };
    }
    const name = String(this.values['name']);
    const customize = this.values['customize'] === true;
    let req = toRequest(this.facts, this.values, this.template ? { devices: this.template.template.devices, template: this.template.template.name } : undefined);
    const ac = new AbortController();
    try {
      if (this.values['method'] === 'url') {
        await this.settled();
        const tree = this.tree;
        if (!tree) throw new Error(this.treeProblem ?? 'The install tree has not been read');
        this.abort = ac;
        const boot = await fetchInstallerBoot(tree, {
          signal: ac.signal,
          onProgress: (what, p) => {
            this.busy = `Downloading the installer ${what}: ${pct(p)}`;
            this.send();
          },
        });
        this.abort = undefined;
        const cmdline = [tree.installArgs, typeof this.values['extraArgs'] === 'string' ? this.values['extraArgs'] : ''].map((x) => x.trim()).filter((x) => x !== '').join(' ');
        req = { ...req, installerBoot: { pool: String(this.values['mediaPool']), kernel: boot.kernel, initrd: boot.initrd, ...(cmdline ? { cmdline } : {}) } };
      }
      const vm = await createVm(this.conn, req, (step) => {
        this.busy = `${step}…`;
        this.send();
      });
      this.busy = undefined;
      this.send();
      if (vm.leftBehind) this.callbacks.log.warn(`New VM ${name}: could not remove ${vm.leftBehind.join(', ')} after the start.`);
      await this.callbacks.created(vm, name, { customize });
      return { ok: true, summary: customize ? `${name} was defined: customize it, then Begin Installation.` : vm.started ? `${name} was created and started.` : `${name} was created.` };
    } catch (e) {
      this.abort = undefined;
      this.busy = undefined;
      this.send();
      const text = ac.signal.aborted ? 'The download of the installer was cancelled; nothing was created.' : CreateVmError.is(e) ? e.message : message(e);
      this.callbacks.log.error(`New VM ${name}: ${text}`);
      return { ok: false, message: text };
    }
  }
}
