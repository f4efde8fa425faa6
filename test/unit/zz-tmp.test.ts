import * as assert from "assert";
suite("tmp unit", () => { test("adds", () => assert.strictEqual(1 + 1, 2)); test("skips", function () { this.skip(); }); });
