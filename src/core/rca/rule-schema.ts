/**
 * The format of a rule file (rules/<kebab-cause-id>.yaml, documented in docs/rules.md): one root
 * cause, its prior, the evidence that raises or lowers it (likelihood ratios over signals), the
 * resource it blames and the fixes it recommends. Rules are YAML, so Kubernetes-style camelCase would
 * be expected; the fields are snake_case because they name signal fields, which are snake_case like
 * the wire JSON they end up in.
 */
import { z } from 'zod';
import { REMEDIATION_ACTION_IDS, riskLevel } from '../../contracts/remediation-actions.js';
import { ROOT_CAUSE_TYPES } from '../../contracts/root-cause-taxonomy.js';
import { ROLES, SIGNAL_NAMES } from './types.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A regular expression source that compiles. */
const regexSource = z.string().min(1).max(500).refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

const operators = z
  .object({
    gte: z.number(),
    gt: z.number(),
    lte: z.number(),
    lt: z.number(),
    ne: scalar,
    in: z.array(scalar).min(1),
    not_in: z.array(scalar).min(1),
    matches: regexSource,
    not_matches: regexSource,
    exists: z.boolean(),
  })
  .partial()
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'must name at least one operator (gte, gt, lte, lt, ne, in, not_in, matches, not_matches, exists)');

/** A field test: a value (equality), a list (one of), or operators. */
export const condition = z.union([scalar, z.array(scalar).min(1), operators]);
export type Condition = z.infer<typeof condition>;

/** Every field test must hold. */
export const when = z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a snake_case signal field name'), condition);
export type When = z.infer<typeof when>;

const roleList = z.array(z.enum(ROLES, { error: `must be a role: ${ROLES.join(', ')}` })).min(1);

export const evidenceSchema = z
  .object({
    /** Unique in the file; `<cause>.<id>` keys rule weights. */
    id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be kebab-case, e.g. terminated-oomkilled'),
    signal: z.enum(SIGNAL_NAMES, { error: 'must be a signal name listed in docs/rules.md' }),
    when: when.optional(),
    /** P(signal | cause) / P(signal | not cause): > 1 supports the cause, < 1 speaks against it. */
    likelihood_ratio: z.number().positive('must be greater than 0').max(1e6),
    /** The evidence sentence, with `{field}` placeholders and optional `[...]` parts. */
    says: z.string().min(1).max(600),
    /** Which of the signal's resources must be the hypothesis's resource; default: the rule's `resource`. */
    about: roleList.optional(),
    /** Whether a match may start a hypothesis; default: when the ratio is above 1. */
    seed: z.boolean().optional(),
    /** Apply the ratio when no signal matches (for a hypothesis another item started). */
    absent: z.boolean().optional(),
  })
  .strict();
export type EvidenceRule = z.infer<typeof evidenceSchema>;

export const recommendationSchema = z
  .object({
    action: z.enum(REMEDIATION_ACTION_IDS, { error: 'must be a remediation action id (src/contracts/remediation-actions.ts)' }),
    /** How likely the action fixes this cause, before the cause's own confidence. */
    confidence: z.number().min(0).max(1),
    /** Default: the action's risk in the remediation table. */
    risk: riskLevel.optional(),
    /** Only when the hypothesis's fields pass these tests. */
    when: when.optional(),
    impact: z.string().max(600).optional(),
    steps: z.array(z.string().min(1).max(600)).max(20).default([]),
    rollback: z.array(z.string().min(1).max(600)).max(20).default([]),
  })
  .strict();
export type RecommendationRule = z.infer<typeof recommendationSchema>;

export const ruleSchema = z
  .object({
    cause: z.enum(ROOT_CAUSE_TYPES, { error: 'must be a root-cause taxonomy id (src/contracts/root-cause-taxonomy.ts)' }),
    description: z.string().min(1).max(2000),
    /** Base rate of the cause among incidents, 0 < prior < 1. */
    prior: z.number().gt(0, 'must be greater than 0').lt(1, 'must be less than 1'),
    /** The roles that name the resource at fault, in order of preference. */
    resource: roleList,
    evidence: z.array(evidenceSchema).min(1).max(64),
    recommendations: z.array(recommendationSchema).max(16).default([]),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const seen = new Set<string>();
    rule.evidence.forEach((e, i) => {
      if (seen.has(e.id)) ctx.addIssue({ code: 'custom', path: ['evidence', i, 'id'], message: `duplicate evidence id ${e.id}` });
      seen.add(e.id);
      if (e.absent && e.likelihood_ratio > 1 && e.seed) ctx.addIssue({ code: 'custom', path: ['evidence', i, 'seed'], message: 'absent evidence cannot start a hypothesis' });
    });
    if (!rule.evidence.some((e) => !e.absent && e.likelihood_ratio > 1 && e.seed !== false)) {
      ctx.addIssue({ code: 'custom', path: ['evidence'], message: 'needs at least one item with likelihood_ratio > 1 that can start a hypothesis' });
    }
  });
export type Rule = z.infer<typeof ruleSchema>;
