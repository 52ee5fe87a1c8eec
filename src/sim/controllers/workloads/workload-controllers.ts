/**
 * The workload controllers of the simulated kube-controller-manager (plus the PV provisioner and
 * the quota admission they share), in one list the simulator starts and stops.
 */
import type { Controller, SimContext } from '../../sim-context.js';
import { CronJobController } from './cronjob-controller.js';
import { DaemonSetController, type DaemonSetControllerOptions } from './daemonset-controller.js';
import { DeploymentController } from './deployment-controller.js';
import { EndpointsController } from './endpoints-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { HorizontalPodAutoscalerController } from './hpa-controller.js';
import { JobController } from './job-controller.js';
import { PersistentVolumeController } from './persistent-volume-controller.js';
import { ReplicaSetController } from './replicaset-controller.js';
import { ResourceQuotaController } from './resource-quota.js';
import { StatefulSetController } from './statefulset-controller.js';

export interface WorkloadControllersOptions {
  daemonSet?: DaemonSetControllerOptions;
}

export function createWorkloadControllers(ctx: SimContext, options: WorkloadControllersOptions = {}): Controller[] {
  return [
    new GarbageCollector(ctx),
    new ResourceQuotaController(ctx),
    new PersistentVolumeController(ctx),
    new DeploymentController(ctx),
    new ReplicaSetController(ctx),
    new StatefulSetController(ctx),
    new DaemonSetController(ctx, options.daemonSet),
    new JobController(ctx),
    new CronJobController(ctx),
    new HorizontalPodAutoscalerController(ctx),
    new EndpointsController(ctx),
  ];
}

export {
  CronJobController,
  DaemonSetController,
  DeploymentController,
  EndpointsController,
  GarbageCollector,
  HorizontalPodAutoscalerController,
  JobController,
  PersistentVolumeController,
  ReplicaSetController,
  ResourceQuotaController,
  StatefulSetController,
};
