// The node flags the service runs with (package.json's start:prod and the Dockerfile pass the same; the soak
// and the bench launch it so). A bounded heap: left alone, V8 lets the old space grow to hundreds of MB of
// garbage before collecting it (RSS 430 MB with a live heap of 70 MB under the soak), and a young generation of
// 8 MB instead of 16 costs no measurable throughput.
export const SERVICE_NODE_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=8'];
