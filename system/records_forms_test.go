package system_test

import (
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"

	"github.com/lfevents/lfevents/system"
)

// TestRecordConstructorForms compiles the two call forms of the reference
// design (its call sites without a state, its published API with one), as
// importers write them, and checks where the state goes.
func TestRecordConstructorForms(t *testing.T) {
	res := &quantities{"memory": 1}
	add, detail := si.EventRecord_ADD, si.EventRecord_APP_NEW

	// The reference's call sites: no state.
	short := []*si.EventRecord{
		system.CreateRequestEventRecord("ask-1", "app-1", "msg", res),
		system.CreateAppEventRecord("app-1", "msg", "ref", add, detail, res),
		system.CreateNodeEventRecord("node-1", "msg", "ref", add, si.EventRecord_NODE_CAPACITY, res),
		system.CreateQueueEventRecord("root.a", "msg", "ref", add, si.EventRecord_QUEUE_CONFIG, res),
	}
	// The published API: a trailing state.
	long := []*si.EventRecord{
		system.CreateRequestEventRecord("ask-1", "app-1", "msg", res, "Pending"),
		system.CreateAppEventRecord("app-1", "msg", "ref", add, detail, res, "Running"),
		system.CreateNodeEventRecord("node-1", "msg", "ref", add, si.EventRecord_NODE_CAPACITY, res, "Ready"),
		system.CreateQueueEventRecord("root.a", "msg", "ref", add, si.EventRecord_QUEUE_CONFIG, res, "Active"),
	}
	// No state in either form of the user/group constructor, as in the reference.
	ug := system.CreateUserGroupEventRecord("alice", "msg", "ref", add, si.EventRecord_UG_USER_LIMIT, res)

	for _, ev := range append(short, ug) {
		assert.Empty(t, system.EventState(ev))
	}
	for i, want := range []string{"Pending", "Running", "Ready", "Active"} {
		assert.Equal(t, want, system.EventState(long[i]))
		assert.Equal(t, short[i].Type, long[i].Type)
		assert.Equal(t, short[i].ObjectID, long[i].ObjectID)
	}

	// More than one state: the first is kept, the rest ignored.
	ev := system.CreateAppEventRecord("app-1", "msg", "ref", add, detail, res, "Running", "Completed")
	assert.Equal(t, "Running", system.EventState(ev))
	// A state slice spreads as well.
	states := []string{"Accepted"}
	ev = system.CreateAppEventRecord("app-1", "msg", "ref", add, detail, res, states...)
	assert.Equal(t, "Accepted", system.EventState(ev))
}

// quantities is a resource type of the importer's own.
type quantities map[string]int64

func (q *quantities) ToProto() *si.Resource {
	out := &si.Resource{Resources: map[string]*si.Quantity{}}
	for k, v := range *q {
		out.Resources[k] = &si.Quantity{Value: v}
	}
	return out
}
