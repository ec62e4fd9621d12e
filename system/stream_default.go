package system

import "github.com/lfevents/lfevents/stream"

// defaultStreamQueueSize is the per-stream queue size of DefaultConfig: the
// stream package's default.
const defaultStreamQueueSize = stream.DefaultQueueSize
