// Unit tests of the stop-string matcher: text split anywhere must give the same output as the whole text.
import { describe, expect, it } from "vitest";
import { StopMatcher } from "./stop.js";

function run(stops: string[], pieces: string[]): { out: string; stopped: boolean } {
  const m = new StopMatcher(stops);
  let out = "";
  for (const p of pieces) out += m.push(p);
  out += m.flush();
  return { out, stopped: m.stopped };
}

describe("StopMatcher", () => {
  it("cuts before the stop string and never emits it", () => {
    expect(run(["</s>"], ["Hello", " wor", "ld</", "s> more"])).toEqual({ out: "Hello world", stopped: true });
  });
  it("gives the same result for every split of the text", () => {
    const text = "abc ### User: hi ## x";
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        const r = run(["### User:", "zz"], [text.slice(0, i), text.slice(i, j), text.slice(j)]);
        expect(r).toEqual({ out: "abc ", stopped: true });
      }
    }
  });
  it("holds back a partial match and releases it when it does not complete", () => {
    const m = new StopMatcher(["</s>"]);
    expect(m.push("a</")).toBe("a");
    expect(m.push("x")).toBe("</x");
    expect(m.flush()).toBe("");
    expect(run(["</s>"], ["tail </"]).out).toBe("tail </");
  });
  it("picks the earliest of several stop strings and handles thousands", () => {
    const stops = Array.from({ length: 3000 }, (_, i) => `stop${i}#`);
    expect(run([...stops, "B"], ["xxAyyBzz stop5#"]).out).toBe("xxAyy");
    expect(run(stops, ["no stop here"]).out).toBe("no stop here");
  });
});
