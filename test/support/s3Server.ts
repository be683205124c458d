/**
 * A real S3-compatible server on loopback for the S3 backend's tests: s3rver (a devDependency)
 * serving a temporary folder. It implements multipart uploads and checks the access key id of
 * each SigV4-signed request (S3RVER/S3RVER) though not the signature itself, so the tests drive
 * the real SDK over real HTTP.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

export const S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** Folder holding the server's objects. */
  directory: string;
  /** `METHOD path?query` of every request received, oldest first. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startS3Server(bucket = "recordings"): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), "switchboard-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const requests: string[] = [];
  server.httpServer.prependListener("request", (request) => {
    requests.push(`${request.method} ${request.url}`);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    requests,
    stop: async () => {
      server.httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
