// Copying a byte range between open files: in the kernel with copy_file_range(2) through dusk's small native addon
// (native/fastcopy, built by `npm ci`), else through a reused buffer in JavaScript. Merges use it for tensors they
// carry unchanged, which is what lets an up-scale run at the speed of `cp`.
import { existsSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

interface FastCopyAddon {
  copyRange(inFd: number, inOffset: number, outFd: number, outOffset: number, length: number): Promise<number>;
}

let addon: FastCopyAddon | null | undefined;

function loadAddon(): FastCopyAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.DUSK_NO_FASTCOPY === "1") return addon;
  // src/common and dist/common both sit two levels below the package root.
  const path = fileURLToPath(new URL("../../native/fastcopy/build/Release/dusk_fastcopy.node", import.meta.url));
  if (existsSync(path)) {
    try {
      addon = createRequire(import.meta.url)(path) as FastCopyAddon;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** True when copies run in the kernel (the native addon is built and loads). */
export function fastCopyAvailable(): boolean {
  return loadAddon() !== null;
}

/** Options of {@link copyFileRange}. */
export interface CopyFileRangeOptions {
  readonly from: FileHandle;
  readonly fromOffset: number;
  readonly to: FileHandle;
  readonly toOffset: number;
  readonly length: number;
}

/** Copies `length` bytes from `from` at `fromOffset` to `to` at `toOffset`; rejects with the system error (ENOSPC …). */
export async function copyFileRange({ from, fromOffset, to, toOffset, length }: CopyFileRangeOptions): Promise<void> {
  const native = loadAddon();
  if (native) {
    await native.copyRange(from.fd, fromOffset, to.fd, toOffset, length);
    return;
  }
  const buffer = Buffer.allocUnsafe(Math.min(length, 8 << 20));
  for (let done = 0; done < length; ) {
    const { bytesRead } = await from.read(buffer, 0, Math.min(buffer.length, length - done), fromOffset + done);
    if (bytesRead === 0) throw Object.assign(new Error(`the source ended ${length - done} bytes early`), { code: "EIO" });
    let written = 0;
    while (written < bytesRead) written += (await to.write(buffer, written, bytesRead - written, toOffset + done + written)).bytesWritten;
    done += bytesRead;
  }
}
