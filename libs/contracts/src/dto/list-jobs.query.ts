// class-transformer's @Type and Nest read design-time types through this polyfill.
import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { JOB_STATES, type JobState } from '../job-state.js';
import { PIPELINE_NAME_PATTERN } from '../limits.js';

/** A page: 200 jobs at most (a summary is at most about 10 KB, labels and all; params add up to 48 KB each). */
export const LIST_LIMIT = { fallback: 50, max: 200 } as const;
/** A stream position: 1 to 2^53 - 1, no leading zero. */
export const LIST_CURSOR_PATTERN = /^[1-9][0-9]{0,15}$/;

/** Query of `GET /v1/jobs`. `label` repeats (`label=team=data&label=env=prod`) and every pair must match. */
export class ListJobsQuery {
  @IsOptional()
  @IsIn(JOB_STATES)
  state?: JobState;

  @IsOptional()
  @Matches(PIPELINE_NAME_PATTERN)
  pipeline?: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }): unknown[] => (Array.isArray(value) ? (value as unknown[]) : [value]))
  @IsString({ each: true })
  // Only the first `=` matters: a label value may hold any character, line breaks included.
  @Matches(/^[^=]+=/, { each: true, message: 'label must be key=value' })
  label?: string[];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIST_LIMIT.max)
  limit?: number;

  /** `params` adds each job's params to the items; without it a page carries summaries. */
  @IsOptional()
  @IsIn(['params'])
  include?: 'params';

  /** A position in the tenant's list index: opaque to clients, a decimal number here. */
  @IsOptional()
  @Matches(LIST_CURSOR_PATTERN, { message: 'cursor must be a nextCursor from a previous page' })
  cursor?: string;
}

/** Query of `GET /v1/jobs/{id}/logs`. */
export class LogsQuery {
  @IsOptional()
  @IsIn(['true', 'false'])
  follow?: 'true' | 'false';
}
