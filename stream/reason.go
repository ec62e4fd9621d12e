package stream

// CloseReason tells why a stream ended.
type CloseReason uint32

const (
	// ReasonOpen: the stream has not ended (also what a handle that did not
	// come from this package reports).
	ReasonOpen CloseReason = iota
	// ReasonRemoved: the caller removed the stream.
	ReasonRemoved
	// ReasonSlow: the stream was cut off because it did not keep up: its
	// queue was full when the dispatcher had more for it, or the history it
	// was to receive was overwritten by the ring before it could be
	// delivered.
	ReasonSlow
	// ReasonClosed: the EventStreaming was closed (also for a stream created
	// after Close).
	ReasonClosed
)

// String returns a short lower-case name of the reason.
func (r CloseReason) String() string {
	switch r {
	case ReasonOpen:
		return "open"
	case ReasonRemoved:
		return "removed"
	case ReasonSlow:
		return "slow"
	case ReasonClosed:
		return "closed"
	default:
		return "unknown"
	}
}
