// esbuild bundles the built-in lexicon's YAML as the data it holds, any other YAML as its text
// (scripts/yaml-plugin.mjs); tsc only needs to know the shape.
declare module "*.yaml" {
  const data: unknown;
  export default data;
}
