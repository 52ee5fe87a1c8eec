export { createNodeControllers, type NodeControllersOptions } from './node-controllers.js';
export { Scheduler, SCHEDULER_NAME, fitErrorMessage } from './scheduler.js';
export { NodeLifecycleController, NODE_MONITOR_GRACE_MS } from './node-lifecycle.js';
export { Kubelet, DEFAULT_KUBELET_VERSION, NODE_STATUS_UPDATE_MS, type KubeletOptions } from './kubelet.js';
