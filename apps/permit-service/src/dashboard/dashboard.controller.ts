import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiRead } from '../platform/http/openapi.js';
import { Public } from '../platform/auth/roles.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './page.js';

/**
 * The dashboard page at `/` (outside the api/v1 prefix). It needs no token to load and holds none:
 * the page asks for one and calls the API with it. Its CSP replaces helmet's API policy for this
 * answer only: the page's inline script and style are allowed by their hashes, nothing else.
 */
@ApiTags('dashboard')
@Controller()
export class DashboardController {
  @Get('/')
  @Public()
  @ApiRead({ summary: 'The dashboard page', description: 'Light HTML page; asks for a token and reads the API with it.', roles: 'public' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('Cache-Control', 'no-cache')
  page(): string {
    return DASHBOARD_HTML;
  }
}
