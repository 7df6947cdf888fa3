import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateJobDto, IDEMPOTENCY_KEY_PATTERN, ListJobsQuery, type Job } from '@ferry/contracts';
import { AuthGuard } from '../auth/auth.guard.js';
import { Tenant } from '../auth/tenant.decorator.js';
import { JsonBodyGuard } from '../http/json-body.guard.js';
import { ReservedKeysGuard } from '../http/reserved-keys.guard.js';
import { GatewayMetrics } from '../metrics/metrics.js';
import { matchesEntry, matchesFilter } from './job-filter.js';
import { JobsService, type JobPage } from './jobs.service.js';
import { ApiQueryFrom, JOB_REF, JOB_PAGE_REF, PROBLEM_RESPONSES } from '../openapi/openapi.refs.js';

@ApiTags('jobs')
@ApiBearerAuth()
@ApiResponse(PROBLEM_RESPONSES.unauthorized)
@ApiResponse(PROBLEM_RESPONSES.rateLimited)
@ApiResponse(PROBLEM_RESPONSES.unavailable)
@UseGuards(AuthGuard)
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(JsonBodyGuard, ReservedKeysGuard)
  @ApiOperation({ summary: 'Submit a job', description: 'Answers 202 once the job is durably recorded; 200 for a repeated Idempotency-Key.' })
  @ApiBody({ schema: { $ref: '#/components/schemas/CreateJobDto' } })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key and body within 24 h: the same job. 1 to 255 visible ASCII characters.',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
  })
  @ApiResponse({ status: 202, description: 'Accepted', schema: JOB_REF })
  @ApiResponse({ status: 200, description: 'The job an earlier request with this Idempotency-Key created', schema: JOB_REF })
  @ApiResponse(PROBLEM_RESPONSES.badRequest)
  @ApiResponse(PROBLEM_RESPONSES.payloadTooLarge)
  @ApiResponse(PROBLEM_RESPONSES.unsupportedMediaType)
  @ApiResponse(PROBLEM_RESPONSES.unprocessable)
  @ApiResponse(PROBLEM_RESPONSES.insufficientStorage)
  async submit(
    @Tenant() tenant: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Body() body: CreateJobDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Job> {
    const { job, created } = await this.jobs.submit(tenant, body, idempotencyKey);
    if (created) this.metrics.jobsSubmitted.inc({ pipeline: job.pipeline });
    void reply.status(created ? 202 : 200).header('location', `/v1/jobs/${job.id}`);
    return job;
  }

  @Get()
  @ApiOperation({
    summary: 'List jobs, newest first',
    description:
      'Filters AND together; `label` repeats as `label=k=v`. Page with `cursor` = the previous `nextCursor` until it is null: ' +
      'a page may hold fewer than `limit` jobs while more follow.',
  })
  @ApiQueryFrom(ListJobsQuery)
  @ApiResponse({ status: 200, description: 'A page of jobs', schema: JOB_PAGE_REF })
  @ApiResponse(PROBLEM_RESPONSES.badQuery)
  list(@Tenant() tenant: string, @Query() query: ListJobsQuery): Promise<JobPage> {
    return this.jobs.list(tenant, query, {
      entryMatches: (entry) => matchesEntry(entry, query),
      jobMatches: (job) => matchesFilter(job, query),
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a job' })
  @ApiResponse({ status: 200, description: 'The job', schema: JOB_REF })
  @ApiResponse(PROBLEM_RESPONSES.notFound)
  get(@Tenant() tenant: string, @Param('id') id: string): Promise<Job> {
    return this.jobs.get(tenant, id);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Request cancellation', description: 'The controller stops the attempt and records `cancelled`.' })
  @ApiResponse({ status: 202, description: 'Cancellation requested', schema: JOB_REF })
  @ApiResponse(PROBLEM_RESPONSES.notFound)
  @ApiResponse(PROBLEM_RESPONSES.conflict)
  cancel(@Tenant() tenant: string, @Param('id') id: string): Promise<Job> {
    return this.jobs.requestCancel(tenant, id);
  }
}
