import { Injectable, type PipeTransform } from '@nestjs/common';
import { InvalidInputError, UUID_PATTERN } from '@fleet/common';

/** Validates a path parameter as a UUID, with a 400 that names the parameter. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  constructor(private readonly name: string) {}

  transform(value: string): string {
    if (!UUID_PATTERN.test(value)) {
      throw new InvalidInputError('VALIDATION_FAILED', [
        { field: this.name, reason: 'must be a UUID' },
      ]);
    }
    return value.toLowerCase();
  }
}

export const uuidParam = (name: string): UuidParamPipe => new UuidParamPipe(name);
