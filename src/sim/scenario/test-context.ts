/**
 * A SimContext with no controllers, for unit tests of the scenario engine: what the loader and the
 * faults write can be asserted on the store and the registries directly.
 */
import { createSimContext } from '../create-sim-context.js';
import { type SimClock } from '../clock.js';
import { type SimContext } from '../sim-context.js';

export function bareContext(start = Date.UTC(2025, 0, 1)): SimContext & { clock: SimClock } {
  return createSimContext({ clusterId: 'test', start, onError: (err) => { throw err; } });
}

/** The example of issue 3, with its placeholders filled in: every key the format must accept. */
export const FULL_EXAMPLE = `apiVersion: aetherius.io/v1
kind: Scenario
metadata: {name: checkout-oom, description: "checkout leaks memory and is OOMKilled"}
spec:
  clusterId: prod-us-west            # optional
  speed: 60                          # simulated seconds per wall second (optional)
  duration: 15m                      # simulated run length
  nodes: [{name: node-1, cpu: "4", memory: 16Gi, pods: 110, labels: {}, taints: [{key: dedicated, value: batch, effect: NoSchedule}]}, {name: node-2, cpu: 8, memory: 32Gi}]
  namespaces: [shop]
  configMaps: [{namespace: shop, name: checkout-config, data: {LOG_LEVEL: info, PORT: 8080}}]
  secrets: [{namespace: shop, name: checkout-db, data: {password: hunter2}}]
  storageClasses: [{name: standard, provisioner: rancher.io/local-path}]
  persistentVolumeClaims: [{namespace: shop, name: checkout-data, storageClassName: standard, size: 1Gi}]
  resourceQuotas: [{namespace: shop, name: shop-quota, hard: {requests.cpu: "1"}}]
  networkPolicies: [{namespace: shop, name: allow-frontend, podSelector: {app: checkout}, ingressFrom: [{podSelector: {app: frontend}}]}]
  services: [{namespace: shop, name: checkout, selector: {app: checkout}, port: 80, targetPort: 8080}, {namespace: shop, name: postgres, selector: {app: postgres}, port: 5432}]
  images: {missing: [], unauthorized: []}      # every other image pulls fine
  workloads:
    - kind: Deployment                 # Deployment | StatefulSet | DaemonSet | Job
      namespace: shop
      name: checkout
      replicas: 2
      labels: {app: checkout}
      nodeSelector: {}
      tolerations: []
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux]}]}]
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: checkout}}, topologyKey: kubernetes.io/hostname}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: checkout-data}} , {name: config, configMap: {name: checkout-config}}, {name: creds, secret: {secretName: checkout-db}}]
      hpa: {minReplicas: 2, maxReplicas: 5, targetCPUUtilization: 80}
      containers:
        - name: app
          image: registry.local/shop/checkout:1.4.2
          command: [/app/checkout]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}
          env: [{name: LOG_LEVEL, value: info}, {name: PORT, valueFrom: {configMapKeyRef: {name: checkout-config, key: PORT}}}, {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: checkout-db, key: password}}}]
          envFrom: [{configMapRef: {name: checkout-config}}, {secretRef: {name: checkout-db}}]
          ports: [8080]
          livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 10, failureThreshold: 3}
          readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 5, failureThreshold: 3}
          behavior:
            startupSeconds: 2
            memory: {baseMi: 90, growthMiPerMinute: 0}
            cpu: {millicores: 50}
            listensOn: [8080]          # a probe to another port fails with "connection refused"
            requireEnv: [DB_URL]       # missing → logs the given line and exits 1
            missingEnvLog: "FATAL: environment variable DB_URL is not set"
            dependsOn: [{service: postgres, namespace: shop, port: 5432}]   # no ready endpoint → logs + exit 1
            dependencyErrorLog: "Error: connect ECONNREFUSED 10.96.0.12:5432"
            exit: {afterSeconds: 30, code: 1}      # optional: exits by itself
            logs: ["INFO server started on :8080"]  # emitted at start
            errorLogs: []              # emitted repeatedly while running (e.g. 429 or pool-exhausted lines)
            logEverySeconds: 5
            probes: {liveness: pass, readiness: pass}   # pass | fail | failAfter: 60s
            disk: {volume: data, usedMi: 10, growthMiPerMinute: 0}   # full → logs "No space left on device" and exits 1
            knownCommands: [/app/checkout]
    - kind: Job
      namespace: shop
      name: migrate
      backoffLimit: 4                  # Job only
      containers: [{name: migrate, image: registry.local/shop/migrate:1.0.0, behavior: {exit: {afterSeconds: 20, code: 0}}}]
  faults:                              # applied at simulated times
    - at: 2m
      action: set-image
      target: {kind: Deployment, namespace: shop, name: checkout, container: app}   # or {kind: Node, name: node-1}
      value: {image: registry.local/shop/checkout:1.4.3}
    - at: 3m
      action: node-not-ready
      target: {kind: Node, name: node-1}
  expect:
    healthy: false                     # true: a noise scenario where no incident may be opened
    rootCause: OOMKilled               # an id from the taxonomy
    acceptable: []                     # other ids also counted correct
    resource: {kind: Deployment, namespace: shop, name: checkout}
    remediation: UpdateResourceLimits  # optional, an action id
`;
