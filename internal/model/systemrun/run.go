package systemrun

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/internal/model"
	"github.com/lfevents/lfevents/stream"
	"github.com/lfevents/lfevents/system"
)

// System operations of Run.
const (
	Add      = iota // AddEvent: nil, empty, short or long multibyte message
	Burst           // AddEvent up to 255 times (op byte >= 128: one AddEvents)
	Collect         // Store.CollectEvents by the caller
	Create          // CreateEventStream(name, count); reader eager or stalled
	Remove          // RemoveStream of a stream of the test (or nil)
	Release         // let a stalled reader read
	Reconfig        // Reconfigure with a new Config
	Start           // StartService
	Stop            // Stop
	Restart         // Restart
	CloseAll        // CloseAllStreams
	ArmPanic        // the plugin panics on its next batch
	Read            // GetEventsFromID and GetRecentEvents through the system
	Pause           // sleep a millisecond: let streams and the publisher run
	opCount

	// AddEvents is Burst with an op byte >= 128: the burst is one AddEvents.
	AddEvents = Burst + 10*opCount
)

// NoPlugin, set in the first byte of an input, runs the system without a
// plugin: then nothing but the test collects the store, and Run holds every
// collected batch and the store's counters to model.Store exactly.
const NoPlugin = 2

// Run decodes data into a Config and a sequence of operations and drives one
// event system through them from the calling goroutine, while its publisher
// and streams run in theirs. After every step it checks history against
// model.Ring (AddEvent is synchronous), the counters of Metrics,
// configuration, and, when no publisher can collect beside the test, the
// store's conservation; without a plugin, the store against model.Store. At
// the end it stops the system and checks every event: in history unless
// displaced by capacity; in exactly one batch (the plugin's or the
// caller's) or counted as not stored; in each stream in ID order without
// gap or duplicate, all of them if the stream stayed open, or the stream
// was closed for a reason the test can account for (removed, closed by a
// stop/CloseAllStreams/tracking change, or cut off as slow and counted).
// Messages over the limit are cut to valid UTF-8 that marshals. No
// goroutine outlives the system, also when a check fails half-way.
//
// Run returns nil if every check passed. Otherwise it returns after the
// first step with a failed check, naming the step and every check of it
// that failed, or, at the end, all the final checks that failed.
func Run(data []byte) error {
	leaks := goleak.IgnoreCurrent()
	o := model.NewOps(data)
	var plugin *Plugin
	var sink system.EventPlugin // nil interface without a plugin
	if len(data) == 0 || data[0]&NoPlugin == 0 {
		plugin = &Plugin{}
		sink = plugin
	}
	logger := slog.New(slog.DiscardHandler)
	cfg := Config(o, sink, logger)
	e := system.New(cfg)
	var readers []*Reader
	defer func() { ShutDown(e, readers) }()

	// The test's view of the system.
	var (
		hist       = model.NewRing(orDefault(cfg.RingBufferCapacity, system.DefaultRingBufferCapacity))
		batch      = model.NewSequencedStore(orDefault(cfg.RequestCapacity, system.DefaultRequestCapacity), hist.NextID)
		stopped    bool // stopped (rejecting); a new system accepts
		running    bool
		rejected   uint64
		closeEpoch int // counts events that close every stream
		direct     [][]*si.EventRecord
		directCopy [][]*si.EventRecord
		idOf       = map[*si.EventRecord]uint64{}
		tag        int64
		c          checks // the failed checks of this step
	)
	quiet := func() bool { return plugin == nil || !running || cfg.PushInterval == time.Hour }
	// account updates the model for ev, given to the system with message
	// orig.
	account := func(ev *si.EventRecord, orig string) {
		switch {
		case ev == nil:
		case stopped:
			rejected++
		default:
			idOf[ev] = hist.Add(ev)
			batch.StoreWithID(idOf[ev], ev)
			c.add(checkCut(orig, ev))
		}
	}
	add := func(ev *si.EventRecord) {
		orig := ""
		if ev != nil {
			orig = ev.Message
		}
		e.AddEvent(ev)
		account(ev, orig)
	}
	newEvent := func() *si.EventRecord {
		tag++
		if tag%16 == 0 {
			return nil
		}
		ev := model.Rec(tag)
		ev.Message = message(o)
		return ev
	}

	for step := 0; !o.Done(); step++ {
		c = nil
		op := o.Byte()
		switch int(op) % opCount {
		case Add:
			add(newEvent())
		case Burst:
			evs := make([]*si.EventRecord, o.Byte())
			for i := range evs {
				tag++
				if tag%16 != 0 {
					evs[i] = model.Rec(tag)
				}
			}
			if op < 128 {
				for _, ev := range evs {
					add(ev)
				}
				break
			}
			e.AddEvents(evs)
			for _, ev := range evs {
				account(ev, "")
			}
		case Collect:
			want, got := batch.CollectEvents(), e.Store.CollectEvents()
			if plugin == nil {
				c.same("CollectEvents", want, got)
			}
			direct = append(direct, got)
			directCopy = append(directCopy, slices.Clone(got))
		case Create:
			name := []string{"", "s", "ström", strings.Repeat("n", 300)}[o.Intn(4)]
			count := o.Count()
			stalled := o.Bool()
			s := e.CreateEventStream(name, count)
			if s == nil {
				return fmt.Errorf("step %d: CreateEventStream returned nil", step)
			}
			r := StartReader(s, count, stalled)
			r.createdAt, r.whenDown, r.join = closeEpoch, stopped, hist.NextID()
			r.histStart = model.StreamStart(hist.GetLowestID(), r.join, count)
			readers = append(readers, r)
		case Remove:
			i := o.Intn(len(readers) + 1)
			if i == len(readers) {
				e.RemoveStream(nil)
				break
			}
			readers[i].removed = true
			e.RemoveStream(readers[i].S)
			if readers[i].S.CloseReason() == stream.ReasonOpen {
				c.fail("a removed stream is still open")
			}
		case Release:
			if len(readers) > 0 {
				readers[o.Intn(len(readers))].Unblock()
			}
		case Reconfig:
			next := Config(o, sink, logger)
			if running && next.TrackingEnabled != cfg.TrackingEnabled {
				closeEpoch++
			}
			e.Reconfigure(next)
			if n := orDefault(next.RingBufferCapacity, system.DefaultRingBufferCapacity); n != hist.Capacity() {
				hist.Resize(n)
			}
			batch.SetStoreSize(orDefault(next.RequestCapacity, system.DefaultRequestCapacity))
			cfg = next
		case Start:
			e.StartService()
			running, stopped = true, false
		case Stop:
			e.Stop()
			if running {
				closeEpoch++
				running, stopped = false, true
			}
		case Restart:
			e.Restart()
			if running {
				closeEpoch++
			}
			running, stopped = true, false
		case CloseAll:
			e.CloseAllStreams()
			if !stopped {
				closeEpoch++
			}
		case ArmPanic:
			if plugin != nil {
				plugin.armed.Store(true)
			}
		case Pause:
			time.Sleep(time.Millisecond)
		case Read:
			id, count := o.IDNear(hist.GetLowestID(), hist.NextID()), o.Count()
			evs, low, high := e.GetEventsFromID(id, count)
			want, wantLow, wantHigh := hist.GetEventsFromID(id, count)
			c.same(fmt.Sprintf("GetEventsFromID(%d, %d)", id, count), want, evs)
			c.equal("lowest", wantLow, low)
			c.equal("highest", wantHigh, high)
			c.same(fmt.Sprintf("GetRecentEvents(%d)", count), hist.GetRecentEvents(count), e.GetRecentEvents(count))
		}

		// After every step: history, counters, configuration.
		want, _, _ := hist.GetEventsFromID(hist.GetLowestID(), math.MaxUint64)
		evs, _, _ := e.GetEventsFromID(hist.GetLowestID(), math.MaxUint64)
		c.same("history", want, evs)
		c.equal("GetLastEventID", hist.GetLastEventID(), e.GetLastEventID())
		m := e.Metrics()
		accepted := hist.NextID()
		c.equal("Channeled", accepted, m.Channeled)
		c.equal("NotChanneled", rejected, m.NotChanneled)
		c.equal("Created", accepted+rejected, m.Created)
		c.equal("Processed", accepted, m.Processed)
		c.equal("Stored + NotStored", accepted, m.Stored+m.NotStored)
		if got := e.IsEventTrackingEnabled(); got != cfg.TrackingEnabled {
			c.fail("tracking = %v, want %v", got, cfg.TrackingEnabled)
		}
		c.equal("ring capacity", hist.Capacity(), e.GetRingBufferCapacity())
		c.equal("HistoryLowestID", hist.GetLowestID(), m.HistoryLowestID)
		c.equal("HistoryNextID", hist.NextID(), m.HistoryNextID)
		c.equal("HistoryCapacity", hist.Capacity(), m.HistoryCapacity)
		c.equal("StoreCapacity", orDefault(cfg.RequestCapacity, system.DefaultRequestCapacity), m.StoreCapacity)
		if plugin == nil {
			st := batch.Stats()
			c.equal("Stored", st.Stored, m.Stored)
			c.equal("NotStored", st.NotStored, m.NotStored)
			c.equal("CountStoredEvents", batch.CountStoredEvents(), e.Store.CountStoredEvents())
			c.equal("StoreWaiting", batch.CountStoredEvents(), m.StoreWaiting)
		}
		if quiet() {
			handedOut := uint64(0)
			for _, b := range directCopy {
				handedOut += uint64(len(b))
			}
			if plugin != nil {
				for _, b := range plugin.Copies() {
					handedOut += uint64(len(b))
				}
			}
			c.equal("stored = handed out + waiting", m.Stored, handedOut+e.Store.CountStoredEvents())
		}
		_ = e.GetEventStreams()
		if err := c.err(); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}

	// Open streams receive everything: give stalled readers leave to read,
	// then wait (bounded) until each open stream has the last event or has
	// been closed.
	accepted := hist.NextID()
	for _, r := range readers {
		r.Unblock()
	}
	deadline := time.Now().Add(DeliveryWait)
	for _, r := range readers {
		for {
			got := r.Received()
			if r.S.CloseReason() != stream.ReasonOpen ||
				accepted == r.join && r.histStart == r.join ||
				len(got) > 0 && idOf[got[len(got)-1]] == accepted-1 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("an open stream did not receive every event: stream from ID %d, received %d of %d",
					r.histStart, len(got), accepted-r.histStart)
			}
			time.Sleep(time.Millisecond)
		}
	}

	// Shut down; then nothing runs and every channel is closed. A stream
	// closed before this must have been closed by one of the run's steps.
	for _, r := range readers {
		r.closedEarly = r.S.CloseReason() == stream.ReasonClosed
	}
	e.Stop()
	e.CloseAllStreams() // a system never started still had its streams
	for _, r := range readers {
		if err := r.AwaitClosed(); err != nil {
			return err
		}
	}
	last := e.Store.CollectEvents()
	direct = append(direct, last)
	directCopy = append(directCopy, slices.Clone(last))
	c = nil
	c.add(goleak.Find(leaks))

	m := e.Metrics()
	checkStreams(&c, readers, idOf, closeEpoch, m)
	var copies [][]*si.EventRecord
	if plugin != nil {
		copies = plugin.Copies()
		plugin.mu.Lock()
		for bi, b := range plugin.batches {
			c.same(fmt.Sprintf("batch %d sent to the plugin changed", bi), copies[bi], b)
		}
		plugin.mu.Unlock()
		collected := uint64(0)
		for _, b := range copies {
			collected += uint64(len(b))
		}
		c.equal("Collected (events handed to the plugin)", collected, m.Collected)
		c.equal("PluginPanics", plugin.panics.Load(), m.PluginPanics)
		c.equal("PublisherBatches (batches handed to the plugin)", uint64(len(copies)), m.PublisherBatches)
	}
	for bi, b := range direct {
		if b != nil {
			c.same(fmt.Sprintf("batch %d collected by the caller changed", bi), directCopy[bi], b)
		}
	}

	// Batches: each event in at most one, in ID order within a batch; the
	// rest counted.
	inBatch := map[*si.EventRecord]bool{}
	total := uint64(0)
	for bi, b := range append(directCopy, copies...) {
		if err := checkBatch(b, idOf, inBatch); err != nil {
			c.fail("batch %d: %w", bi, err)
		}
		total += uint64(len(b))
	}
	c.equal("batched + not stored (every accepted event in one batch or counted as not stored)", accepted, total+m.NotStored)
	c.equal("Stored (events handed out)", total, m.Stored)
	return c.err()
}

