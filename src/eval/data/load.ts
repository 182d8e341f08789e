// Loading a task's docs: resolves its dataset's files, reads each split once per run (the 57 MMLU subjects share
// one read), numbers rows by their 0-based index in the split (within the subject for MMLU), and parses rows lazily.
import { basename, dirname } from "node:path";
import { DatasetNotFoundError } from "../errors.js";
import { MMLU_SUBJECTS } from "../tasks/mmlu.js";
import type { DatasetFolder, Profile, SplitName, TaskDefinition } from "../tasks/types.js";
import { readRows, type SourceRow } from "./readers.js";
import type { DatasetResolver } from "./resolver.js";

/** A raw row of a split with its doc id. */
export interface LoadedRow extends SourceRow {
  docId: number;
  /** MMLU subject of the row. */
  subject?: string;
}

/** A parsed eval doc and its id (row index in its split file; within the subject for MMLU). */
export interface IdentifiedDoc<D> {
  docId: number;
  doc: D;
}

/** The few-shot pool: its size, and a parsed doc by index (parsed on first use, then kept). */
export interface FewshotPool<D> {
  size: number;
  get(index: number): D;
}

/** Everything a task needs from its data. */
export interface TaskData<D> {
  evalDocs: IdentifiedDoc<D>[];
  pool: FewshotPool<D> | undefined;
}

const SUBJECTS = new Set(MMLU_SUBJECTS);

/** The MMLU subject a file's path implies: <subject>_<split>.csv, or a <subject>/ folder. */
export function subjectOfPath(file: string): string | undefined {
  const stem = basename(file).replace(/\.[^.]+$/, "");
  const fromName = stem.replace(/_(train|val|validation|test|dev|auxiliary_train)$/i, "");
  if (SUBJECTS.has(fromName)) return fromName;
  const parent = basename(dirname(file));
  return SUBJECTS.has(parent) ? parent : undefined;
}

/** Reads datasets through a resolver and keeps each split's rows for the rest of the run. */
export class DatasetLoader {
  private readonly cache = new Map<string, Promise<LoadedRow[]>>();

  constructor(private readonly resolver: DatasetResolver) {}

  /** The folder a task reads under a profile: llama.cpp's HellaSwag text first when scoring as llama.cpp. */
  private async folderFor(task: TaskDefinition, profile: Profile): Promise<DatasetFolder> {
    if (task.family !== "hellaswag" || profile.tokenization !== "llamacpp") return task.dataset.folder;
    try {
      await this.rows(task, "hellaswag_llamacpp", task.evalSplit);
      return "hellaswag_llamacpp";
    } catch (error) {
      if (error instanceof DatasetNotFoundError) return task.dataset.folder;
      throw error;
    }
  }

  /** Rows of one split of a task's dataset, read once. */
  rows(task: TaskDefinition, folder: DatasetFolder, split: SplitName): Promise<LoadedRow[]> {
    const key = `${folder}\u0000${split}`;
    let rows = this.cache.get(key);
    if (!rows) {
      rows = this.readSplit(task, folder, split);
      this.cache.set(key, rows);
    }
    return rows;
  }

  private async readSplit(task: TaskDefinition, folder: DatasetFolder, split: SplitName): Promise<LoadedRow[]> {
    const files = await this.resolver.resolve({ dataset: task.dataset, folder, splits: [split], defaultSplit: task.evalSplit });
    const out: LoadedRow[] = [];
    const perSubject = new Map<string, number>();
    for (const file of files.splits[split] ?? []) {
      const pathSubject = folder === "mmlu" ? subjectOfPath(file) : undefined;
      for (const row of await readRows(file, { dataset: folder, subject: pathSubject })) {
        if (folder !== "mmlu") {
          out.push({ ...row, docId: out.length });
          continue;
        }
        const rowSubject = (row.row as { subject?: unknown } | null)?.subject;
        const subject = typeof rowSubject === "string" && rowSubject !== "" ? rowSubject : pathSubject;
        if (subject === undefined) continue;
        const docId = perSubject.get(subject) ?? 0;
        perSubject.set(subject, docId + 1);
        out.push({ ...row, docId, subject });
      }
    }
    return out;
  }

  /** The eval docs (parsed) and the few-shot pool of a task. */
  async load<D>(task: TaskDefinition<D>, profile: Profile, shots: number): Promise<TaskData<D>> {
    const folder = await this.folderFor(task, profile);
    const pick = (rows: LoadedRow[]): LoadedRow[] => (task.subject === undefined ? rows : rows.filter((r) => r.subject === task.subject));
    const evalRows = pick(await this.rows(task, folder, task.evalSplit));
    if (evalRows.length === 0) {
      throw new DatasetNotFoundError(`expected ${task.name} rows in the ${task.evalSplit} split of ${folder}/ but found none`);
    }
    const evalDocs = evalRows.map((r) => ({ docId: r.docId, doc: task.parseRow(r.row, r.where) }));
    if (shots === 0 || task.fewshot === undefined) return { evalDocs, pool: undefined };
    const poolRows = pick(await this.rows(task, folder, task.fewshot.split));
    const parsed = new Map<number, D>();
    const pool: FewshotPool<D> = {
      size: poolRows.length,
      get(index) {
        let doc = parsed.get(index);
        if (doc === undefined) {
          const row = poolRows[index];
          if (!row) throw new RangeError(`few-shot index ${index} outside the pool of ${poolRows.length}`);
          doc = task.parseRow(row.row, row.where);
          parsed.set(index, doc);
        }
        return doc;
      },
    };
    return { evalDocs, pool };
  }
}
