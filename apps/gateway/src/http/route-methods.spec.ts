import { RouteMethods } from './route-methods.js';

describe('RouteMethods', () => {
  const routes = new RouteMethods();
  routes.add('GET', '/v1/jobs');
  routes.add('HEAD', '/v1/jobs');
  routes.add('POST', '/v1/jobs');
  routes.add('GET', '/v1/jobs/:id');
  routes.add(['post'], '/v1/jobs/:id/cancel');
  routes.add('PUT', '/internal/v1/results/:tenant/:id/:attempt');
  routes.add('GET', '/docs/*');
  routes.add('GET', '/a.b');

  it.each([
    ['/v1/jobs', ['GET', 'HEAD', 'POST']],
    ['/v1/jobs/01jq0000000000000000000001', ['GET']],
    ['/v1/jobs/anything/cancel', ['POST']],
    ['/internal/v1/results/acme/j1/2', ['PUT']],
    ['/docs/static/index.css', ['GET']],
    ['/a.b', ['GET']],
  ])('%s has %j', (path, methods) => {
    expect(routes.allowed(path)).toEqual(methods);
  });

  it.each(['/v1', '/v1/jobs/', '/v1/jobs/a/b', '/v1/jobs//cancel', '/axb', '/internal/v1/results/acme/j1'])('%s is no route at all', (path) => {
    expect(routes.allowed(path)).toEqual([]);
  });
});