// checkBatch checks a batch handed out: every record accepted, in no batch
// before (inBatch, which it updates), in ID order, and marshalling.
func checkBatch(b []*si.EventRecord, idOf map[*si.EventRecord]uint64, inBatch map[*si.EventRecord]bool) error {
	for k, ev := range b {
		id, ok := idOf[ev]
		switch {
		case !ok:
			return errors.New("a record that was never accepted")
		case inBatch[ev]:
			return fmt.Errorf("event %d in two batches", id)
		case k > 0 && id <= idOf[b[k-1]]:
			return fmt.Errorf("not in ID order: event %d after %d", id, idOf[b[k-1]])
		}
		inBatch[ev] = true
		if _, err := proto.Marshal(ev); err != nil {
			return fmt.Errorf("record %d does not marshal: %w", id, err)
		}
	}
	return nil
}

// checkStreams checks what each reader received after the system stopped:
// a run of consecutive IDs starting where the stream was allowed to start,
// and a close reason the test can account for; and the stream counters.
// closeEpoch counts the steps of the run that closed every stream, not
// the final shutdown: a stream closed before it (closedEarly) must have
// been created before one of those steps.
func checkStreams(c *checks, readers []*Reader, idOf map[*si.EventRecord]uint64, closeEpoch int, m system.Metrics) {
	delivered, slow := uint64(0), uint64(0)
	for i, r := range readers {
		got := r.Received()
		delivered += uint64(len(got))
		reason := r.S.CloseReason()
		switch {
		case reason == stream.ReasonSlow:
			slow++
		case reason == stream.ReasonRemoved && !r.removed:
			c.fail("stream %d: removed without RemoveStream", i)
		case reason == stream.ReasonClosed && r.closedEarly && !r.whenDown && closeEpoch <= r.createdAt:
			c.fail("stream %d: closed while nothing closed the streams", i)
		case reason != stream.ReasonRemoved && reason != stream.ReasonClosed:
			c.fail("stream %d: not closed after Stop: reason %v", i, reason)
		}
		if r.whenDown && (len(got) > 0 || reason != stream.ReasonClosed) {
			c.fail("stream %d, created while stopped: received %d events, reason %v", i, len(got), reason)
		}
		if err := checkReceived(r, got, idOf); err != nil {
			c.fail("stream %d: %w", i, err)
		}
	}
	c.equal("StreamsRemovedSlow (the streams cut off)", slow, m.StreamsRemovedSlow)
	c.equal("StreamEventsDelivered (what readers received)", delivered, m.StreamEventsDelivered)
}

