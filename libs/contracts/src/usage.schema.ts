import { Type, type Static } from '@sinclair/typebox';
import { Timestamp } from './job.schema.js';

/**
 * What one tenant keeps in Ferry, as the controller counts it from the records it reads: its
 * retained jobs, and the bytes of their records and results (docs/decisions/0016-tenant-quotas.md).
 */
export const TenantUsageSchema = Type.Object(
  {
    jobs: Type.Integer({ minimum: 0, description: 'Jobs kept: every record not yet removed by retention' }),
    bytes: Type.Integer({ minimum: 0, description: 'Bytes of those records and of their results' }),
    countedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type TenantUsage = Static<typeof TenantUsageSchema>;

/** `GET /v1/usage`: the tenant's usage beside its quotas. */
export const UsageReportSchema = Type.Object(
  {
    tenant: Type.String(),
    jobs: Type.Integer({ minimum: 0 }),
    bytes: Type.Integer({ minimum: 0 }),
    countedAt: Type.Union([Timestamp, Type.Null()], { description: 'When the controller last counted; null before its first count' }),
    quota: Type.Object(
      {
        jobs: Type.Integer({ minimum: 1, description: 'FERRY_TENANT_MAX_JOBS' }),
        bytes: Type.Integer({ minimum: 1, description: 'FERRY_TENANT_MAX_BYTES' }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'UsageReport', additionalProperties: false },
);
export type UsageReport = Static<typeof UsageReportSchema>;
