// The free-list allocator: alignment, reuse of freed blocks, merging of neighbours, and growth only at the top.
import { describe, expect, it } from "vitest";
import { BLOCK_ALIGN, FreeListAllocator } from "./allocator.js";

describe("FreeListAllocator", () => {
  it("aligns blocks, reuses and merges freed ones, and grows only when it must", () => {
    const ends: number[] = [];
    const allocator = new FreeListAllocator(100, (end) => ends.push(end));
    const a = allocator.alloc(10), b = allocator.alloc(100), c = allocator.alloc(64);
    expect([a, b, c].every((offset) => offset % BLOCK_ALIGN === 0)).toBe(true);
    expect(a).toBe(128);
    expect(b).toBe(a + 64);
    expect(c).toBe(b + 128);
    expect(allocator.allocatedBytes).toBe(64 + 128 + 64);
    expect(allocator.free(a)).toBe(true);
    expect(allocator.free(a)).toBe(false); // not live any more
    expect(allocator.free(b)).toBe(true);
    expect(allocator.alloc(150)).toBe(a); // the merged a+b block (192 bytes) fits it exactly
    const highest = Math.max(...ends);
    allocator.free(c);
    expect(allocator.alloc(64)).toBe(c); // c's space again, without the memory ever reaching further
    expect(Math.max(...ends)).toBe(highest);
    expect(allocator.peakBytes).toBeGreaterThanOrEqual(allocator.allocatedBytes);
  });

  it("gives a freed block at the top back to the top", () => {
    const allocator = new FreeListAllocator(0, () => undefined);
    const a = allocator.alloc(64);
    const b = allocator.alloc(64);
    allocator.free(b);
    expect(allocator.topOffset).toBe(b);
    allocator.free(a);
    expect(allocator.topOffset).toBe(0);
  });
});