// checkReceived checks what reader r received: accepted records with
// consecutive IDs, the first exactly where the history asked for starts.
// Run adds events from one goroutine, so when the stream is created history
// holds every ID below r.join: the stream owes the newest of them (from
// r.histStart), all of them, then every later one. A stream closed or cut
// early received a prefix of that, which starts there too.
func checkReceived(r *Reader, got []*si.EventRecord, idOf map[*si.EventRecord]uint64) error {
	for k, ev := range got {
		id, ok := idOf[ev]
		switch {
		case !ok:
			return errors.New("a record that was never accepted")
		case k == 0 && id < r.histStart:
			return fmt.Errorf("first event %d before the history asked for (from %d)", id, r.histStart)
		case k == 0 && id > r.histStart && r.histStart < r.join:
			return fmt.Errorf("first event %d: history from %d asked for and held, lost before it", id, r.histStart)
		case k == 0 && id > r.join:
			return fmt.Errorf("first event %d: skipped events after it joined at %d", id, r.join)
		case k > 0 && id != idOf[got[k-1]]+1:
			return fmt.Errorf("gap or duplicate: %d after ID %d", id, idOf[got[k-1]])
		}
	}
	return nil
}

// orDefault is n, or def for 0 (the Config convention).
func orDefault(n, def uint64) uint64 {
	if n == 0 {
		return def
	}
	return n
}
