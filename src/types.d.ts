// esbuild bundles YAML as the data it holds (scripts/yaml-plugin.mjs); tsc only needs to know its shape.
declare module "*.yaml" {
  const data: unknown;
  export default data;
}
