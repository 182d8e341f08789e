// A first-fit free-list allocator over a linear address range (the WebAssembly backend's memory): blocks are
// 64-byte aligned, freed blocks merge with free neighbours, and the range grows at its top through a callback.

/** Alignment of every block, in bytes: a cache line, and a multiple of the 16 bytes SIMD loads prefer. */
export const BLOCK_ALIGN = 64;

interface FreeBlock {
  offset: number;
  size: number;
}

/** Hands out byte ranges of a growing linear memory. */
export class FreeListAllocator {
  private readonly freeBlocks: FreeBlock[] = [];
  private readonly used = new Map<number, number>();
  private top: number;
  private usedBytes = 0;
  private peak = 0;

  /**
   * @param base the first usable byte (rounded up to the alignment)
   * @param ensure called with the end of the range whenever the top grows, before the block is used
   */
  constructor(base: number, private readonly ensure: (end: number) => void) {
    this.top = align(base);
  }

  /** Reserves `bytes` bytes and returns their offset. */
  alloc(bytes: number): number {
    const size = Math.max(align(bytes), BLOCK_ALIGN);
    const index = this.freeBlocks.findIndex((block) => block.size >= size);
    let offset: number;
    if (index >= 0) {
      const block = this.freeBlocks[index] as FreeBlock;
      offset = block.offset;
      if (block.size === size) this.freeBlocks.splice(index, 1);
      else {
        block.offset += size;
        block.size -= size;
      }
    } else {
      offset = this.top;
      this.ensure(offset + size);
      this.top = offset + size;
    }
    this.used.set(offset, size);
    this.usedBytes += size;
    this.peak = Math.max(this.peak, this.usedBytes);
    return offset;
  }

  /** Returns a block from {@link alloc}; returns false when `offset` is not the start of a live block. */
  free(offset: number): boolean {
    const size = this.used.get(offset);
    if (size === undefined) return false;
    this.used.delete(offset);
    this.usedBytes -= size;
    let at = this.freeBlocks.findIndex((block) => block.offset > offset);
    if (at < 0) at = this.freeBlocks.length;
    this.freeBlocks.splice(at, 0, { offset, size });
    // merge with the next block, then with the previous one
    const next = this.freeBlocks[at + 1];
    const self = this.freeBlocks[at] as FreeBlock;
    if (next && self.offset + self.size === next.offset) {
      self.size += next.size;
      this.freeBlocks.splice(at + 1, 1);
    }
    const prev = this.freeBlocks[at - 1];
    if (prev && prev.offset + prev.size === self.offset) {
      prev.size += self.size;
      this.freeBlocks.splice(at, 1);
    }
    // a free block at the top gives its space back to the top
    const last = this.freeBlocks[this.freeBlocks.length - 1];
    if (last && last.offset + last.size === this.top) {
      this.top = last.offset;
      this.freeBlocks.pop();
    }
    return true;
  }

  /** Bytes in live blocks. */
  get allocatedBytes(): number {
    return this.usedBytes;
  }

  /** The most bytes ever live at once. */
  get peakBytes(): number {
    return this.peak;
  }

  /** The end of the highest block ever needed so far in the current layout. */
  get topOffset(): number {
    return this.top;
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / BLOCK_ALIGN) * BLOCK_ALIGN;
}
