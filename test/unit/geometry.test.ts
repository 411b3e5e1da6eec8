/** Declared vs native geometry (src/desktop/geometry.ts), as examples. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultDeclaredSize, Geometry, mapCoordinate } from "../../src/desktop/geometry.js";

describe("defaultDeclaredSize", () => {
  const cases: [number, number, number, number][] = [
    [1366, 768, 1366, 768],
    [1920, 1080, 1280, 720],
    [1920, 1200, 1280, 800],
    [2048, 1536, 1024, 768],
    [1080, 1920, 804, 1429], // portrait: scale = min(1568/1920, sqrt(1.15M/2.07M)) = 0.7447
    [0, -5, 1, 1],
  ];
  for (const [w, h, dw, dh] of cases) {
    it(`${w}x${h} -> ${dw}x${dh}`, () => assert.deepEqual(defaultDeclaredSize({ width: w, height: h }), { width: dw, height: dh }));
  }
});

describe("point mapping, declared 1280x720 on native 1920x1080", () => {
  const g = new Geometry({ width: 1920, height: 1080 }, { width: 1280, height: 720 });
  const cases: [number, number, number, number][] = [
    [0, 0, 0, 0],
    [640, 360, 960, 540],
    [1279, 719, 1919, 1079],
    [5000, -5, 1919, 0],
    [853, 402, 1280, 603],
  ];
  for (const [x, y, nx, ny] of cases) {
    it(`(${x},${y}) -> (${nx},${ny})`, () => assert.deepEqual(g.toNative({ x, y }), { x: nx, y: ny }));
  }
  it("native back to declared", () => assert.deepEqual(g.toDeclared({ x: 1280, y: 603 }), { x: 853, y: 402 }));
  it("to <= 0 gives 0; equal sizes or from <= 0 only clamp", () => {
    assert.equal(mapCoordinate(10, 100, 0), 0);
    assert.equal(mapCoordinate(150, 100, 100), 99);
    assert.equal(mapCoordinate(-3, 0, 100), 0);
  });
  it("a declared rectangle covers the native pixels under it", () => {
    assert.deepEqual(g.rectToNative({ x: 180, y: 80, width: 40, height: 40 }), { x: 270, y: 120, width: 60, height: 60 });
    assert.deepEqual(g.rectToNative({ x: 1270, y: 710, width: 100, height: 100 }), { x: 1905, y: 1065, width: 15, height: 15 });
    assert.equal(g.rectToNative({ x: 2000, y: 0, width: 10, height: 10 }), null);
  });
});
