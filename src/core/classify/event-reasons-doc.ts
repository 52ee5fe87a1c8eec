/**
 * docs/event-reasons.md, generated from the classification table so the reference cannot drift from
 * what the agent does (test/event-reasons-doc.test.ts compares the file with this output).
 */
import { eventCategory, type EventCategory } from '../../contracts/agent-messages.js';
import type { Severity } from '../../contracts/common.js';
import { FALLBACK_CATEGORY, FALLBACK_CATEGORY_BY_KIND, listReasons } from './classify.js';
import type { ReasonEntry, ReasonVariant } from './event-reasons.js';
import { LOG_CLASS_INFO, LOG_PATTERNS, LOG_SIGNAL_CLASSES } from './log-patterns.js';

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

const CATEGORY_TITLES: Readonly<Record<EventCategory, string>> = {
  pod_failure: 'Pod and container failures (`pod_failure`)',
  scheduling: 'Scheduling (`scheduling`)',
  image: 'Images (`image`)',
  storage: 'Storage (`storage`)',
  node: 'Nodes (`node`)',
  network: 'Network (`network`)',
  config: 'Configuration (`config`)',
  scaling: 'Workloads and scaling (`scaling`)',
  job: 'Jobs and CronJobs (`job`)',
  application: 'Application error logs (`application`)',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function variantText(entry: ReasonEntry, v: ReasonVariant): string {
  const when: string[] = [];
  if (v.kinds) when.push(`kind ${v.kinds.map((k) => `\`${k}\``).join('/')}`);
  if (v.message !== undefined) when.push(`message matches \`${v.message}\``);
  const changes: string[] = [];
  if (v.severity !== undefined && v.severity !== entry.severity) changes.push(`**${v.severity}**`);
  if (v.category !== undefined && v.category !== entry.category) changes.push(`\`${v.category}\``);
  if (v.source !== undefined && v.source !== entry.source) changes.push(`source ${v.source}`);
  const effect = changes.length ? changes.join(', ') : 'same classification';
  return `${when.join(' and ')} → ${effect}: ${v.description}`;
}

function reasonRow(entry: ReasonEntry): string {
  const variants = (entry.variants ?? []).map((v) => variantText(entry, v)).join('<br>');
  return `| \`${entry.reason}\` | ${entry.severity} | ${entry.source} | ${cell(entry.description)} | ${cell(variants)} |`;
}

const INTRO = `# Event reasons

The collect-agent gives every Kubernetes Event, container state and state-derived signal a
**severity** and a **category** from one table, \`src/core/classify/event-reasons.ts\`. This page is
generated from that table; \`test/event-reasons-doc.test.ts\` fails when it is out of date.
Regenerate it with:

\`\`\`sh
npx tsx -e "import('./src/core/classify/index.ts').then((m) => process.stdout.write(m.eventReasonsMarkdown()))" > docs/event-reasons.md
\`\`\`

## Severities

| severity | meaning | examples |
|---|---|---|
| critical | A service is down now or data is at risk. | \`OOMKilled\`, \`CrashLoopBackOff\`, \`NodeNotReady\`, \`SystemOOM\`, \`ClaimLost\` |
| high | Something is failing and needs action. | \`FailedScheduling\`, \`ImagePullBackOff\`, \`FailedMount\`, \`Evicted\` |
| medium | Degraded or a warning worth a look. | \`Unhealthy\` (readiness), \`FailedGetResourceMetric\`, \`NodeNotSchedulable\` |
| low | Information: the normal lifecycle. | \`Scheduled\`, \`Pulled\`, \`Started\`, \`SuccessfulCreate\`, \`NodeReady\` |

\`agent.watcher.min_severity\` drops everything below the given severity;
\`agent.watcher.reason_filters\` keeps only the listed reasons (Event reasons and state-derived reasons
alike).

**The event type does not decide the severity.** Kubernetes records many serious conditions as
\`Normal\`: the kubelet reports \`NodeNotReady\` and \`NodeHasDiskPressure\` as \`Normal\`, the
persistent-volume controller reports \`FailedBinding\` as \`Normal\`, and the kubelet's image back-off is
a \`Normal\` \`BackOff\`. A known reason is classified by the table alone.

## Categories

\`pod_failure\`, \`scheduling\`, \`image\`, \`storage\`, \`node\`, \`network\`, \`config\`, \`scaling\`,
\`job\` and \`application\` (error-log signals) — the \`category\` field of the agent's event message.
The tables below list each reason under its default category.

## Variants

Some reasons mean different things depending on the message or the involved object. A variant
refines the classification when the involved object's kind is one of those listed and/or the message
matches its regular expression (case-insensitive, anywhere in the message). Variants are tried in the
order shown and the first match wins. For example \`BackOff\` with "Back-off pulling image" is an
\`image\` problem while "Back-off restarting failed container" is a \`pod_failure\`; \`Unhealthy\` is
**high** for liveness and startup probes but medium for readiness probes.

## Unknown reasons

A reason not in the table is reported with \`known: false\`: severity **medium** for a \`Warning\`
event and **low** otherwise, category from the involved object's kind:
`;

