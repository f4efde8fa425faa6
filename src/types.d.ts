// esbuild bundles these as text (see esbuild.mjs); tsc only needs to know their shape.
declare module "*.yaml" {
  const text: string;
  export default text;
}
