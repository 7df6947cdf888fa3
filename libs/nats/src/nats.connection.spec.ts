import { natsConnectOptionsFromEnv } from './nats.connection.js';

describe('natsConnectOptionsFromEnv', () => {
  it('defaults to a local server, without credentials', () => {
    expect(natsConnectOptionsFromEnv('ferry-test', {})).toEqual({ servers: 'nats://127.0.0.1:4222', name: 'ferry-test' });
  });

  it('takes the servers and whichever credentials are set', () => {
    expect(natsConnectOptionsFromEnv('g', { NATS_URL: 'nats://a:4222,nats://b:4222', NATS_USER: 'ferry', NATS_PASSWORD: 'secret' })).toEqual({
      servers: 'nats://a:4222,nats://b:4222',
      name: 'g',
      user: 'ferry',
      pass: 'secret',
    });
    expect(natsConnectOptionsFromEnv('g', { NATS_TOKEN: 't0ken', NATS_USER: '' })).toEqual({ servers: 'nats://127.0.0.1:4222', name: 'g', token: 't0ken' });
  });
});