const STATE_SIGNALS = `## State-derived signals

Kubernetes deletes Events after an hour (\`--event-ttl\`) and drops some under load, so the agent also
compares each watched object with its previous version and reports transitions as events of type
\`state_change\` (source \`aetherius-agent\`). Only transitions produce signals: the same state on an
update gives nothing. On first sight (the initial list, a relist, or an ADDED object) current bad
states are reported, but growth signals such as restarts are not. Each signal carries a key built
from the object's uid, the reason, the container and the transition (finish time, condition
\`lastTransitionTime\`, restart count), so re-deriving the same transition after an agent restart or a
relist yields the same event id and the control plane drops the duplicate.

| kind | signal | when |
|---|---|---|
| Pod | \`OOMKilled\` | A container's \`state.terminated\` or \`lastState.terminated\` newly shows reason OOMKilled (also on first sight). |
| Pod | \`ContainerTerminated\` | A newly seen termination with a non-zero exit code and another reason; the message has the code and reason. On first sight only for a container that is terminated now. Not while the pod is being deleted or when it was evicted (exit 137/143 is then expected). |
| Pod | the waiting reason | \`state.waiting.reason\` appears or changes (\`CrashLoopBackOff\`, \`ImagePullBackOff\`, \`ErrImagePull\`, \`CreateContainerConfigError\`, ...); \`ContainerCreating\` and \`PodInitializing\` are ignored. Also on first sight. |
| Pod | \`ContainerRestarted\` | \`restartCount\` grows; the message says from N to M. Not on first sight. |
| Pod | \`Evicted\` / \`PodFailed\` | Phase becomes Failed: \`Evicted\` when the pod's reason is Evicted, else \`PodFailed\` (not while the pod is being deleted). |
| Pod | \`Unschedulable\` | Condition PodScheduled turns False with reason Unschedulable. |
| Node | \`NodeNotReady\` | Ready goes from True to False or Unknown (on first sight: Ready is not True). |
| Node | \`NodeReady\` | Ready goes from False or Unknown to True. Not on first sight. |
| Node | \`NodeHasDiskPressure\`, \`NodeHasMemoryPressure\`, \`NodeHasPIDPressure\`, \`NodeNetworkUnavailable\` | DiskPressure, MemoryPressure, PIDPressure or NetworkUnavailable turns True. |
| Node | \`NodeNotSchedulable\` | \`spec.unschedulable\` becomes true (a cordon). Not on first sight: a cordon is usually deliberate. |
| Deployment | \`ProgressDeadlineExceeded\` | Progressing turns False with reason ProgressDeadlineExceeded. |
| Deployment, ReplicaSet | \`ReplicaFailure\` | ReplicaFailure turns True; the message quotes the condition (e.g. exceeded quota). |
| Deployment | \`MinimumReplicasUnavailable\` | Available goes from True to False while available replicas drop (a scale-up alone is not reported). |
| StatefulSet | \`StatefulSetReplicasUnavailable\` | Ready replicas fall below the desired count and below the previous count, outside a rollout or scale change. Not on first sight. |
| DaemonSet | \`DaemonSetPodsUnavailable\` | \`numberUnavailable\` goes from 0 to more, outside a rollout or a change in the number of nodes. Not on first sight. |
| Job | \`JobFailed\` | Condition Failed turns True; the message has the condition reason (BackoffLimitExceeded, DeadlineExceeded, ...). |
| PersistentVolumeClaim | \`ClaimLost\` | Phase becomes Lost. |
| PersistentVolumeClaim | \`ClaimPending\` | Phase goes back to Pending from another phase. Pending on first sight is not a signal: the provisioner's and scheduler's Events say why. |
| HorizontalPodAutoscaler | \`ScalingLimited\` | ScalingLimited turns True with reason TooManyReplicas: the HPA is pinned at maxReplicas. |
| HorizontalPodAutoscaler | \`HPAUnableToScale\` | AbleToScale or ScalingActive goes from True to False (on first sight: is False), except ScalingDisabled, a target scaled to zero on purpose. |

The rules read standard Kubernetes fields only and tolerate partial or malformed objects.
`;

