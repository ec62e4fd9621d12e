package model

// StreamStart is the first ID a stream created when history holds
// [lowest, next) and count events of history are asked for receives: the
// newest count events held, or none before next.
func StreamStart(lowest, next, count uint64) uint64 {
	return max(lowest, next-min(count, next))
}

// Streams is the reference for what each stream over one history receives
// while none falls behind: a stream created when history holds
// [lowest, next) with count asked for receives every ID from
// StreamStart(lowest, next, count) until it is removed.
type Streams struct {
	capacity uint64 // of the history, never resized
	next     uint64 // the ID the next event takes
}

// Stream is one stream of Streams: it receives IDs [First, End), End being
// the history's next ID while the stream is open.
type Stream struct {
	First   uint64
	Removed bool
	end     uint64 // set by Remove
}

// NewStreams returns the model of streams over an empty history of capacity
// events.
func NewStreams(capacity uint64) *Streams { return &Streams{capacity: max(capacity, 1)} }

// Add records n events added to the history.
func (m *Streams) Add(n int) { m.next += uint64(n) }

// Create returns a new stream asking for count events of history.
func (m *Streams) Create(count uint64) *Stream {
	return &Stream{First: StreamStart(Lowest(0, m.next, m.capacity), m.next, count)}
}

// Remove ends s: it receives nothing added from now on.
func (m *Streams) Remove(s *Stream) {
	if !s.Removed {
		s.Removed, s.end = true, m.next
	}
}

// End is the ID after the last one s must have received by now.
func (m *Streams) End(s *Stream) uint64 {
	if s.Removed {
		return s.end
	}
	return m.next
}
