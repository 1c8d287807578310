import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { ApiRoute } from '../http/openapi.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ProblemException } from '../http/problem.js';
import { Public, ROLES, type Role } from './roles.js';
import { signToken } from './token.js';

export class DevTokenDto {
  @ApiProperty({ type: String, enum: ROLES, example: 'viewer' })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ type: String, pattern: '^[A-Za-z0-9._@-]{1,64}$', description: 'Default: dev-<role>.', example: 'dev-viewer' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._@-]{1,64}$/, { message: 'sub must be 1-64 letters, digits or . _ @ -' })
  sub?: string;
}

/**
 * The dashboard's "dev login": outside production only, a short-lived HS256 token for a role, so a
 * developer can look at the page without an identity provider. In production it does not exist (404).
 */
@ApiTags('dev')
@Controller('dev')
@Public()
export class DevTokenController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Post('token')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Dev login: a short-lived token for a role (outside production only)',
    description: 'An HS256 token valid for one hour, for looking at the dashboard without an identity provider. In production the route does not exist (404).',
    roles: 'public',
    problems: { 400: ['VALIDATION_FAILED', 'MALFORMED_JSON'], 404: ['ROUTE_NOT_FOUND'], 413: ['BODY_TOO_LARGE'] },
  })
  @ApiOkResponse({ description: 'The token.', schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } })
  async token(@Body() dto: DevTokenDto) {
    if (this.config.production || !this.config.jwtSecret) throw new ProblemException(404, 'ROUTE_NOT_FOUND', 'no such route');
    return { token: await signToken({ sub: dto.sub ?? `dev-${dto.role}`, roles: [dto.role] }, this.config.jwtSecret, { expiresIn: '1h' }) };
  }
}
