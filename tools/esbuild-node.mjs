// The one esbuild setup for running our TypeScript on Node: workspace libs (@tollgate/*) are
// bundled in, third-party packages stay external and load from node_modules.
import { build } from 'esbuild';

const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@tollgate/') || args.kind === 'entry-point') return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Bundles one TypeScript entry into an ES module at `outfile` (must sit inside the workspace). */
export async function bundleForNode(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    plugins: [externalThirdParty],
    logLevel: 'warning',
    legalComments: 'none',
  });
}
