package testutil

import "github.com/apache/yunikorn-scheduler-interface/lib/go/si"

// PluginFunc is an event plugin made of a function: SendEvent calls it.
type PluginFunc func([]*si.EventRecord)

// SendEvent calls f with the batch.
func (f PluginFunc) SendEvent(evs []*si.EventRecord) { f(evs) }
