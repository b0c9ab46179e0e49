// The REST server's public face, for src/extension.ts and the CLI.
export { JarvisServer, type ServerMount, type ServerOptions } from './server';
export { BASE_PATH } from './routes';
export { ENDPOINT_FILE, readEndpoint, type Endpoint } from './endpointFile';
