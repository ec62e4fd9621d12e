package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// checker collects the outcome of each invariant check.
type checker struct {
	out    io.Writer
	failed int
}

func (c *checker) check(ok bool, name, format string, args ...any) {
	status := "ok  "
	if !ok {
		status = "FAIL"
		c.failed++
	}
	fmt.Fprintf(c.out, "  %s %-22s %s\n", status, name, fmt.Sprintf(format, args...))
}

// runFacts are what the run observed besides the system's counters.
type runFacts struct {
	reloads int           // reconfigurations done
	elapsed time.Duration // how long the producers ran
	maxLag  uint64        // the largest lag of a live stream on the progress line
	// interrupted is when a signal ended the run before -duration (0: it
	// ran its course).
	interrupted time.Duration
}

// report stops the system, checks the invariants and prints the result.
func report(o options, t target, plugin *countingPlugin, producers []producerState,
	streams []*streamRun, f runFacts, out io.Writer,
) bool {
	reloads, elapsed := f.reloads, f.elapsed
	ck := &checker{out: out}
	var sent uint64
	lastSeq := make([]uint64, len(producers)) // sent count per producer
	for i := range producers {
		lastSeq[i] = producers[i].sent.Load()
		sent += lastSeq[i]
	}
	c := t.counts()
	if b, ok := t.(*baselineTarget); ok {
		b.waitProcessed(c.Accepted, 30*time.Second)
	}
	t.Stop() // one last push to the plugin
	c = t.counts()

	fmt.Fprintf(out, "evload %s, preset %s: %d producers (batch %d), rate %s, %s, ring %d (now %d), store %d, %d reloads\n",
		o.impl, o.preset, o.producers, o.batch, rateString(o.rate), elapsed.Round(time.Millisecond), o.ring,
		t.GetRingBufferCapacity(), o.store, reloads)
	if f.interrupted > 0 {
		fmt.Fprintf(out, "  interrupted after %s of %s: stopped early, checked as usual\n",
			f.interrupted.Round(time.Millisecond), o.duration)
	}
	fmt.Fprintf(out, "  sent %d, accepted %d (%.0f/s), dropped %d (%.2f%%), rejected %d\n",
		sent, c.Accepted, float64(c.Accepted)/elapsed.Seconds(), c.Dropped, pct(c.Dropped, sent), c.Rejected)

	// Accounting: every event given to AddEvent is accepted or refused.
	ck.check(c.Accepted+c.Dropped+c.Rejected == sent, "accounting",
		"accepted %d + dropped %d + rejected %d = sent %d", c.Accepted, c.Dropped, c.Rejected, sent)
	if t.strict() {
		ck.check(c.Dropped == 0 && c.Rejected == 0, "no loss", "dropped %d, rejected %d while running", c.Dropped, c.Rejected)
	}
	ck.check(c.Processed == c.Accepted, "all in history", "processed %d of %d accepted", c.Processed, c.Accepted)

	checkHistory(ck, t, c, lastSeq, reloads)

	// Store: every accepted event was collected once or counted as not stored.
	collected, orderErr := plugin.result()
	ck.check(collected == c.Collected, "plugin count", "plugin got %d, system says %d collected", collected, c.Collected)
	ck.check(collected+c.NotStored == c.Accepted, "store conservation",
		"collected %d + not stored %d = %d, accepted %d", collected, c.NotStored, collected+c.NotStored, c.Accepted)
	ck.check(orderErr == "", "store order", "%s", okOr(orderErr, "each producer's events reached the plugin once, in order"))

	checkStreams(ck, t, c, streams)
	loadVerdict(out, o, c, f.maxLag)

	if ck.failed > 0 {
		fmt.Fprintf(out, "FAIL: %d checks failed\n", ck.failed)
		return false
	}
	fmt.Fprintln(out, "PASS")
	return true
}

