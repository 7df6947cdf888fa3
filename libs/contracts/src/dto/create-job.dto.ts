// class-transformer's @Type and Nest read design-time types through this polyfill.
import 'reflect-metadata';
import {
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidatorConstraint,
  Validate,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { LABEL_KEY_PATTERN, LABEL_VALUE_MAX_LENGTH, LABELS_MAX_COUNT, PIPELINE_NAME_PATTERN } from '../limits.js';

@ValidatorConstraint({ name: 'labelMap' })
export class LabelMapConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return (
      entries.length <= LABELS_MAX_COUNT &&
      entries.every(([key, item]) => LABEL_KEY_PATTERN.test(key) && typeof item === 'string' && item.length <= LABEL_VALUE_MAX_LENGTH)
    );
  }

  defaultMessage(): string {
    return `labels must be an object of at most ${LABELS_MAX_COUNT} string values up to ${LABEL_VALUE_MAX_LENGTH} characters, keyed by names like "team" or "app.kubernetes.io/name"`;
  }
}

/**
 * Body of `POST /v1/jobs`. This class checks shape and types (a miss is a 400); bounds and the
 * pipeline's own schema are judged against the catalog (a miss is a 422), see `resolveSubmission`.
 */
export class CreateJobDto {
  @IsString()
  @Matches(PIPELINE_NAME_PATTERN, { message: 'pipeline must be a catalog name: lowercase letters, digits and dashes' })
  pipeline!: string;

  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;

  @IsOptional()
  @Validate(LabelMapConstraint)
  labels?: Record<string, string>;

  @IsOptional()
  @IsInt()
  timeoutSeconds?: number;

  @IsOptional()
  @IsInt()
  maxAttempts?: number;

  @IsOptional()
  @IsInt()
  startDeadlineSeconds?: number;
}
