// Human-readable numbers: byte sizes ("4.5 GB", parsed from "4G"), parameter counts ("10.7B") and durations.
import { InvalidArgumentError } from "./errors.js";

/** Formats a byte count with binary-free SI-style units as tools in this field print them (1 GB = 1e9 bytes). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}

/** Parses "4G", "500M", "2.5GB", "1024" (bytes) into a byte count. K/M/G/T are powers of 1000 as in llama.cpp's gguf-split. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?[bB])?\s*$/.exec(text);
  if (!match) {
    throw new InvalidArgumentError(`expected a size such as 4G, 500M or 1048576 but got "${text}"`);
  }
  const factor = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[(match[2] ?? "").toLowerCase()] ?? 1;
  const binary = match[3]?.startsWith("i") ? { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(match[2] ?? "").toLowerCase()] ?? 1 : factor;
  const bytes = Math.floor(Number(match[1]) * binary);
  if (bytes <= 0) throw new InvalidArgumentError(`expected a positive size but got "${text}"`);
  return bytes;
}

/** Formats a parameter count as model cards do: 10.7B, 248M, 1.2K. */
export function formatParameterCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(count >= 1e11 ? 0 : 1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(count >= 1e8 ? 0 : 1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return String(count);
}

/** Formats seconds as 1h02m, 3m05s or 4.2s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  return `${seconds.toFixed(1)}s`;
}
