import assert from "node:assert/strict";
import { noopPolicy } from "../core/_noop_policy.ts";
import { definePolicy, POLICIES, registerPolicy, resolvePolicy } from "./registry.ts";

const idle = noopPolicy("registry-test", "per-cpu");

Deno.test("registerPolicy adds a policy that resolvePolicy and POLICIES find", () => {
  const definition = registerPolicy({
    name: "registry-test",
    description: "does nothing",
    model: "per-cpu",
    create: () => idle,
  });
  assert.equal(POLICIES["registry-test"], definition);
  assert.equal(resolvePolicy("registry-test").create({}), idle);
  assert.ok(Object.isFrozen(definition));
});

Deno.test("registerPolicy refuses a name already taken", () => {
  assert.throws(
    () =>
      registerPolicy({
        name: "shinjuku",
        description: "",
        model: "centralized",
        create: () => null,
      }),
    /Policy "shinjuku" is already registered/,
  );
  assert.equal(POLICIES.shinjuku!.description.includes("Shinjuku"), true);
});

Deno.test("definePolicy refuses names the command line cannot take, and unknown models", () => {
  for (const name of ["", "Upper", "has space", "-dash", "a_b"]) {
    assert.throws(
      () => definePolicy({ name, description: "", model: "per-cpu", create: () => null }),
      TypeError,
    );
  }
  const model = "global" as unknown as "per-cpu";
  assert.throws(
    () => definePolicy({ name: "x", description: "", model, create: () => null }),
    /Bad model "global" for policy x/,
  );
});
