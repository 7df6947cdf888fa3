import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ErrorCode, FerryError, type FieldError } from '@ferry/contracts';

/**
 * The HTTP edge's DTO validation: unknown fields and wrong types are a 400 naming each field.
 * (A body that is well-typed but does not fit the pipeline is judged later, as a 422.)
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors, '');
      return new FerryError(ErrorCode.InvalidRequest, fields.map((error) => `${error.field} ${error.message}`).join('; ') || 'invalid request', {
        errors: fields,
      });
    },
  });
}

function flatten(errors: readonly ValidationError[], prefix: string): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
