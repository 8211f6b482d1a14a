// The end of scripts/test-all.sh's summary: the slowest test files over every stage, from the
// stats files the stages wrote (mochaRun.ts records each file's wall time, hooks included), so
// where the run's time goes is visible in every CI log.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MochaStats } from './mochaRun';

export interface SlowFile {
  stage: string;
  file: string;
  ms: number;
}

/** The `count` slowest files of all stages, slowest first. */
export function slowestFiles(stages: readonly MochaStats[], count: number): SlowFile[] {
  const all: SlowFile[] = [];
  for (const s of stages) for (const f of s.fileDurations ?? []) all.push({ stage: s.name, file: f.file, ms: f.ms });
  return all.sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file)).slice(0, count);
}

/** "  123.4 s  integration  test/…" lines under a heading; a note when no stage recorded files. */
export function formatSlowest(files: readonly SlowFile[]): string {
  if (files.length === 0) return 'slowest test files: none recorded\n';
  const stageWidth = Math.max(...files.map((f) => f.stage.length));
  const lines = files.map((f) => `${(f.ms / 1000).toFixed(1).padStart(7)} s  ${f.stage.padEnd(stageWidth)}  ${f.file}`);
  return `slowest ${files.length} test file(s), hooks included:\n${lines.join('\n')}\n`;
}

/** Reads every *.json stats file in `dir` (unreadable ones are named on stderr and skipped). */
export function readStats(dir: string): MochaStats[] {
  const out: MochaStats[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
      out.push(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as MochaStats);
    } catch (e) {
      process.stderr.write(`[summary] ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return out;
}
