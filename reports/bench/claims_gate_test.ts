import assert from "node:assert/strict";
import { type ClaimVerdict, gateClaims, main } from "./claims_gate.ts";

const CLAIMS: ClaimVerdict[] = [
  { figure: "a", claim: "a is fast", holds: true, evidence: { x: 1 } },
  { figure: "b", claim: "b saturates at least 2x later", holds: false, evidence: { ratio: 1.6 } },
];

Deno.test("gateClaims fails on a failing claim unless it is known", () => {
  const strict = gateClaims(CLAIMS);
  assert.equal(strict.pass, false);
  assert.deepEqual(strict.lines, [
    "holds  a: a is fast",
    "FAILS  b: b saturates at least 2x later (ratio 1.6)",
    "claims: 1 hold, 0 known to fail, 1 fail",
  ]);
  const known = gateClaims(CLAIMS, { allowFailing: ["at least 2x"] });
  assert.equal(known.pass, true);
  assert.equal(known.lines[1], "known  b: b saturates at least 2x later (ratio 1.6)");
  assert.equal(gateClaims([]).pass, false, "no claims is no evidence");
});

Deno.test("the claims gate reads summary.json and exits 0, 1 or 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    Deno.writeTextFileSync(`${dir}/summary.json`, JSON.stringify({ claims: CLAIMS }));
    const lines: string[] = [];
    assert.equal(main([dir], (l) => lines.push(l)), 1);
    assert.equal(main([dir, "--allow-failing", "2x later"], () => {}), 0);
    assert.equal(main([`${dir}/nope`], (l) => lines.push(l)), 2);
    assert.match(lines.at(-1)!, /^claims: Cannot read ".*nope\/summary.json"/);
    Deno.writeTextFileSync(`${dir}/summary.json`, JSON.stringify({ claims: [{ holds: "yes" }] }));
    assert.equal(main([dir], () => {}), 2);
    assert.equal(main([dir, "--bogus"], () => {}), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
