package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"

	"github.com/lfevents/lfevents/system"
)

// resources is a resource quantity map that the record constructors take
// (system.Resource).
type resources map[string]int64

func (r resources) ToProto() *si.Resource {
	out := &si.Resource{Resources: make(map[string]*si.Quantity, len(r))}
	for k, v := range r {
		out.Resources[k] = &si.Quantity{Value: v}
	}
	return out
}

// Application states, in the order the synthetic scheduler walks them, with
// the change detail that announces each.
var appLifecycle = []struct {
	state  string
	detail si.EventRecord_ChangeDetail
}{
	{"New", si.EventRecord_APP_NEW},
	{"Accepted", si.EventRecord_APP_ACCEPTED},
	{"Running", si.EventRecord_APP_RUNNING},
	{"Completing", si.EventRecord_APP_COMPLETING},
	{"Completed", si.EventRecord_APP_COMPLETED},
}

// app is one simulated application.
type app struct {
	id      string
	queue   string
	stage   int // index into appLifecycle
	asks    int // requests made
	allocs  int // requests allocated
	pending []string
}

// scheduler produces a plausible event mix: applications submitted to
// queues and walked through their lifecycle, their requests, allocations on
// nodes, queue and node updates. It is only used from one goroutine.
type scheduler struct {
	rng     *rand.Rand
	nodes   []string
	queues  []string
	apps    []*app
	nextApp int
	nextAsk int
}

func newScheduler(seed uint64) *scheduler {
	s := &scheduler{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for i := range 24 {
		s.nodes = append(s.nodes, fmt.Sprintf("node-%02d", i+1))
	}
	s.queues = []string{"root.default", "root.prod.batch", "root.prod.web", "root.dev", "root.analytics"}
	return s
}

// run adds rate events per second to sys until ctx is done, in ticks of
// 10 ms (fractions carried over, so any rate is kept on average).
func (s *scheduler) run(ctx context.Context, sys system.EventSystem, rate float64) {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	perTick := rate * tick.Seconds()
	owed := 0.0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		owed += perTick
		for ; owed >= 1; owed-- {
			sys.AddEvent(s.next())
		}
	}
}

// size returns a random container size.
func (s *scheduler) size() resources {
	mem := []int64{256, 512, 1024, 2048, 4096, 8192}[s.rng.IntN(6)] << 20
	return resources{"memory": mem, "vcore": int64(250 * (1 + s.rng.IntN(8))), "pods": 1}
}

func (s *scheduler) node() string  { return s.nodes[s.rng.IntN(len(s.nodes))] }
func (s *scheduler) queue() string { return s.queues[s.rng.IntN(len(s.queues))] }

// next returns the next event of the simulation.
func (s *scheduler) next() *si.EventRecord {
	switch r := s.rng.IntN(100); {
	case len(s.apps) < 8 || r < 8 && len(s.apps) < 200:
		return s.submit()
	case r < 14:
		return s.nodeUpdate()
	case r < 18:
		return s.queueUpdate()
	default:
		a := s.apps[s.rng.IntN(len(s.apps))]
		return s.step(a)
	}
}

func (s *scheduler) submit() *si.EventRecord {
	s.nextApp++
	a := &app{id: fmt.Sprintf("app-%05d", s.nextApp), queue: s.queue()}
	s.apps = append(s.apps, a)
	return system.CreateAppEventRecord(a.id, "Application submitted to queue "+a.queue, "",
		si.EventRecord_ADD, si.EventRecord_APP_NEW, nil, appLifecycle[0].state)
}

// step moves an application on: a request, an allocation, or its next state.
func (s *scheduler) step(a *app) *si.EventRecord {
	running := appLifecycle[a.stage].state == "Running"
	switch r := s.rng.IntN(10); {
	case running && r < 4 && a.asks < 20:
		s.nextAsk++
		a.asks++
		ask := fmt.Sprintf("%s-ask-%d", a.id, s.nextAsk)
		a.pending = append(a.pending, ask)
		return system.CreateRequestEventRecord(ask, a.id, "Request is waiting for resources in queue "+a.queue, s.size(), "Pending")
	case running && r < 8 && len(a.pending) > 0:
		ask := a.pending[0]
		a.pending = a.pending[1:]
		a.allocs++
		if s.rng.IntN(2) == 0 {
			return system.CreateNodeEventRecord(s.node(), "Allocation "+ask+" added", ask,
				si.EventRecord_ADD, si.EventRecord_NODE_ALLOC, s.size(), "Schedulable")
		}
		return system.CreateAppEventRecord(a.id, "Allocation "+ask+" placed on "+s.node(), ask,
			si.EventRecord_ADD, si.EventRecord_APP_ALLOC, s.size(), "Running")
	case running && s.rng.IntN(40) == 0:
		s.remove(a)
		return system.CreateAppEventRecord(a.id, "Application failed: "+
			[]string{"too many task failures", "killed by user", "placeholder timeout"}[s.rng.IntN(3)],
			"", si.EventRecord_SET, si.EventRecord_APP_FAILED, nil, "Failed")
	default:
		if a.stage+1 >= len(appLifecycle) {
			s.remove(a)
			return system.CreateQueueEventRecord(a.queue, "Application "+a.id+" removed from queue", a.id,
				si.EventRecord_REMOVE, si.EventRecord_QUEUE_APP, nil, "Active")
		}
		a.stage++
		st := appLifecycle[a.stage]
		return system.CreateAppEventRecord(a.id, "Application state changed to "+st.state, "",
			si.EventRecord_SET, st.detail, nil, st.state)
	}
}

func (s *scheduler) remove(a *app) {
	for i, x := range s.apps {
		if x == a {
			s.apps[i] = s.apps[len(s.apps)-1]
			s.apps = s.apps[:len(s.apps)-1]
			return
		}
	}
}

func (s *scheduler) nodeUpdate() *si.EventRecord {
	n := s.node()
	if s.rng.IntN(5) == 0 {
		return system.CreateNodeEventRecord(n, "Node occupied resources updated", "",
			si.EventRecord_SET, si.EventRecord_NODE_OCCUPIED, resources{"memory": int64(s.rng.IntN(8)) << 30, "vcore": int64(s.rng.IntN(4000))}, "Schedulable")
	}
	return system.CreateNodeEventRecord(n, "Node capacity updated", "",
		si.EventRecord_SET, si.EventRecord_NODE_CAPACITY, resources{"memory": 64 << 30, "vcore": 16000, "pods": 110}, "Schedulable")
}

func (s *scheduler) queueUpdate() *si.EventRecord {
	q := s.queue()
	if s.rng.IntN(3) == 0 {
		return system.CreateQueueEventRecord(q, "Queue maximum resources changed", "",
			si.EventRecord_SET, si.EventRecord_QUEUE_MAX, resources{"memory": int64(64+s.rng.IntN(192)) << 30, "vcore": 64000}, "Active")
	}
	return system.CreateQueueEventRecord(q, "Queue guaranteed resources changed", "",
		si.EventRecord_SET, si.EventRecord_QUEUE_GUARANTEED, resources{"memory": int64(16+s.rng.IntN(48)) << 30, "vcore": 16000}, "Active")
}
