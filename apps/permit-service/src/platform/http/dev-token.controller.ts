import { Body, Controller, HttpCode, Inject, Logger, Post, type OnModuleInit } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { schema as s } from '@permit-ledger/projections';
import { ApiAnswer, ApiRoute } from './openapi.js';
import { type AppConfig, ROLES, type Role, signToken } from '@permit-ledger/config';
import { APP_CONFIG } from '../store/tokens.js';
import { Public } from '../auth/roles.js';

export class DevTokenDto {
  @ApiProperty({ type: String, enum: ROLES, example: 'viewer' })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ type: String, pattern: '^[A-Za-z0-9._@-]{1,64}$', description: 'Default: dev-<role>.', example: 'dev-viewer' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._@-]{1,64}$/, { message: 'sub must be 1-64 letters, digits or . _ @ -' })
  sub?: string;
}

/** Lifetime of a dev-login token (shortened to the configured bound when that is shorter). */
const DEV_TOKEN_SECONDS = 3600;

/**
 * The dashboard's "dev login": a short-lived HS256 token for any role, with no credential at all, so a
 * developer can look at the page without an identity provider. AppModule registers this controller only
 * when `config.devLogin` is on (by itself only with a generated secret, else DEV_LOGIN=on; never in
 * production): otherwise the route does not exist (404) and nothing of it runs.
 */
@ApiTags('dev')
@Controller('dev')
@Public()
export class DevTokenController implements OnModuleInit {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit() {
    // Registered only when on; the check stays so that a wrong registration fails at start, not open.
    if (!this.config.devLogin || this.config.production || !this.config.jwtSecret) {
      throw new Error('DevTokenController registered while the dev login is off');
    }
    new Logger('DevLogin').warn(
      'dev login is on: POST /api/v1/dev/token gives anyone a token for any role (set DEV_LOGIN=off, or configure a key, to remove it)',
    );
  }

  @Post('token')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Dev login: a short-lived token for a role (local setups only)',
    description:
      'An HS256 token valid for one hour, for looking at the dashboard without an identity provider. The route exists only where the service generated its own secret (nothing configured) or DEV_LOGIN=on, never in production; elsewhere it answers 404.',
    roles: 'public',
    problems: ['VALIDATION_FAILED', 'MALFORMED_JSON', 'ROUTE_NOT_FOUND', 'BODY_TOO_LARGE'],
  })
  @ApiAnswer(200, s.object({ token: s.string() }), { description: 'The token.' })
  async token(@Body() dto: DevTokenDto): Promise<{ token: string }> {
    const expiresIn = Math.min(DEV_TOKEN_SECONDS, this.config.maxTokenLifetimeSeconds);
    return { token: await signToken({ sub: dto.sub ?? `dev-${dto.role}`, roles: [dto.role] }, this.config.jwtSecret!, { expiresIn }) };
  }
}
