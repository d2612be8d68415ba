/**
 * The layering of src/, checked by `npm run check` and scripts/test.sh (dependency-cruiser).
 *
 * Bottom: api (CRD types), lib, policy (IAM engine), request (wire → RequestContext) import no
 * other layer. compile turns manifests into a Snapshot and never reaches for loaders, the runtime,
 * the controller or the servers; decision answers a check from a Snapshot and never reaches for
 * servers, sources, the runtime, the controller or the CLI. Tests obey the same rules: a test that
 * needs the whole runtime lives in test/integration.
 */
const BOTTOM = '^src/(api|lib|policy|request)/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules form a DAG: a cycle makes load order and layering meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'bottom-layers-import-only-bottom',
      severity: 'error',
      comment: 'api, lib, policy and request are the bottom: they import no other layer of src/.',
      from: { path: BOTTOM },
      to: { path: '^src/', pathNot: BOTTOM },
    },
    {
      name: 'decision-stays-below-the-runtime',
      severity: 'error',
      comment: 'decision reads a Snapshot; servers, sources, the runtime and the CLI call it.',
      from: { path: '^src/decision/' },
      to: { path: '^src/(servers|sources|app|controller|cli)/' },
    },
    {
      name: 'compile-stays-below-the-loaders',
      severity: 'error',
      comment:
        'compile is pure (manifests → Snapshot); loaders, the runtime and the controller feed it.',
      from: { path: '^src/compile/' },
      to: { path: '^src/(sources|app|controller|servers)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
  },
}
