// The CPython random.Random port against outputs recorded once from CPython 3.11 itself (the snippets are in the comments).
import { describe, expect, it } from "vitest";
import { PythonRandom, bitLength, samplePath, sampleSetSize } from "./rng.js";

describe("PythonRandom (CPython MT19937)", () => {
  it("reproduces getrandbits(32) after seed 42", () => {
    // r = random.Random(42); [r.getrandbits(32) for _ in range(10)]
    const r = new PythonRandom(42);
    const words = Array.from({ length: 10 }, () => r.nextUint32());
    expect(words).toEqual([2746317213, 478163327, 107420369, 3184935163, 1181241943, 1051802512, 958682846, 599310825, 3163119785, 440213415]);
  });

  it("seeds ints through init_by_array: 0, a two-word int, a negative int", () => {
    // [random.Random(s).getrandbits(32) ...] for s in (0, 2**40 + 12345, -7), three draws each
    const draws = (seed: number | bigint): number[] => {
      const r = new PythonRandom(seed);
      return [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    };
    expect(draws(0)).toEqual([3626764237, 1654615998, 3255389356]);
    expect(draws(2n ** 40n + 12345n)).toEqual([1332995613, 1500173691, 493462063]);
    expect(draws(2 ** 40 + 12345)).toEqual([1332995613, 1500173691, 493462063]);
    expect(draws(-7)).toEqual([1390851128, 4071050724, 647892279]);
  });

  it("reproduces random()", () => {
    // r = random.Random(42); [r.random() for _ in range(3)]
    const r = new PythonRandom(42);
    expect([r.random(), r.random(), r.random()]).toEqual([0.6394267984578837, 0.025010755222666936, 0.27502931836911926]);
  });

  it("reproduces getrandbits(k) for small and multi-word k", () => {
    // r = random.Random(42); [r.getrandbits(k) for k in (1,5,31,33,64,100)]
    const r = new PythonRandom(42);
    expect([1, 5, 31, 33, 64, 100].map((k) => r.getrandbits(k))).toEqual([
      1n, 3n, 53710184n, 3184935163n, 4117511471858006928n, 800402129360547565400942494185n,
    ]);
  });

  it("reproduces _randbelow for bounds from 1 to beyond 32 bits", () => {
    // r = random.Random(42); [r._randbelow(n) for n in (1,2,3,10,1000,2**31,2**32+5,10**15)]
    const r = new PythonRandom(42);
    expect([1, 2, 3, 10, 1000, 2 ** 31, 2 ** 32 + 5, 10 ** 15].map((n) => r.randbelow(n))).toEqual([
      0, 0, 2, 4, 250, 958682846, 2342331444, 475043098952809,
    ]);
  });

  it("reproduces shuffle", () => {
    // r = random.Random(42); x = list(range(10)); r.shuffle(x)
    const r = new PythonRandom(42);
    const x = Array.from({ length: 10 }, (_, i) => i);
    r.shuffle(x);
    expect(x).toEqual([7, 3, 2, 8, 5, 6, 9, 4, 0, 1]);
  });

  it("reproduces sample on the pool path (n <= setsize)", () => {
    // random.Random(42).sample(range(20), 5); .sample(range(80), 10); .sample(range(22), 21); .sample(list("a".."z"), 21)
    expect(samplePath(20, 5)).toBe("pool");
    expect(new PythonRandom(42).sample(range(20), 5)).toEqual([3, 0, 8, 7, 16]);
    expect(samplePath(80, 10)).toBe("pool");
    expect(new PythonRandom(42).sample(range(80), 10)).toEqual([14, 3, 35, 31, 28, 17, 13, 69, 11, 54]);
    expect(new PythonRandom(42).sample(range(22), 21)).toEqual([20, 3, 0, 8, 7, 17, 4, 11, 1, 10, 14, 18, 13, 6, 19, 16, 12, 9, 15, 2, 5]);
    const letters = [..."abcdefghijklmnopqrstuvwxyz"];
    expect(new PythonRandom(42).sample(letters, 21).join("")).toBe("udaihveyrcnxobslwpkfg");
  });

  it("reproduces sample on the set path, including a redraw after a collision", () => {
    // random.Random(42).sample(range(100), 5); .sample(range(90), 10); random.Random(2).sample(range(22), 5)
    expect(samplePath(100, 5)).toBe("set");
    expect(new PythonRandom(42).sample(range(100), 5)).toEqual([81, 14, 3, 94, 35]);
    expect(samplePath(90, 10)).toBe("set");
    expect(new PythonRandom(42).sample(range(90), 10)).toEqual([81, 14, 3, 35, 31, 28, 17, 13, 86, 69]);
    // seed 2: plain draws would be [1, 2, 2, 11, 5]; the set path redraws the repeated 2
    expect(new PythonRandom(2).sample(range(22), 5)).toEqual([1, 2, 11, 5, 21]);
  });

  it("continues one stream across shuffle and sample as the leaderboard's evaluator did", () => {
    // r = random.Random(42); x = list(range(30)); r.shuffle(x); r.sample(range(1119), 25)
    const r = new PythonRandom(42);
    const x = range(30);
    r.shuffle(x);
    expect(x).toEqual([19, 14, 10, 26, 22, 6, 5, 12, 11, 15, 9, 25, 29, 21, 16, 27, 1, 13, 18, 2, 17, 28, 4, 24, 7, 8, 23, 0, 3, 20]);
    expect(r.sample(range(1119), 25)).toEqual([569, 13, 326, 865, 696, 318, 440, 689, 209, 189, 778, 198, 735, 704, 541, 88, 940, 1098, 255, 775, 161, 600, 740, 393, 142]);
  });

  it("computes CPython's setsize and bit lengths", () => {
    // every H6 draw takes the set path: ARC 25 of 1119, HellaSwag 10 of 39905, Winogrande and GSM8K 5 of thousands
    expect(sampleSetSize(5)).toBe(21);
    expect(sampleSetSize(6)).toBe(21 + 64);
    expect(sampleSetSize(10)).toBe(21 + 64);
    expect(sampleSetSize(25)).toBe(21 + 256);
    expect(samplePath(1119, 25)).toBe("set");
    expect([0, 1, 2, 3, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 52].map(bitLength)).toEqual([0, 1, 2, 2, 8, 9, 32, 33, 53]);
  });

  it("refuses a sample larger than the population", () => {
    expect(() => new PythonRandom(1).sample([1, 2, 3], 4)).toThrow(/sample size between 0 and 3/);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
