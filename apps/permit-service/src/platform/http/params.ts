import { Injectable, type PipeTransform, type ArgumentMetadata } from '@nestjs/common';
import { COUNTRY, PERMIT_NUMBER, REF } from './common.dto.js';
import { invalidInput } from '../errors/application-error.js';

function patternPipe(pattern: RegExp, what: string) {
  @Injectable()
  class PatternPipe implements PipeTransform<string, string> {
    transform(value: string, metadata: ArgumentMetadata): string {
      if (typeof value === 'string' && pattern.test(value)) return value;
      const field = metadata.data ?? 'parameter';
      throw invalidInput([{ field, messages: [`${field} must be ${what}`] }]);
    }
  }
  return PatternPipe;
}

export const PermitNumberPipe = patternPipe(PERMIT_NUMBER, 'a permit number such as EXP-19-004120');
export const CountryPipe = patternPipe(COUNTRY, 'an ISO 3166 alpha-2 code such as TR');
export const RefPipe = patternPipe(REF, 'a reference of letters, digits and . _ : -');
