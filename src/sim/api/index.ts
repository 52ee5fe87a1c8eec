export { startSimApiServer, type SimApiServer, type SimApiServerOptions } from './server.js';
export { kubeconfigYaml, writeKubeconfig, type KubeconfigCluster } from './kubeconfig.js';
export { podStatusReason, toTable, humanDuration } from './tables.js';
export { applyPatch, patchTypeOf, type PatchType } from './patch.js';
