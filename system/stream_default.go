package system

// defaultStreamQueueSize is the stream package's default queue size.
// TODO(system): take stream's exported default once the stream package lands.
const defaultStreamQueueSize = 1024
