// Third-party parsers are loaded on first use, not when the bundle loads: initialising `yaml`
// and gray-matter (with its js-yaml) was most of the extension's activation time, and the
// first scan that needs them runs after activation anyway.
import type * as Yaml from "yaml";
import type GrayMatter from "gray-matter";
import type Picomatch from "picomatch";

let yamlModule: typeof Yaml | undefined;
/** The `yaml` package, required on first property access. */
export const yaml: typeof Yaml = new Proxy({} as typeof Yaml, {
  get: (_target, key) => (yamlModule ??= require("yaml") as typeof Yaml)[key as keyof typeof Yaml],
});

let grayMatterModule: typeof GrayMatter | undefined;
export function grayMatter(): typeof GrayMatter {
  return (grayMatterModule ??= require("gray-matter") as typeof GrayMatter);
}

let picomatchModule: typeof Picomatch | undefined;
export function picomatch(): typeof Picomatch {
  return (picomatchModule ??= require("picomatch") as typeof Picomatch);
}