const LOG_SIGNALS_INTRO = `## Error-log signals

Some faults leave no trace in Kubernetes: an expired certificate, an upstream answering 429, a used-up
connection pool. The agent's log scanner ([agent.md](agent.md#error-log-signals)) reads recent container
logs, groups lines into records (a Java stack trace with its \`Caused by:\` chain, a Python traceback, a
Go panic with its goroutine dump is **one** record), and counts a record as an error when its level is
error or fatal, or when it has no level but matches a pattern below or has an error's shape (panic,
traceback, \`SomeException:\`). Warnings, info and debug records never count. An error record gets the
class of the first pattern it matches (table order), else \`application\`. When a container's errors
cross the threshold it sends one \`state_change\` event with the class's reason (category
\`application\`, source \`aetherius-agent\`).
`;

function logSignalsMarkdown(): string {
  const classRows = LOG_SIGNAL_CLASSES.map((c) => `| \`${c}\` | \`${LOG_CLASS_INFO[c].reason}\` | ${cell(LOG_CLASS_INFO[c].description)} |`);
  const patternRows = LOG_PATTERNS.map((p) => `| \`${p.class}\` | \`${p.id}\` | \`${cell(p.regex.source)}\` | ${cell(p.example)} |`);
  return [
    LOG_SIGNALS_INTRO,
    '| class | reason | meaning |',
    '|---|---|---|',
    ...classRows,
    '',
    'Patterns (case-insensitive, searched anywhere in the record):',
    '',
    '| class | pattern | regular expression | catches |',
    '|---|---|---|---|',
    ...patternRows,
    '',
  ].join('\n');
}

/** The whole of docs/event-reasons.md. */
export function eventReasonsMarkdown(): string {
  const fallbackRows = Object.entries(FALLBACK_CATEGORY_BY_KIND).map(([kind, category]) => `| ${kind} | \`${category}\` |`);
  const parts: string[] = [
    INTRO,
    ['| involved kind | category |', '|---|---|', ...fallbackRows, `| any other kind | \`${FALLBACK_CATEGORY}\` |`].join('\n'),
    '',
    STATE_SIGNALS,
    logSignalsMarkdown(),
  ];
  const entries = listReasons();
  parts.push(`## Reasons (${entries.length})`, '');
  for (const category of eventCategory.options) {
    const rows = entries
      .filter((e) => e.category === category)
      .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.reason.localeCompare(b.reason, 'en'));
    if (!rows.length) continue;
    parts.push(`### ${CATEGORY_TITLES[category]}`, '', '| reason | severity | source | meaning | variants |', '|---|---|---|---|---|', ...rows.map(reasonRow), '');
  }
  return parts.join('\n');
}