// checkHistory reads the whole window held and checks that it is the newest
// events, consecutive, each producer's in order (and, strict, without gaps
// and up to its last event).
func checkHistory(ck *checker, t target, c counts, lastSeq []uint64, reloads int) {
	if c.Accepted == 0 {
		ck.check(true, "history", "empty")
		return
	}
	_, lo, hi := t.GetEventsFromID(0, 0)
	window := hi - lo + 1
	evs, lo2, hi2 := t.GetEventsFromID(lo, window)
	capacity := t.GetRingBufferCapacity()
	ck.check(hi+1 == c.Accepted && lo2 == lo && hi2 == hi, "history newest",
		"window [%d, %d]: highest+1 = %d, accepted %d", lo, hi, hi+1, c.Accepted)
	ck.check(uint64(len(evs)) == window, "history window", "%d records read for %d IDs", len(evs), window)
	if reloads == 0 {
		ck.check(window == min(c.Accepted, capacity), "history capacity", "holds %d, capacity %d", window, capacity)
	} else {
		ck.check(window <= capacity, "history capacity", "holds %d <= capacity %d (after %d reloads)", window, capacity, reloads)
	}
	order := newOrderCheck(len(lastSeq), t.strict())
	for _, ev := range evs {
		order.see(ev)
	}
	msg := "each producer's events in order"
	if order.err == "" && t.strict() {
		msg = "each producer's newest events, consecutive, up to its last"
		for p := range lastSeq {
			if seen := order.last[p].Load(); seen >= 0 && uint64(seen)+1 != lastSeq[p] {
				order.err = fmt.Sprintf("producer %d: newest in history %d, last sent %d", p, seen, lastSeq[p]-1)
				break
			}
		}
	}
	ck.check(order.err == "", "history order", "%s", okOr(order.err, msg))
}

// checkStreams checks that every stream got its events in order (strict:
// without gaps) and that every stream the system closed was counted.
func checkStreams(ck *checker, t target, c counts, streams []*streamRun) {
	if len(streams) == 0 {
		return
	}
	var received uint64
	var firstErr string
	reasons := map[string]int{}
	for _, s := range streams {
		received += s.received.Load()
		if s.check.err != "" && firstErr == "" {
			firstErr = s.check.err
		}
		reasons[s.reason]++
	}
	fmt.Fprintf(ck.out, "  streams: %d opened, %d events received, closed: %s\n", len(streams), received, countsString(reasons))
	ok := "every stream in order, no duplicate"
	if t.strict() {
		ok += ", no gap, nothing lost at the join"
	}
	ck.check(firstErr == "", "stream order", "%s", okOr(firstErr, ok))
	if t.strict() {
		ck.check(uint64(reasons["slow"]) == c.StreamsCut, "streams counted",
			"%d streams closed as slow, system counted %d", reasons["slow"], c.StreamsCut)
		ck.check(reasons["slow"]+reasons["removed"] == len(streams), "stream close reasons",
			"every stream closed as removed or slow: %s", countsString(reasons))
	} else {
		cut := reasons["cut"]
		ck.check(uint64(cut) <= c.StreamsCut && c.StreamsCut <= uint64(cut+reasons["removed"]), "streams counted",
			"%d streams closed by the system, system counted %d cut", cut, c.StreamsCut)
	}
}

// loadVerdict says in one line whether the system kept up with the load:
// nothing refused, nothing left unstored, no stream cut. Overload is not a
// failed check (it is counted, not lost), but a newcomer should not have to
// infer it from the counters.
func loadVerdict(out io.Writer, o options, c counts, maxLag uint64) {
	if c.Dropped == 0 && c.NotStored == 0 && c.StreamsCut == 0 {
		fmt.Fprintf(out, "  load: kept up: nothing dropped, nothing left unstored, no stream cut (largest stream lag %d events)\n", maxLag)
		return
	}
	fmt.Fprintf(out, "  load: overloaded: %d dropped (%.1f%%), %d not stored (%.1f%%), %d streams cut as slow",
		c.Dropped, pct(c.Dropped, c.Accepted+c.Dropped), c.NotStored, pct(c.NotStored, c.Accepted), c.StreamsCut)
	if o.rate == 0 {
		fmt.Fprintln(out, "; expected flat out, where producers outrun the publisher and the streams")
		return
	}
	fmt.Fprintln(out, "; to absorb this rate raise -store or shorten -push (not stored), raise -queue (cut)")
}

// countsString lists counts by name, sorted: "removed 3, slow 1".
func countsString(m map[string]int) string {
	names := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, m[n])
	}
	return strings.Join(parts, ", ")
}

func okOr(err, ok string) string {
	if err != "" {
		return err
	}
	return ok
}

func rateString(r float64) string {
	if r == 0 {
		return "flat out"
	}
	return fmt.Sprintf("%.0f/s", r)
}
