import { Readable } from 'node:stream';
import { Controller, Get, Headers, Inject, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorCode, FerryError, LogsQuery, RESULT_MEDIA_TYPES, isFinalState, resultMediaType } from '@ferry/contracts';
import { AuthGuard } from '../auth/auth.guard.js';
import { Tenant } from '../auth/tenant.decorator.js';
import { writeOrStop } from '../http/drain.js';
import { OpenStreams } from '../http/open-streams.js';
import { NatsLink } from '../nats/nats-link.js';
import { ApiQueryFrom, JOB_EVENT_SCHEMA, PROBLEM_RESPONSES } from '../openapi/openapi.refs.js';
import { EventIds } from './event-ids.js';
import { JobEventsService } from './job-events.service.js';
import { JobsService } from './jobs.service.js';
import { SseWriter } from './sse.writer.js';

export const SSE_HEARTBEAT_MS = Symbol('SSE_HEARTBEAT_MS');

/** The media types a result may have; any bytes. */
const RESULT_CONTENT = Object.fromEntries(Object.keys(RESULT_MEDIA_TYPES).map((type) => [type, { schema: {} }]));

/** What a job produces over time: its events (SSE), its log lines and its result. */
@ApiTags('jobs')
@ApiBearerAuth()
@ApiResponse(PROBLEM_RESPONSES.unauthorized)
@ApiResponse(PROBLEM_RESPONSES.notFound)
@ApiResponse(PROBLEM_RESPONSES.rateLimited)
@ApiResponse(PROBLEM_RESPONSES.unavailable)
@UseGuards(AuthGuard)
@Controller('v1/jobs/:id')
export class JobOutputController {
  constructor(
    private readonly jobs: JobsService,
    private readonly jobEvents: JobEventsService,
    private readonly nats: NatsLink,
    private readonly streams: OpenStreams,
    @Inject(SSE_HEARTBEAT_MS) private readonly heartbeatMs: number,
    @Inject(EventIds) private readonly eventIds: EventIds,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Follow state and progress (Server-Sent Events)', description: 'Resumable with Last-Event-ID; ends after the final state.' })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: "Resume after this event id (an opaque id of this job's stream), or 0 to replay all the stream holds of the job; anything else starts from the current job.",
  })
  @ApiResponse({ status: 200, description: 'An event stream', content: { 'text/event-stream': { schema: JOB_EVENT_SCHEMA } } })
  @ApiResponse({ status: 204, description: 'Resumed after the final event: nothing more will come' })
  async events(
    @Tenant() tenant: string,
    @Param('id') id: string,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.jobs.get(tenant, id);
    const lastEventId = this.eventIds.decode(tenant, id, lastEventIdHeader);
    // A finished stream that reconnects gets 204, which tells an EventSource to stop reconnecting.
    if (!(await this.jobEvents.hasMore(tenant, id, lastEventId))) {
      void reply.status(204).send();
      return;
    }
    const open = this.streams.open(tenant);
    reply.hijack();
    reply.raw.on('close', () => open.abort());
    const sse = new SseWriter(reply.raw, (sequence) => this.eventIds.encode(tenant, id, sequence));
    sse.start();
    try {
      await this.jobEvents.stream(
        { event: (type, eventId, job) => sse.event(type, eventId, job), comment: (text) => sse.comment(text) },
        { tenant, jobId: id, lastEventId, heartbeatMs: this.heartbeatMs, signal: open.signal },
      );
    } catch (error) {
      sse.comment(`error: ${(error as Error).message}`);
    } finally {
      open.abort();
      sse.end();
    }
  }

  @Get('logs')
  @ApiOperation({ summary: 'Log lines', description: 'One line per log line; `follow=true` streams until the job is final.' })
  @ApiQueryFrom(LogsQuery)
  @ApiResponse({ status: 200, description: 'The job log', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiResponse(PROBLEM_RESPONSES.badQuery)
  async logs(@Tenant() tenant: string, @Param('id') id: string, @Query() query: LogsQuery, @Res() reply: FastifyReply): Promise<void> {
    await this.jobs.get(tenant, id);
    const logs = this.nats.stores().logs;
    const open = this.streams.open(tenant);
    reply.hijack();
    reply.raw.on('close', () => open.abort());
    reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    try {
      const entries = logs.read(tenant, id, {
        follow: query.follow === 'true',
        signal: open.signal,
        isFinished: async () => isFinalState((await this.jobs.get(tenant, id)).state),
      });
      for await (const entry of entries) {
        if (!(await writeOrStop(reply.raw, `${entry.line}\n`, open.signal))) break;
      }
    } finally {
      open.abort();
      reply.raw.end();
    }
  }

  @Get('result')
  @ApiOperation({ summary: 'Download the result', description: '404 when the job has none; 409 while it is not final.' })
  @ApiResponse({ status: 200, description: 'The result bytes, with their content type', content: RESULT_CONTENT })
  @ApiResponse(PROBLEM_RESPONSES.conflict)
  async result(@Tenant() tenant: string, @Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const job = await this.jobs.get(tenant, id);
    if (!isFinalState(job.state)) throw new FerryError(ErrorCode.Conflict, `job ${id} is ${job.state}; its result comes when it is final`);
    const stored = job.result === null ? undefined : await this.nats.stores().results.get(tenant, id, job.attempt);
    if (stored === undefined) throw new FerryError(ErrorCode.NotFound, `job ${id} has no result`);
    // A result is data to save, never a page to render: a stored type outside the list (older uploads) is served as bytes.
    const contentType = resultMediaType(stored.contentType) ?? 'application/octet-stream';
    void reply
      .header('content-type', contentType)
      .header('content-length', String(stored.bytes))
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `attachment; filename="${id}.${RESULT_MEDIA_TYPES[contentType] ?? 'bin'}"`)
      .send(Readable.fromWeb(stored.data));
  }
}
