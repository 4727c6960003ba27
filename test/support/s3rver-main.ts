// Runs a real s3rver (S3 API over a directory) in its own process, for tests that must stop and
// restart the storage target by PID. Usage: node s3rver-main.js PORT DIRECTORY; prints "ready".
import S3rver from 's3rver';

const [port, directory] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: Number(port), directory: directory!, silent: true });
await server.run();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
