import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Catalog, PipelineSummary } from '@ferry/pipelines';
import { AuthGuard } from '../auth/auth.guard.js';
import { CATALOG } from '../jobs/jobs.service.js';
import { PIPELINE_LIST_SCHEMA, PROBLEM_RESPONSES } from '../openapi/openapi.refs.js';

@ApiTags('pipelines')
@ApiBearerAuth()
@ApiResponse(PROBLEM_RESPONSES.unauthorized)
@ApiResponse(PROBLEM_RESPONSES.rateLimited)
@UseGuards(AuthGuard)
@Controller('v1/pipelines')
export class PipelinesController {
  constructor(@Inject(CATALOG) private readonly catalog: Catalog) {}

  @Get()
  @ApiOperation({ summary: 'The pipelines this deployment runs, with their params schemas and defaults' })
  @ApiResponse({ status: 200, description: 'The catalog', schema: PIPELINE_LIST_SCHEMA })
  list(): { items: PipelineSummary[] } {
    return { items: this.catalog.summaries() };
  }
}
