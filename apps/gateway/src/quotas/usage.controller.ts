import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { UsageReport } from '@ferry/contracts';
import { AuthGuard } from '../auth/auth.guard.js';
import { Tenant } from '../auth/tenant.decorator.js';
import { PROBLEM_RESPONSES, USAGE_REPORT_REF } from '../openapi/openapi.refs.js';
import { TenantQuotas } from './tenant-quotas.js';

@ApiTags('usage')
@ApiBearerAuth()
@ApiResponse(PROBLEM_RESPONSES.unauthorized)
@ApiResponse(PROBLEM_RESPONSES.rateLimited)
@ApiResponse(PROBLEM_RESPONSES.unavailable)
@UseGuards(AuthGuard)
@Controller('v1/usage')
export class UsageController {
  constructor(@Inject(TenantQuotas) private readonly quotas: TenantQuotas) {}

  @Get()
  @ApiOperation({ summary: "The tenant's jobs and stored bytes, as last counted, beside its quotas" })
  @ApiResponse({ status: 200, description: 'Usage and quotas', schema: USAGE_REPORT_REF })
  usage(@Tenant() tenant: string): Promise<UsageReport> {
    return this.quotas.report(tenant);
  }
}
