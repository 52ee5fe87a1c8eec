export * from './workload-controllers.js';
export { admitPod, quotaUsage, type PodAdmission } from './resource-quota.js';
export { parseCronSchedule, nextCronTime, type CronSchedule } from './cron-schedule.js';
