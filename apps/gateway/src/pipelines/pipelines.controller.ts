import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Catalog, PipelineSummary } from '@ferry/pipelines';
import { AuthGuard } from '../auth/auth.guard.js';
import { CATALOG } from '../jobs/jobs.service.js';

@ApiTags('pipelines')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('v1/pipelines')
export class PipelinesController {
  constructor(@Inject(CATALOG) private readonly catalog: Catalog) {}

  @Get()
  @ApiOperation({ summary: 'The pipelines this deployment runs, with their params schemas and defaults' })
  list(): { items: PipelineSummary[] } {
    return { items: this.catalog.summaries() };
  }
}
