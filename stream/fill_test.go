package stream

import (
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lfevents/lfevents/ring"
)

// A reader that does not read for a while: progress marks must not fill the
// queue (ChannelBuffer items in the channel, then the queue), and the first
// wanted event that follows cuts the stream; without WithProgress the same
// stream stays open.
func TestProgressMarksNeverFillTheQueue(t *testing.T) {
	for _, progress := range []bool{false, true} {
		t.Run(map[bool]string{false: "without", true: "with"}[progress], func(t *testing.T) {
			r := ring.New(1 << 20)
			es := NewEventStreaming(r, WithQueueSize(4), WithLogger(quietLogger()))
			t.Cleanup(es.Close)
			const n = (ChannelBuffer + 8) * progressEvery
			wanted := uint64(n)
			keep := func(ev *si.EventRecord) bool { return idOf(ev) == wanted }
			opts := []StreamOption{WithFilter(keep)}
			if progress {
				opts = append(opts, WithProgress())
			}
			s := es.CreateEventStreamFrom("p", 0, opts...)
			probe := es.CreateEventStreamFrom("probe", 0, WithFilter(keep))
			add(r, es, n)
			add(r, es, 1) // the wanted one
			require.Equal(t, wanted, receiveItems(t, probe, 1)[0].ID)
			// s's batch was pushed before the probe's.
			assert.Equal(t, ReasonOpen, s.CloseReason(), "queue %d of %d", s.consumer.queue.Len(), s.consumer.queue.Cap())
		})
	}
}
